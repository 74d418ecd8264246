// WAL checkpoints on a worker thread. SQLite's automatic checkpoint runs inside the commit that crosses the
// threshold, on the event loop: copying every page the WAL holds back into the database file and fsyncing it
// took 11% of the server's time with archiving on, as stalls of tens of milliseconds (perf, bench/RESULTS.md).
// A second connection on a worker thread runs PASSIVE checkpoints instead (they never block the writer), and
// the main connection keeps a far higher automatic threshold as a safety net should the worker fall behind or
// stop. The worker starts a little after the database opens, so short-lived opens (CLI commands, most tests)
// never pay for a thread.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  path: string;
  synchronous: 'normal' | 'full';
  /** Between checkpoints. */
  intervalMs: number;
  /** Before the first one (and before the thread starts). */
  startAfterMs: number;
  onError(err: Error): void;
}

// The worker is evaluated CommonJS (no file to find next to this one in every build layout); better-sqlite3 is
// loaded by the path this module resolves.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 1000');
const step = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
};
const timer = setInterval(step, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');

export class Checkpointer {
  #worker: Worker | null = null;
  #starting: NodeJS.Timeout | null;
  #stopped = false;

  constructor(private readonly opts: CheckpointerOptions) {
    this.#starting = setTimeout(() => this.#start(), opts.startAfterMs);
    this.#starting.unref();
  }

  #start(): void {
    this.#starting = null;
    if (this.#stopped) return;
    const { path, synchronous, intervalMs } = this.opts;
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { sqlite: sqliteModule, path, synchronous, intervalMs } });
    w.unref();
    w.on('message', (m: { error?: string }) => {
      if (m.error) this.opts.onError(new Error(`WAL checkpoint failed: ${m.error}`));
    });
    w.on('error', (err) => this.opts.onError(err));
    w.on('exit', () => {
      if (this.#worker === w) this.#worker = null;
    });
    this.#worker = w;
  }

  /** Whether the worker thread is running (for tests). */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** Stops the worker (its connection closes) and waits for it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#starting) clearTimeout(this.#starting);
    const w = this.#worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('stop');
    await exited;
  }
}
