// muc: one room with `occupants` occupants (issue #5: 200); `senders` of them each keep `window` groupchat messages in
// flight (a message is done when its reflection reaches its sender, so the loop is closed without extra stanzas).
// Fan-out deliveries/s (every copy any occupant receives, reflections included) and server CPU per delivery.
import type { BenchClient } from '../lib/client.js';
import { attr } from '../lib/xmlscan.js';
import { BENCH_DOMAIN } from '../servers/types.js';
import { closeAll, loginMany, settle, snapshot } from './common.js';
import { metric, type BenchParams, type Metric, type Scenario, type ScenarioContext } from './types.js';

export const MUC_DOMAIN = `conference.${BENCH_DOMAIN}`;
const ROOM = `benchroom@${MUC_DOMAIN}`;
const NS_MUC = 'http://jabber.org/protocol/muc';
const BODY = 'Has anyone looked at the release notes yet? I would like to ship the beta on Monday.';

function base(p: BenchParams): number {
  return Math.max(p.login.users, 2 * p.chat.pairs, ...p.idle.sizes, Math.min(p.churn.cycles, p.login.users)) + p.roster.items + 2;   // after the roster scenario's accounts
}

/** Joins the room as `nick` and waits for the self-presence; returns its raw text. */
async function join(c: BenchClient, nick: string): Promise<string> {
  c.send(`<presence to='${ROOM}/${nick}'><x xmlns='${NS_MUC}'><history maxstanzas='0'/></x></presence>`);
  for (;;) {
    const raw = await c.expect(/^<presence/, 30_000);
    if (attr(raw, 'from') !== `${ROOM}/${nick}`) continue;
    if (attr(raw, 'type') === 'error') throw new Error(`joining ${ROOM} as ${nick} failed: ${raw.slice(0, 300)}`);
    return raw;
  }
}

/** Logs the occupants in and joins them; the first one creates the room and accepts the default configuration. */
async function fillRoom(ctx: ScenarioContext): Promise<BenchClient[]> {
  const { occupants } = ctx.params.muc;
  const first = base(ctx.params);
  const clients = await loginMany(ctx.server, first, first + occupants - 1, { resource: 'muc' }, 50);
  const self = await join(clients[0]!, 'n0');
  if (/code=["']201["']/.test(self)) {
    clients[0]!.send(`<iq type='set' to='${ROOM}' id='cfg'><query xmlns='${NS_MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
    await clients[0]!.expect(/^<iq[^>]*id=["']cfg["']/, 30_000);
  }
  // Join the others a few at a time; everyone receives everyone's presence (occupants² stanzas), drained below.
  let next = 1;
  const worker = async () => {
    while (next < clients.length) {
      const i = next++;
      await join(clients[i]!, `n${i}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  for (const c of clients) c.onStanza = () => undefined;
  await settle(ctx.server, 500, 30_000);
  return clients;
}

export const muc: Scenario = {
  name: 'muc',
  description: 'group chat fan-out: deliveries/s and server CPU per delivery in one large room',
  users: (p) => base(p) + p.muc.occupants,
  skip: (ctx) => (ctx.server.hasMuc ? null : 'no MUC service in this build'),
  async run(ctx: ScenarioContext): Promise<Metric[]> {
    const { senders, window, seconds } = ctx.params.muc;
    const clients = await fillRoom(ctx);
    try {
      let running = true;
      let delivered = 0;
      let errors = 0;
      const send = (i: number) => clients[i]!.queue(`<message to='${ROOM}' type='groupchat'><body>${BODY}</body></message>`);
      clients.forEach((c, i) => {
        const own = `${ROOM}/n${i}`;
        c.onStanza = (raw) => {
          if (!raw.startsWith('<message')) return;
          if (raw.includes("type='error'") || raw.includes('type="error"')) {
            errors++;
            return;
          }
          delivered++;
          if (running && i < senders && attr(raw, 'from') === own) send(i);
        };
      });
      for (let i = 0; i < senders; i++) for (let k = 0; k < window; k++) send(i);
      await new Promise((r) => setTimeout(r, 1000));   // warm-up
      const d0 = delivered;
      const a = snapshot(ctx.server);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const b = snapshot(ctx.server);
      const n = delivered - d0;
      running = false;
      if (errors > 0) ctx.log(`muc: ${errors} error replies (rate limits or room policy?)`);
      if (n === 0) throw new Error('muc: no groupchat message was delivered');
      const rate = (n * 1000) / (b.t - a.t);
      const cpuUs = ((b.cpu - a.cpu) * 1e6) / n;
      ctx.log(`muc ${clients.length} occupants, ${senders} senders: ${Math.round(rate)} deliveries/s, ${cpuUs.toFixed(1)} µs CPU per delivery`);
      return [
        metric('muc.rate', `MUC fan-out deliveries/s, ${clients.length} occupants`, rate, '/s', 'higher'),
        metric('muc.cpu', 'server CPU per MUC delivery', cpuUs, 'µs', 'lower'),
      ];
    } finally {
      await closeAll(clients);
    }
  },
};
