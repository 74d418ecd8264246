// Batched archive inserts (ArchiveStore.appendMany) on a worker thread with its own connection to the same database
// file. An archived message costs the main thread a structured clone instead of SQLite's work on the table and its
// four indexes, and that work moves to the second core. Commits stay durable: appendMany resolves only after the
// worker's transaction committed. Reads stay on the main connection; WAL lets them run beside the worker's writes
// and see every transaction committed before they start.
//
// The worker is inline CommonJS code (eval), so it runs the same way from the TypeScript sources, the build and the
// bench's transpiled copy.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { duplicateItem } from '../ids.js';

export interface WriterRow {
  host: string;
  store: string;
  owner: string;
  /** Given id (a duplicate rolls the whole batch back), or undefined for a generated one. */
  id: string | undefined;
  when: number;
  with: string;
  kind: string;
  xml: string;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('cache_size = -65536');
const insert = db.prepare('INSERT INTO archive (host, store, owner, stanza_id, ts, with_bare, kind, xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, store, owner, stanza_id) DO NOTHING');
class Duplicate extends Error {}
const run = db.transaction((rows) => rows.map((r) => {
  for (;;) {
    const id = r.id === undefined ? randomBytes(12).toString('base64url') : r.id;
    const info = insert.run(r.host, r.store, r.owner, id, r.when, r.with, r.kind, r.xml);
    if (info.changes === 1) return [id, Number(info.lastInsertRowid)];
    if (r.id !== undefined) throw new Duplicate(r.id);
  }
}));
parentPort.on('message', (m) => {
  if (m.close) {
    db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  try {
    parentPort.postMessage({ seq: m.seq, ok: true, items: run(m.rows) });
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, ok: false, duplicate: err instanceof Duplicate ? err.message : undefined, message: String((err && err.message) || err) });
  }
});
parentPort.postMessage({ ready: true });
`;

interface Reply {
  seq?: number;
  ok?: boolean;
  items?: [string, number][];
  duplicate?: string;
  message?: string;
  ready?: boolean;
  closed?: boolean;
}

export class ArchiveWriter {
  #worker: Worker;
  #seq = 0;
  #pending = new Map<number, { resolve(items: [string, number][]): void; reject(err: Error): void }>();
  #failed: Error | null = null;
  #closed: Promise<void> | null = null;

  constructor(path: string, synchronous: 'normal' | 'full') {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, synchronous: synchronous === 'full' ? 'FULL' : 'NORMAL', driver } });
    // Idle, it must not keep the process alive; while a batch is out, the pending promise's owner waits for it.
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => this.#onReply(m));
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the archive writer thread exited (${code})`)));
  }

  /** Inserts the rows in one transaction on the worker; resolves with [id, sortId] per row once committed. */
  append(rows: readonly WriterRow[]): Promise<[string, number][]> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ seq, rows });
    });
  }

  /** Resolves when every batch handed over so far has been committed (or failed). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#pending.keys()].map((seq) => new Promise<void>((resolve) => {
      const p = this.#pending.get(seq);
      if (!p) return resolve();
      const { resolve: ok, reject: ko } = p;
      this.#pending.set(seq, { resolve: (v) => { ok(v); resolve(); }, reject: (e) => { ko(e); resolve(); } });
    })));
  }

  /** Waits for the batches in flight, closes the worker's connection and ends the thread. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.drain();
      if (this.#failed) return;
      this.#worker.ref();
      const done = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
      this.#worker.postMessage({ close: true });
      await done;
    })();
    return this.#closed;
  }

  #onReply(m: Reply): void {
    if (m.ready) return;
    if (m.closed) {
      void this.#worker.terminate();
      return;
    }
    const p = m.seq === undefined ? undefined : this.#pending.get(m.seq);
    if (!p) return;
    this.#pending.delete(m.seq!);
    if (this.#pending.size === 0) this.#worker.unref();
    if (m.ok) p.resolve(m.items!);
    else p.reject(m.duplicate !== undefined ? duplicateItem(m.duplicate) : new Error(`archive write failed: ${m.message}`));
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
