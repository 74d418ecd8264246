// Scenario sizes. `full` follows issue #5 (the figures the anchors were measured with); `quick` is the default of
// `npm run bench`; `smoke` is what CI runs (test/integration/bench-smoke.test.ts) to keep the tool working.
import type { BenchParams } from './scenarios/types.js';

export const PRESETS: Record<'full' | 'quick' | 'smoke', BenchParams> = {
  full: {
    login: { users: 2000, concurrency: 50 },
    chat: { pairs: 50, window: 8, warmupSeconds: 1, seconds: 5, rate: 2000, latencySeconds: 5 },
    churn: { cycles: 6000, concurrency: 50, chatSeconds: 3 },
    idle: { sizes: [1000, 5000, 10000], concurrency: 100 },
    roster: { items: 1000, online: 200, logins: 5 },
    muc: { sizes: [100, 500], senders: 10, window: 2, seconds: 5 },
  },
  quick: {
    login: { users: 500, concurrency: 50 },
    chat: { pairs: 50, window: 8, warmupSeconds: 1, seconds: 3, rate: 2000, latencySeconds: 3 },
    churn: { cycles: 1000, concurrency: 50, chatSeconds: 2 },
    idle: { sizes: [1000], concurrency: 100 },
    roster: { items: 1000, online: 200, logins: 3 },
    muc: { sizes: [100, 500], senders: 10, window: 2, seconds: 3 },
  },
  smoke: {
    login: { users: 20, concurrency: 5 },
    chat: { pairs: 4, window: 4, warmupSeconds: 0.2, seconds: 0.5, rate: 200, latencySeconds: 0.5 },
    churn: { cycles: 20, concurrency: 5, chatSeconds: 0.3 },
    idle: { sizes: [20], concurrency: 10 },
    roster: { items: 20, online: 5, logins: 1 },
    muc: { sizes: [5], senders: 2, window: 1, seconds: 0.5 },
  },
};
