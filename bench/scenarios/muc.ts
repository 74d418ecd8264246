// muc: for each size (issue #7: 100 and 500 occupants) one room with that many occupants; `senders` of them each
// keep `window` groupchat messages in flight (a message is done when its reflection reaches its sender, so the loop is
// closed without extra stanzas). Fan-out deliveries/s (every copy any occupant receives, reflections included), server
// CPU per delivery, and p99 latency from sending a message to its reflection reaching the sender.
import type { BenchClient } from '../lib/client.js';
import { attr } from '../lib/xmlscan.js';
import { BENCH_DOMAIN } from '../servers/types.js';
import { Samples } from '../lib/stats.js';
import { closeAll, loginMany, settle, snapshot } from './common.js';
import { metric, type BenchParams, type Metric, type Scenario, type ScenarioContext } from './types.js';

export const MUC_DOMAIN = `conference.${BENCH_DOMAIN}`;
const NS_MUC = 'http://jabber.org/protocol/muc';
const BODY = 'Has anyone looked at the release notes yet? I would like to ship the beta on Monday.';

function base(p: BenchParams): number {
  return Math.max(p.login.users, 2 * p.chat.pairs, ...p.idle.sizes, Math.min(p.churn.cycles, p.login.users)) + p.roster.items + 2;   // after the roster scenario's accounts
}

const roomOf = (size: number) => `benchroom${size}@${MUC_DOMAIN}`;

/** Joins the room as `nick` and waits for the self-presence; returns its raw text. */
async function join(c: BenchClient, ROOM: string, nick: string): Promise<string> {
  c.send(`<presence to='${ROOM}/${nick}'><x xmlns='${NS_MUC}'><history maxstanzas='0'/></x></presence>`);
  for (;;) {
    const raw = await c.expect(/^<presence/, 30_000);
    if (attr(raw, 'from') !== `${ROOM}/${nick}`) continue;
    if (attr(raw, 'type') === 'error') throw new Error(`joining ${ROOM} as ${nick} failed: ${raw.slice(0, 300)}`);
    return raw;
  }
}

/** Joins the first `size` clients to a new room; the first one creates it and accepts the default configuration. */
async function fillRoom(ctx: ScenarioContext, all: BenchClient[], size: number): Promise<BenchClient[]> {
  const clients = all.slice(0, size);
  const ROOM = roomOf(size);
  // Back to queueing what arrives (the previous size's handlers dropped it), so each join sees its self-presence.
  for (const c of clients) c.onStanza = null;
  const self = await join(clients[0]!, ROOM, 'n0');
  if (/code=["']201["']/.test(self)) {
    clients[0]!.send(`<iq type='set' to='${ROOM}' id='cfg'><query xmlns='${NS_MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
    await clients[0]!.expect(/^<iq[^>]*id=["']cfg["']/, 30_000);
  }
  // Join the others a few at a time; everyone receives everyone's presence (size² stanzas), drained below.
  let next = 1;
  const worker = async () => {
    while (next < clients.length) {
      const i = next++;
      await join(clients[i]!, ROOM, `n${i}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  for (const c of all) c.onStanza = () => undefined;
  await settle(ctx.server, 500, 60_000);
  return clients;
}

/** Saturates one room: deliveries/s, CPU per delivery and send-to-reflection latency. */
async function measure(ctx: ScenarioContext, clients: BenchClient[], size: number): Promise<Metric[]> {
  const { senders, window, seconds } = ctx.params.muc;
  const ROOM = roomOf(size);
  let running = true;
  let measuring = false;
  let delivered = 0;
  let errors = 0;
  const latency = new Samples();
  const sentAt: number[][] = clients.map(() => []);
  const send = (i: number) => {
    sentAt[i]!.push(performance.now());
    clients[i]!.queue(`<message to='${ROOM}' type='groupchat'><body>${BODY}</body></message>`);
  };
  clients.forEach((c, i) => {
    const own = `${ROOM}/n${i}`;
    c.onStanza = (raw) => {
      if (!raw.startsWith('<message')) return;
      if (raw.includes("type='error'") || raw.includes('type="error"')) {
        errors++;
        return;
      }
      delivered++;
      if (i < senders && attr(raw, 'from') === own) {
        // A room relays one sender's messages in order: the oldest one sent is the one reflected.
        const t0 = sentAt[i]!.shift();
        if (measuring && t0 !== undefined) latency.add(performance.now() - t0);
        if (running) send(i);
      }
    };
  });
  for (let i = 0; i < senders; i++) for (let k = 0; k < window; k++) send(i);
  await new Promise((r) => setTimeout(r, 1000));   // warm-up
  measuring = true;
  const d0 = delivered;
  const a = snapshot(ctx.server);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = snapshot(ctx.server);
  measuring = false;
  const n = delivered - d0;
  running = false;
  await new Promise((r) => setTimeout(r, 200));   // let the messages in flight arrive
  for (const c of clients) c.onStanza = () => undefined;
  if (errors > 0) ctx.log(`muc: ${errors} error replies (rate limits or room policy?)`);
  if (n === 0) throw new Error('muc: no groupchat message was delivered');
  const rate = (n * 1000) / (b.t - a.t);
  const cpuUs = ((b.cpu - a.cpu) * 1e6) / n;
  const p99 = latency.p(99);
  ctx.log(`muc ${size} occupants, ${senders} senders: ${Math.round(rate)} deliveries/s, ${cpuUs.toFixed(1)} µs CPU per delivery, p99 ${p99.toFixed(2)} ms`);
  return [
    metric(`muc.${size}.rate`, `MUC fan-out deliveries/s, ${size} occupants`, rate, '/s', 'higher'),
    metric(`muc.${size}.cpu`, `server CPU per MUC delivery, ${size} occupants`, cpuUs, 'µs', 'lower'),
    metric(`muc.${size}.p99`, `MUC message to its reflection p99, ${size} occupants`, p99, 'ms', 'lower'),
  ];
}

export const muc: Scenario = {
  name: 'muc',
  description: 'group chat fan-out: deliveries/s, server CPU per delivery and latency in one room per size',
  users: (p) => base(p) + Math.max(...p.muc.sizes),
  skip: (ctx) => (ctx.server.hasMuc ? null : 'no MUC service in this build'),
  async run(ctx: ScenarioContext): Promise<Metric[]> {
    const sizes = [...ctx.params.muc.sizes].sort((x, y) => x - y);
    const first = base(ctx.params);
    const all = await loginMany(ctx.server, first, first + sizes.at(-1)! - 1, { resource: 'muc' }, 50);
    try {
      const out: Metric[] = [];
      for (const size of sizes) out.push(...await measure(ctx, await fillRoom(ctx, all, size), size));
      return out;
    } finally {
      await closeAll(all);
    }
  },
};
