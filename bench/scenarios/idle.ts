// idle: authenticated sessions with initial presence held open; server RSS per session at each size (the RSS
// growth from the empty server, divided by the number of sessions). Plaintext and STARTTLS variants; for TLS this
// shows whether per-connection TLS buffers are released while a session is idle.
import type { BenchClient } from '../lib/client.js';
import { closeAll, loginMany, serverRss, settle } from './common.js';
import { metric, type Metric, type Scenario, type ScenarioContext } from './types.js';

function idleScenario(tls: boolean): Scenario {
  const tag = tls ? 'idle-tls' : 'idle';
  return {
    name: tag,
    description: `RSS per idle authenticated session${tls ? ' over STARTTLS' : ''}`,
    users: (p) => Math.max(...p.idle.sizes),
    skip: tls ? (ctx) => (ctx.server.target.transport === 'ws' ? 'STARTTLS does not exist on WebSocket' : null) : undefined,
    async run(ctx: ScenarioContext): Promise<Metric[]> {
      const { sizes, concurrency } = ctx.params.idle;
      await settle(ctx.server);
      const base = serverRss(ctx.server);
      const clients: BenchClient[] = [];
      const out: Metric[] = [];
      try {
        for (const size of [...sizes].sort((x, y) => x - y)) {
          if (size > clients.length) {
            clients.push(...await loginMany(ctx.server, clients.length + 1, size, { resource: 'idle', presence: true, tls }, concurrency));
          }
          await settle(ctx.server, 500);
          const perSession = (serverRss(ctx.server) - base) / size / 1024;
          ctx.log(`${tag} ${size} sessions: ${perSession.toFixed(1)} KB RSS per session`);
          out.push(metric(`${tag}.${size}`, `RSS per idle session${tls ? ' (TLS)' : ''}, ${size} sessions`, perSession, 'KB', 'lower'));
        }
      } finally {
        await closeAll(clients);
      }
      return out;
    },
  };
}

export const idle = idleScenario(false);
export const idleTls = idleScenario(true);
