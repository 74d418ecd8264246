// Runs scenarios against servers: prepares each server once (config + accounts), then for each repetition runs
// every server back to back (interleaved, so drifting background load hits all of them alike), restarting the
// server before each scenario so scenarios do not inherit each other's state.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSelfSigned, writeCertificate } from '../src/net/certs.js';
import { PRESETS } from './params.js';
import { SCENARIOS } from './scenarios/index.js';
import type { BenchParams, Metric, Scenario } from './scenarios/types.js';
import { EjabberdServer } from './servers/ejabberd.js';
import { ProsodyServer, commandExists } from './servers/prosody.js';
import { StarlingServer } from './servers/starling.js';
import type { ServerName, ServerUnderTest } from './servers/types.js';

export interface RunOptions {
  servers: ServerName[];
  scenarios: string[];
  preset: keyof typeof PRESETS;
  reps: number;
  /** 'scenario': a fresh server per scenario (default); 'run': one start per repetition (fast smoke runs). */
  restart: 'scenario' | 'run';
  workDir?: string;
  keep?: boolean;
  /** tcp (default) or ws: every scenario's clients use XMPP over WebSocket (RFC 7395) instead of TCP. */
  transport?: 'tcp' | 'ws';
  /** Extra node flags for the Starling process (e.g. --cpu-prof). */
  starlingNodeArgs?: string[];
  /** Built-in modules Starling loads besides the bench set, with default options. */
  starlingModules?: string[];
  log?: (msg: string) => void;
}

export interface ServerResult {
  name: ServerName;
  version: string;
  /** metric key -> values, one per repetition */
  values: Map<string, number[]>;
  metrics: Map<string, Metric>;
  notes: string[];
}

export interface RunResult {
  params: BenchParams;
  reps: number;
  servers: ServerResult[];
  startedAt: Date;
  seconds: number;
  workDir: string;
  transport: 'tcp' | 'ws';
}

export function availableServers(names: ServerName[], log: (m: string) => void): ServerName[] {
  return names.filter((n) => {
    if (n === 'prosody' && !commandExists('prosody')) {
      log('prosody is not installed (apt-get install -y prosody): skipped');
      return false;
    }
    if (n === 'ejabberd' && !(commandExists('erl') && fs.existsSync('/usr/lib/x86_64-linux-gnu/ejabberd-23.01'))) {
      log('ejabberd is not installed (apt-get install -y ejabberd): skipped');
      return false;
    }
    return true;
  });
}

export async function runBench(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? ((m: string) => console.log(m));
  const params = PRESETS[o.preset];
  const scenarios: Scenario[] = o.scenarios.map((name) => {
    const s = SCENARIOS.find((x) => x.name === name);
    if (!s) throw new Error(`unknown scenario ${name} (known: ${SCENARIOS.map((x) => x.name).join(', ')})`);
    return s;
  });
  const workDir = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'starling-bench-'));
  const startedAt = new Date();
  const certDir = path.join(workDir, 'certs');
  const certPaths = writeCertificate(certDir, 'localhost', generateSelfSigned('localhost'));
  const cert = { ...certPaths, pair: { cert: fs.readFileSync(certPaths.certPath, 'utf8'), key: fs.readFileSync(certPaths.keyPath, 'utf8') } };

  const servers: ServerUnderTest[] = o.servers.map((n) => {
    if (n === 'starling') {
      const s = new StarlingServer(workDir, cert);
      s.nodeArgs = o.starlingNodeArgs ?? [];
      for (const m of o.starlingModules ?? []) s.moduleOptions[m] = {};
      return s;
    }
    return n === 'prosody' ? new ProsodyServer(workDir, cert) : new EjabberdServer(workDir, cert);
  });
  const results: ServerResult[] = servers.map((s) => ({ name: s.name, version: s.version, values: new Map(), metrics: new Map(), notes: [] }));
  const users = Math.max(1, ...scenarios.map((s) => s.users(params)));

  try {
    for (const s of servers) {
      const t0 = performance.now();
      log(`[${s.name} ${s.version}] creating ${users} accounts...`);
      await s.prepare(users);
      // Accounts are created over TCP; the transport applies to the scenarios.
      s.target.transport = o.transport ?? 'tcp';
      log(`[${s.name}] ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    for (let rep = 1; rep <= o.reps; rep++) {
      for (let k = 0; k < servers.length; k++) {
        const server = servers[k]!;
        const res = results[k]!;
        const ctx = { server, params, log: (m: string) => log(`[${server.name} #${rep}] ${m}`) };
        let running = false;
        try {
          for (const sc of scenarios) {
            const why = sc.skip?.(ctx) ?? null;
            if (why) {
              if (rep === 1) res.notes.push(`${sc.name}: ${why}`);
              ctx.log(`${sc.name} skipped: ${why}`);
              continue;
            }
            if (running && o.restart === 'scenario') {
              await server.stop();
              running = false;
            }
            if (!running) {
              await server.start();
              running = true;
            }
            let metrics: Metric[];
            try {
              metrics = await sc.run(ctx);
            } catch (err) {
              // One failed scenario (a timeout on an anchor, say) is reported, not fatal to the whole comparison.
              const msg = `${sc.name} failed in repetition ${rep}: ${(err as Error).message}`;
              res.notes.push(msg);
              ctx.log(msg);
              await server.stop();
              running = false;
              continue;
            }
            for (const m of metrics) {
              res.metrics.set(m.key, m);
              const list = res.values.get(m.key);
              if (list) list.push(m.value);
              else res.values.set(m.key, [m.value]);
            }
          }
        } finally {
          if (running) await server.stop();
        }
      }
    }
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    if (!o.keep) fs.rmSync(workDir, { recursive: true, force: true });
  }
  return { params, reps: o.reps, servers: results, startedAt, seconds: (Date.now() - startedAt.getTime()) / 1000, workDir, transport: o.transport ?? 'tcp' };
}
