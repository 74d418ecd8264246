// chat: P pairs of online users exchange 1:1 messages addressed to full JIDs.
//   saturation: in each direction of each pair a window of W messages is in flight; every delivery lets the sender
//     send one more (closed loop, no extra stanzas: sender and receiver live in this process). Delivered msgs/s and
//     server CPU per delivered message over the measured seconds, after a warm-up.
//   latency: a fixed total rate, spread round-robin over the senders; send-to-receive p50/p99.
import type { BenchClient } from '../lib/client.js';
import { attr } from '../lib/xmlscan.js';
import { Samples } from '../lib/stats.js';
import { selfCpuSeconds } from '../lib/proc.js';
import { closeAll, loginMany, settle, snapshot } from './common.js';
import { metric, type BenchParams, type Metric, type Scenario, type ScenarioContext } from './types.js';
import type { ServerUnderTest } from '../servers/types.js';

// A realistic chat message (about 250 bytes on the wire): body, chat state, origin-id.
const BODY = 'Hey, are we still on for the review at three? I pushed the last changes to the branch.';
function chatMessage(to: string, id: string): string {
  return `<message to='${to}' type='chat' id='${id}'><body>${BODY}</body><active xmlns='http://jabber.org/protocol/chatstates'/>`
    + `<origin-id xmlns='urn:xmpp:sid:0' id='${id}'/></message>`;
}

export interface ChatPairs {
  clients: BenchClient[];
  /** partner[i] is the index of client i's partner */
  partner: number[];
}

export async function setupPairs(server: ServerUnderTest, pairs: number, firstUser = 1): Promise<ChatPairs> {
  const clients = await loginMany(server, firstUser, firstUser + 2 * pairs - 1, { resource: 'bench', presence: true }, 50);
  const partner = clients.map((_, i) => i ^ 1);
  return { clients, partner };
}

export interface SaturationResult {
  rate: number; // delivered msgs/s
  cpuUs: number; // server CPU per delivered message
  errors: number;
  /** The load generator's own CPU use during the measurement, in % of one core. */
  clientCpuPct: number;
}

/** Closed-loop saturation over already logged-in pairs. */
export async function saturate(server: ServerUnderTest, cp: ChatPairs, p: BenchParams['chat'], seconds = p.seconds): Promise<SaturationResult> {
  const { clients, partner } = cp;
  let running = true;
  let delivered = 0;
  let errors = 0;
  let inFlight = 0;
  let seq = 0;
  const sendOne = (from: number) => {
    inFlight++;
    clients[from]!.queue(chatMessage(clients[partner[from]!]!.jid, `s${(seq++).toString(36)}`));
  };
  let drained: (() => void) | null = null;
  clients.forEach((c, i) => {
    c.onStanza = (raw) => {
      if (!raw.startsWith('<message')) return;
      inFlight--;
      if (raw.includes("type='error'") || raw.includes('type="error"')) errors++;
      else delivered++;
      if (running) sendOne(partner[i]!);
      else if (inFlight === 0 && drained) drained();
    };
  });
  for (let i = 0; i < clients.length; i++) for (let k = 0; k < p.window; k++) sendOne(i);
  await new Promise((r) => setTimeout(r, p.warmupSeconds * 1000));
  const d0 = delivered;
  const a = snapshot(server);
  const c0 = selfCpuSeconds();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = snapshot(server);
  const c1 = selfCpuSeconds();
  const d1 = delivered;
  running = false;
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      drained = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  for (const c of clients) c.onStanza = null;
  const n = d1 - d0;
  return { rate: (n * 1000) / (b.t - a.t), cpuUs: n > 0 ? ((b.cpu - a.cpu) * 1e6) / n : NaN, errors, clientCpuPct: ((c1 - c0) * 1e5) / (b.t - a.t) };
}

export interface LatencyResult {
  p50: number;
  p99: number;
  cpuUs: number;
  lost: number;
}

/** Sends `rate` msgs/s in total for warm-up + `seconds`; latency of the messages sent after the warm-up. */
export async function fixedRate(server: ServerUnderTest, cp: ChatPairs, rate: number, warmupSeconds: number, seconds: number): Promise<LatencyResult> {
  const { clients, partner } = cp;
  const total = Math.round(rate * (warmupSeconds + seconds));
  const firstMeasured = Math.round(rate * warmupSeconds);
  const sentAt = new Float64Array(total);
  const lat = new Samples();
  let received = 0;
  let done: (() => void) | null = null;
  clients.forEach((c) => {
    c.onStanza = (raw) => {
      if (!raw.startsWith('<message')) return;
      const id = attr(raw, 'id');
      const k = id && id.startsWith('L') ? parseInt(id.slice(1), 36) : -1;
      if (k < 0) return;
      received++;
      if (k >= firstMeasured) lat.add(performance.now() - sentAt[k]!);
      if (received === total && done) done();
    };
  });
  const t0 = performance.now();
  let sent = 0;
  let a = snapshot(server);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      if (sent < firstMeasured && due >= firstMeasured) a = snapshot(server);
      for (; sent < due; sent++) {
        const from = sent % clients.length;
        sentAt[sent] = performance.now();
        clients[from]!.queue(chatMessage(clients[partner[from]!]!.jid, `L${sent.toString(36)}`));
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  if (received < total) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      done = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  const b = snapshot(server);
  for (const c of clients) c.onStanza = null;
  const measured = total - firstMeasured;
  return { p50: lat.p(50), p99: lat.p(99), cpuUs: ((b.cpu - a.cpu) * 1e6) / measured, lost: total - received };
}

export const chat: Scenario = {
  name: 'chat',
  description: '1:1 messages between online pairs: saturation (windowed) and latency at a fixed rate',
  users: (p) => 2 * p.chat.pairs,
  async run(ctx: ScenarioContext): Promise<Metric[]> {
    const p = ctx.params.chat;
    const cp = await setupPairs(ctx.server, p.pairs);
    try {
      await settle(ctx.server);
      const sat = await saturate(ctx.server, cp, p);
      ctx.log(`chat saturation (${p.pairs} pairs, window ${p.window}): ${sat.rate.toFixed(0)} msgs/s, ${sat.cpuUs.toFixed(1)} µs CPU/msg (load generator at ${sat.clientCpuPct.toFixed(0)}% of a core)${sat.errors ? `, ${sat.errors} errors` : ''}`);
      await settle(ctx.server);
      const lat = await fixedRate(ctx.server, cp, p.rate, 1, p.latencySeconds);
      ctx.log(`chat at ${p.rate} msgs/s: p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms, ${lat.cpuUs.toFixed(1)} µs CPU/msg${lat.lost ? `, ${lat.lost} lost` : ''}`);
      if (sat.errors > 0) throw new Error(`${sat.errors} messages came back as errors`);
      return [
        metric('chat.rate', 'saturated 1:1 msgs/s', sat.rate, '/s', 'higher'),
        metric('chat.cpu', 'server CPU per message (saturated)', sat.cpuUs, 'µs', 'lower'),
        metric('chat.p50', `latency p50 at ${p.rate} msgs/s`, lat.p50, 'ms', 'lower'),
        metric('chat.p99', `latency p99 at ${p.rate} msgs/s`, lat.p99, 'ms', 'lower'),
        metric('chat.fixed.cpu', `server CPU per message at ${p.rate} msgs/s`, lat.cpuUs, 'µs', 'lower'),
      ];
    } finally {
      await closeAll(cp.clients);
    }
  },
};
