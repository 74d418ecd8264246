// login: N accounts authenticate with SCRAM and bind a resource, C at a time, then close. Variants: SCRAM-SHA-1
// in plaintext, SCRAM-SHA-1 after STARTTLS, SCRAM-SHA-256 in plaintext (where the server offers it).
// Reports logins/s, login latency p50/p99 (connect to bound) and server CPU per login.
import type { ScramMechanism } from '../lib/scram.js';
import { Samples } from '../lib/stats.js';
import { selfCpuSeconds } from '../lib/proc.js';
import { loginMany, settle, snapshot } from './common.js';
import { metric, type Metric, type Scenario, type ScenarioContext } from './types.js';

const VARIANTS: { key: string; label: string; tls: boolean; mechanism: ScramMechanism }[] = [
  { key: 'sha1', label: 'SCRAM-SHA-1', tls: false, mechanism: 'SCRAM-SHA-1' },
  { key: 'sha1-tls', label: 'SCRAM-SHA-1 + STARTTLS', tls: true, mechanism: 'SCRAM-SHA-1' },
  { key: 'sha256', label: 'SCRAM-SHA-256', tls: false, mechanism: 'SCRAM-SHA-256' },
];

export const login: Scenario = {
  name: 'login',
  description: 'SCRAM logins + bind with bounded concurrency',
  users: (p) => p.login.users,
  async run(ctx: ScenarioContext): Promise<Metric[]> {
    const { users, concurrency } = ctx.params.login;
    const out: Metric[] = [];
    for (const v of VARIANTS) {
      if (!ctx.server.mechanisms.includes(v.mechanism)) {
        ctx.log(`login ${v.label}: not offered by ${ctx.server.name}, skipped`);
        continue;
      }
      if (v.tls && ctx.server.target.transport === 'ws') continue;   // no STARTTLS on WebSocket
      // Unmeasured pass: fills the client's SaltedPassword cache (lib/scram.ts) and warms the server up.
      await loginMany(ctx.server, 1, users, { tls: v.tls, mechanism: v.mechanism }, concurrency, undefined, true);
      await settle(ctx.server);
      const lat = new Samples();
      const a = snapshot(ctx.server);
      const c0 = selfCpuSeconds();
      // Each client closes right after binding; the next login starts at once.
      await loginMany(ctx.server, 1, users, { tls: v.tls, mechanism: v.mechanism }, concurrency, (ms) => lat.add(ms), true);
      const b = snapshot(ctx.server);
      const clientMs = ((selfCpuSeconds() - c0) * 1000) / users;
      const secs = (b.t - a.t) / 1000;
      const rate = users / secs;
      const cpuMs = ((b.cpu - a.cpu) * 1000) / users;
      ctx.log(`login ${v.label}: ${rate.toFixed(0)}/s, p50 ${lat.p(50).toFixed(1)} ms, p99 ${lat.p(99).toFixed(1)} ms, ${cpuMs.toFixed(2)} ms CPU/login (load generator ${clientMs.toFixed(2)} ms/login)`);
      out.push(
        metric(`login.${v.key}.rate`, `${v.label} logins/s`, rate, '/s', 'higher'),
        metric(`login.${v.key}.cpu`, `${v.label} server CPU per login`, cpuMs, 'ms', 'lower'),
        metric(`login.${v.key}.p50`, `${v.label} login p50`, lat.p(50), 'ms', 'lower'),
        metric(`login.${v.key}.p99`, `${v.label} login p99`, lat.p(99), 'ms', 'lower'),
      );
    }
    return out;
  },
};
