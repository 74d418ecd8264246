// The scenario registry, in the order they run. Later features add theirs here (MAM, MUC, WebSocket variants).
import { chat } from './chat.js';
import { churn } from './churn.js';
import { idle, idleTls } from './idle.js';
import { login } from './login.js';
import { muc } from './muc.js';
import { roster } from './roster.js';
import type { Scenario } from './types.js';

export const SCENARIOS: readonly Scenario[] = [login, chat, churn, idle, idleTls, roster, muc];
