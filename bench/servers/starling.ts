// Starling under test, as its own process: the current sources are transpiled (TypeScript's transpileModule, no
// type check, about a second) into the work directory and run with plain node, as a built release would run; no tsx
// loader thread in the measured process. `fromSource` runs bin/starling.js through tsx instead. Accounts are written
// straight into its SQLite store through the storage API.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { builtinModules } from '../../modules/index.js';
import { deriveCredentials } from '../../src/auth/credentials.js';
import { openStorage } from '../../src/storage/index.js';
import { VERSION } from '../../src/version.js';
import type { ServerTarget } from '../lib/client.js';
import { BENCH_DOMAIN, BENCH_PASSWORD, ManagedProcess, ensureDir, freePort, logPath, userName, waitForPort, type ServerUnderTest } from './types.js';
import type { CertificatePair } from '../../src/net/certs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ITERATIONS = 4096;

export class StarlingServer implements ServerUnderTest {
  readonly name = 'starling';
  readonly version = VERSION;
  readonly mechanisms = ['SCRAM-SHA-1', 'SCRAM-SHA-256'];
  readonly hasRoster = builtinModules.has('roster');
  readonly hasMuc = builtinModules.has('muc');
  target: ServerTarget = { domain: BENCH_DOMAIN, address: '127.0.0.1', port: 0 };
  #dir: string;
  #cert: { cert: string; key: string };
  #proc: ManagedProcess | null = null;
  /** Extra node flags for the server process, e.g. --cpu-prof. */
  nodeArgs: string[] = [];
  /** Run the sources through tsx (bin/starling.js) instead of a transpiled copy. */
  fromSource = false;
  /** Module options replacing the bench defaults, or modules loaded besides them (the soak run's rooms), when built in. */
  moduleOptions: Record<string, object> = {};
  #launcher = '';

  constructor(workDir: string, cert: { certPath: string; keyPath: string; pair: CertificatePair }) {
    this.#dir = ensureDir(path.join(workDir, 'starling'));
    this.#cert = { cert: cert.certPath, key: cert.keyPath };
  }

  get dir(): string {
    return this.#dir;
  }

  async prepare(users: number): Promise<void> {
    this.target.port = await freePort();
    const httpPort = await freePort();
    this.target.wsUrl = `ws://127.0.0.1:${httpPort}/xmpp-websocket`;
    const dbPath = path.join(this.#dir, 'starling.db');
    // The feature set the anchors run with: roster, presence, message delivery rules, offline storage, disco, ping.
    const modules: Record<string, object> = {};
    for (const m of ['disco', 'ping', 'roster', 'presence', 'message', 'offline', 'muc', 'websocket']) if (builtinModules.has(m)) modules[m] = {};
    // No per-occupant rate limit in the muc scenario (the anchors run without one either).
    if (modules.muc) modules.muc = { limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000 } };
    for (const [m, opts] of Object.entries(this.moduleOptions)) if (builtinModules.has(m)) modules[m] = opts;
    const config = {
      hosts: { [BENCH_DOMAIN]: { tls: this.#cert } },
      listen: [
        { service: 'c2s', address: '127.0.0.1', port: this.target.port, tls: 'starttls' },
        { service: 'http', address: '127.0.0.1', port: httpPort, tls: 'none', maxConnections: 1_000_000 },
      ],
      dataDir: this.#dir,
      certsDir: path.join(this.#dir, 'certs'),
      storage: { driver: 'sqlite', path: dbPath },
      log: { level: 'warn', format: 'json' },
      // Generous limits: the bench opens thousands of connections from one address.
      limits: { maxConnectionsPerIp: 1_000_000, maxUnauthenticated: 1_000_000, authTimeoutSeconds: 3600, keepaliveSeconds: 3600, idleTimeoutSeconds: 7200 },
      auth: { requireEncryption: false, scramIterations: ITERATIONS, maxFailures: 1_000_000, failureDelayMs: 0 },
      modules,
    };
    fs.writeFileSync(path.join(this.#dir, 'starling.yaml'), JSON.stringify(config, null, 2));
    const storage = await openStorage({ driver: 'sqlite', path: dbPath });
    try {
      const have = new Set(await storage.accounts.list(BENCH_DOMAIN));
      const todo: number[] = [];
      for (let i = 1; i <= users; i++) if (!have.has(userName(i))) todo.push(i);
      // PBKDF2 runs on the libuv pool; keep a few derivations in flight.
      const batch = 64;
      for (let k = 0; k < todo.length; k += batch) {
        const slice = todo.slice(k, k + batch);
        const creds = await Promise.all(slice.map(() => deriveCredentials(BENCH_PASSWORD, ITERATIONS)));
        for (let j = 0; j < slice.length; j++) await storage.accounts.create(BENCH_DOMAIN, userName(slice[j]!), creds[j]!);
      }
    } finally {
      await storage.close();
    }
  }

  /** Transpiles src/ and modules/ to JavaScript under the work dir, with node_modules linked beside them. */
  #build(): string {
    const out = path.join(this.#dir, 'build');
    fs.rmSync(out, { recursive: true, force: true });
    const walk = (rel: string) => {
      for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
        const r = path.join(rel, e.name);
        if (e.isDirectory()) walk(r);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
          const js = ts.transpileModule(fs.readFileSync(path.join(ROOT, r), 'utf8'), {
            compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            fileName: r,
          }).outputText;
          fs.mkdirSync(path.join(out, rel), { recursive: true });
          fs.writeFileSync(path.join(out, r.replace(/\.ts$/, '.js')), js);
        }
      }
    };
    walk('src');
    walk('modules');
    fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'module' }));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
    const launcher = path.join(out, 'launch.js');
    // With STARLING_LAG_FILE set (the soak run), the server process also writes its own event-loop delay (p99 and max
    // since the last write, ms, beyond the 10 ms sampling period) to that file every second.
    fs.writeFileSync(launcher, [
      "import { writeFileSync } from 'node:fs';",
      "import { monitorEventLoopDelay } from 'node:perf_hooks';",
      "import { main } from './src/cli/main.js';",
      'const lagFile = process.env.STARLING_LAG_FILE;',
      'if (lagFile) {',
      '  const h = monitorEventLoopDelay({ resolution: 10 });',
      '  h.enable();',
      // The histogram holds whole timer periods: the 10 ms resolution is taken off, leaving the delay itself.
      '  const lag = (ns) => Math.max(0, ns / 1e6 - 10);',
      '  setInterval(() => { writeFileSync(lagFile, JSON.stringify({ p99: lag(h.percentile(99)), max: lag(h.max) })); h.reset(); }, 1000).unref();',
      '}',
      'process.exitCode = await main(process.argv);',
      '',
    ].join('\n'));
    return launcher;
  }

  async start(): Promise<void> {
    const cfg = path.join(this.#dir, 'starling.yaml');
    if (!this.fromSource && !this.#launcher) this.#launcher = this.#build();
    const entry = this.fromSource ? path.join(ROOT, 'bin/starling.js') : this.#launcher;
    this.#proc = new ManagedProcess(process.execPath, [...this.nodeArgs, entry, '-c', cfg, 'start'], {
      cwd: this.#dir,
      env: { ...process.env, STARLING_FROM_SOURCE: '1' },
      logFile: logPath(this.#dir, 'starling'),
    });
    await waitForPort(this.target.port, this.#proc.child, 60_000, 'starling');
  }

  async stop(): Promise<void> {
    await this.#proc?.stop();
    this.#proc = null;
  }

  pids(): number[] {
    return this.#proc?.pids() ?? [];
  }
}
