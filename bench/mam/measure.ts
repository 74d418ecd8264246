// The two MAM measurements: chat saturation (to compare archiving off and on) and the latency of 50-message
// pages from a big archive, one query in flight at a time.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchClient } from '../lib/client.js';
import { Samples } from '../lib/stats.js';
import { closeAll, loginMany, settle, snapshot } from '../scenarios/common.js';
import { saturate, setupPairs } from '../scenarios/chat.js';
import type { BenchParams } from '../scenarios/types.js';
import type { ServerUnderTest } from '../servers/types.js';
import { itemId, type SeedShape } from './seed.js';

export async function chatRate(server: ServerUnderTest, p: BenchParams['chat']): Promise<{ rate: number; cpuUs: number }> {
  const cp = await setupPairs(server, p.pairs);
  try {
    await settle(server);
    const r = await saturate(server, cp, p);
    if (r.errors > 0) throw new Error(`${r.errors} chat messages came back as errors`);
    return { rate: r.rate, cpuUs: r.cpuUs };
  } finally {
    await closeAll(cp.clients);
  }
}

export interface PageResult {
  p50: number;
  p99: number;
  cpuUs: number;
  queries: number;
}

const RSM = 'http://jabber.org/protocol/rsm';

/**
 * `warmup` then `queries` MAM queries for 50-message pages, alternating the newest page (<before/>) and a page after a random
 * item, from `clients` users picked across the archive; each waits for its <fin/> before the next is sent.
 * The queries run in a child process (bench/mam/page-client.ts) with a heap of its own: this process holds the
 * seeding's and the other servers' leftovers, and its garbage collections (3-10 ms scavenges) showed up as query
 * latency. This process measures the server's CPU around the child's run.
 */
export async function pageLatency(server: ServerUnderTest, shape: SeedShape, queries: number, warmup: number, clients = 20): Promise<PageResult> {
  await settle(server);
  const a = snapshot(server);
  const latencies = await runPageClient({ target: server.target, shape, queries, warmup, clients });
  const b = snapshot(server);
  const lat = new Samples();
  for (const ms of latencies) lat.add(ms);
  return { p50: lat.p(50), p99: lat.p(99), cpuUs: ((b.cpu - a.cpu) * 1e6) / (queries + warmup), queries };
}

export interface PageClientJob {
  target: ServerUnderTest['target'];
  shape: SeedShape;
  queries: number;
  /** Queries run first and not counted. */
  warmup: number;
  clients: number;
}

function runPageClient(job: PageClientJob): Promise<number[]> {
  // A young generation large enough that the load generator rarely collects during the run (its scavenges take
  // 1-1.5 ms and would be 1% of the queries: the p99); the server runs with Node's defaults.
  const nodeArgs = ['--max-semi-space-size=64', ...(process.env.MAM_TRACE_GC ? ['--trace-gc'] : [])];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(new URL('./page-client.ts', import.meta.url)), JSON.stringify(job)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  if (process.env.MAM_TRACE_GC) child.stdout.on('data', (d: Buffer) => process.stderr.write(d));
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`page client exited with ${code}: ${out.slice(-500)}`));
      const line = out.trim().split('\n').pop() ?? '';
      resolve(JSON.parse(line) as number[]);
    });
  });
}

/** The query loop (run by page-client.ts): the latency of each query in ms. */
export async function pageQueries(server: Pick<ServerUnderTest, 'target'>, job: PageClientJob): Promise<number[]> {
  const { shape, queries, clients } = job;
  const step = Math.max(1, Math.floor(shape.users / clients));
  const users: number[] = [];
  for (let u = 1; u <= shape.users && users.length < clients; u += step) users.push(u);
  const cs: BenchClient[] = [];
  for (const u of users) cs.push(...await loginMany(server as ServerUnderTest, u, u, { resource: 'mam' }, 1));
  try {
    const lat: number[] = [];
    // The first WARMUP queries are not counted: a steady-state figure, as the chat scenario's warm-up second (the
    // server's JIT and SQLite's page cache are cold at first; bench/RESULTS.md gives the cold figure too).
    for (let q = -job.warmup; q < queries; q++) {
      const k = (q + job.warmup) % cs.length;
      const c = cs[k]!;
      const u = users[k]!;
      const id = `mq${q}`;
      const rsm = (q + job.warmup) % 2 === 0
        ? `<set xmlns='${RSM}'><max>50</max><before/></set>`
        : `<set xmlns='${RSM}'><max>50</max><after>${itemId(u, Math.floor(Math.random() * Math.max(1, shape.perUser - 60)))}</after></set>`;
      let results = 0;
      const done = new Promise<void>((resolve, reject) => {
        c.onStanza = (raw) => {
          if (raw.startsWith('<message')) results++;
          else if (raw.startsWith('<iq')) {
            if (/type=["']error["']/.test(raw)) reject(new Error(`MAM query failed: ${raw.slice(0, 300)}`));
            else resolve();
          }
        };
      });
      const t0 = performance.now();
      c.send(`<iq type='set' id='${id}'><query xmlns='urn:xmpp:mam:2' queryid='${id}'>${rsm}</query></iq>`);
      await done;
      const ms = performance.now() - t0;
      if (q >= 0) lat.push(ms);
      if (process.env.MAM_TRACE) process.stderr.write(`trace ${q} ${ms.toFixed(2)}\n`);
      if (results !== 50) throw new Error(`query ${q} returned ${results} messages, not 50`);
    }
    for (const c of cs) c.onStanza = null;
    return lat;
  } finally {
    await closeAll(cs);
  }
}
