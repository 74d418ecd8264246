// npm run bench:mam is not defined; run with: node --import tsx bench/mam/run.ts [options]
// The MAM bench (issue 6), Starling and Prosody (mod_mam on SQLite) back to back:
//   1. archive write cost: chat saturation (the chat scenario's closed loop) with archiving off and on, alternating,
//      `--reps` times; the ratio of the medians (target: on within 15% of off);
//   2. page latency: the archive filled with `--messages` messages over `--users` users (default 1 000 000 over
//      1 000), then `--queries` MAM queries for 50-message pages (newest page, and after a random item), one in
//      flight at a time: p50 / p99 (target p99 < 2 ms) and server CPU per query.
// Options: --servers starling,prosody  --users N  --messages N  --queries N  --warmup N (not counted, 200)  --reps N
//          --out FILE  --keep
//          --skip-pages (write cost only)  --skip-chat (page latency only)  --write-batch-ms N (Starling's mam writeBatchMs)
//          --cpu-prof DIR (Starling under node --cpu-prof, profiles written to DIR)  --node-args='--trace-gc ...'
// Environment: MAM_TRACE=1 prints each page query's latency (to find the slow ones); MAM_TRACE_GC=1 runs the query
// client with --trace-gc (to tell the load generator's pauses from the server's).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSelfSigned, writeCertificate } from '../../src/net/certs.js';
import { median } from '../lib/stats.js';
import { PRESETS } from '../params.js';
import { commandExists } from '../servers/prosody.js';
import type { ServerUnderTest } from '../servers/types.js';
import { chatRate, pageLatency, type PageResult } from './measure.js';
import { seedProsody, seedStarling, type SeedShape } from './seed.js';
import { ProsodyMam, starling, type Cert } from './servers.js';
import type { StarlingServer } from '../servers/starling.js';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'starling,prosody' },
    users: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    reps: { type: 'string', default: '3' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'skip-pages': { type: 'boolean', default: false },
    'skip-chat': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string' },
    'write-batch-ms': { type: 'string' },
  },
});
const log = (m: string) => console.log(m);
const shape: SeedShape = { users: Number(values.users), perUser: Math.floor(Number(values.messages) / Number(values.users)) };
const queries = Number(values.queries);
const reps = Number(values.reps);
const chatParams = PRESETS.quick.chat;
const names = values.servers!.split(',').filter((n) => n !== 'prosody' || commandExists('prosody'));

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-mam-bench-'));
const certPaths = writeCertificate(path.join(workDir, 'certs'), 'localhost', generateSelfSigned('localhost'));
const cert: Cert = { ...certPaths, pair: { cert: fs.readFileSync(certPaths.certPath, 'utf8'), key: fs.readFileSync(certPaths.keyPath, 'utf8') } };

interface Row { server: string; version: string; off: number[]; on: number[]; offCpu: number[]; onCpu: number[]; page?: PageResult }
const rows: Row[] = [];

async function withServer<T>(s: ServerUnderTest, fn: () => Promise<T>): Promise<T> {
  await s.start();
  try {
    return await fn();
  } finally {
    await s.stop();
  }
}

try {
  for (const name of names) {
    const off: ServerUnderTest = name === 'starling' ? starling(path.join(workDir, name), cert, false) : new ProsodyMam(path.join(workDir, name), cert, false);
    const on: ServerUnderTest = name === 'starling' ? starling(path.join(workDir, name), cert, true, values['write-batch-ms'] === undefined ? undefined : Number(values['write-batch-ms'])) : new ProsodyMam(path.join(workDir, name), cert, true);
    const accounts = Math.max(shape.users, 2 * chatParams.pairs);
    log(`[${name}] creating ${accounts} accounts (archiving off and on)...`);
    await off.prepare(accounts);
    await on.prepare(accounts);
    const row: Row = { server: name, version: off.version, off: [], on: [], offCpu: [], onCpu: [] };
    if (name === 'starling') {
      const args = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values['cpu-prof'])] : [];
      if (values['node-args']) args.push(...values['node-args'].split(' ').filter(Boolean));
      for (const s of [off, on] as StarlingServer[]) s.nodeArgs = args;
    }
    for (let rep = 1; rep <= (values['skip-chat'] ? 0 : reps); rep++) {
      for (const [label, s] of [['off', off], ['on', on]] as const) {
        const r = await withServer(s, () => chatRate(s, chatParams));
        log(`[${name} #${rep}] chat, archiving ${label}: ${r.rate.toFixed(0)} msgs/s, ${r.cpuUs.toFixed(1)} µs CPU/msg`);
        (label === 'off' ? row.off : row.on).push(r.rate);
        (label === 'off' ? row.offCpu : row.onCpu).push(r.cpuUs);
      }
    }
    if (values['skip-pages']) {
      rows.push(row);
      continue;
    }
    log(`[${name}] seeding ${shape.users * shape.perUser} archived messages over ${shape.users} users...`);
    if (name === 'starling') {
      await seedStarling(path.join((on as ReturnType<typeof starling>).dir, 'starling.db'), shape, log);
    } else {
      const p = on as ProsodyMam;
      if (!fs.existsSync(p.sqlitePath)) await withServer(p, async () => undefined);   // lets Prosody create its tables
      seedProsody(p.sqlitePath, shape, log);
    }
    row.page = await withServer(on, () => pageLatency(on, shape, queries, Number(values.warmup)));
    log(`[${name}] 50-message pages: p50 ${row.page.p50.toFixed(2)} ms, p99 ${row.page.p99.toFixed(2)} ms, ${row.page.cpuUs.toFixed(0)} µs CPU/query`);
    rows.push(row);
  }
} finally {
  if (!values.keep) fs.rmSync(workDir, { recursive: true, force: true });
  else log(`work directory kept: ${workDir}`);
}

const f = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }).replace(/,/g, ' ');
const lines = [
  `MAM bench: ${reps} repetitions of chat saturation (${chatParams.pairs} pairs, window ${chatParams.window}, ${chatParams.seconds} s) archiving off/on; `
    + `${f(shape.users * shape.perUser)} archived messages over ${f(shape.users)} users, ${queries} page queries (max 50) after ${values.warmup} not counted. Medians.`,
  '',
  '| server | chat msgs/s off | chat msgs/s on | on/off | CPU µs/msg off | CPU µs/msg on | page p50 (ms) | page p99 (ms) | CPU µs/query |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.server} ${r.version} | ${r.off.length ? f(median(r.off)) : '—'} | ${r.on.length ? f(median(r.on)) : '—'} | ${r.on.length ? (median(r.on) / median(r.off)).toFixed(2) : '—'} | `
    + `${r.offCpu.length ? f(median(r.offCpu), 1) : '—'} | ${r.onCpu.length ? f(median(r.onCpu), 1) : '—'} | ${r.page ? f(r.page.p50, 2) : '—'} | ${r.page ? f(r.page.p99, 2) : '—'} | ${r.page ? f(r.page.cpuUs) : '—'} |`),
];
const report = lines.join('\n');
console.log(`\n${report}`);
if (values.out) fs.writeFileSync(values.out, `${report}\n`);
