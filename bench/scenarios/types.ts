// The scenario contract. A scenario gets a freshly started server and returns named metrics; the runner repeats,
// takes medians and compares servers. A new scenario (MAM, MUC, WebSocket transport) is one file that exports a
// Scenario and one line in scenarios/index.ts.
import type { ServerUnderTest } from '../servers/types.js';

export interface Metric {
  /** Stable key, e.g. "login.plain.rate". */
  key: string;
  label: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
}

export interface BenchParams {
  login: { users: number; concurrency: number };
  chat: { pairs: number; window: number; warmupSeconds: number; seconds: number; rate: number; latencySeconds: number };
  churn: { cycles: number; concurrency: number; chatSeconds: number };
  idle: { sizes: number[]; concurrency: number };
  roster: { items: number; online: number; logins: number };
  muc: { sizes: number[]; senders: number; window: number; seconds: number };
}

export interface ScenarioContext {
  server: ServerUnderTest;
  params: BenchParams;
  log(msg: string): void;
}

export interface Scenario {
  name: string;
  description: string;
  /** Accounts the scenario needs (user1..userN). */
  users(p: BenchParams): number;
  /** Returns null with a reason when it cannot run on this server. */
  skip?(ctx: ScenarioContext): string | null;
  run(ctx: ScenarioContext): Promise<Metric[]>;
}

export function metric(key: string, label: string, value: number, unit: string, better: 'higher' | 'lower'): Metric {
  return { key, label, value, unit, better };
}
