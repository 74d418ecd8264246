// The SQLite storage driver (better-sqlite3, synchronous underneath; every method is async for the
// sake of the interface). One connection; WAL, synchronous=NORMAL, busy_timeout=5000, foreign_keys=ON; WAL
// checkpoints on a worker thread with a connection of its own (checkpointer.ts).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { AccountStore, StorageDriver, StoreTypes } from '../types.js';
import { CHUNK_ROWS } from '../ids.js';
import { SqliteAccountStore } from './accounts.js';
import { purgeArchives, SqliteArchiveStore, storesOf } from './archive.js';
import { Budget, SqliteContext } from './context.js';
import { SqliteKeyValueStore, SqliteMapStore } from './kv.js';
import { Checkpointer } from './checkpointer.js';
import { MIGRATIONS, runMigrations, schemaVersion, tooNewError } from './migrations.js';

export class SqliteStorage implements StorageDriver {
  readonly name = 'sqlite' as const;
  readonly accounts: AccountStore;
  private readonly ctx: SqliteContext;
  private readonly stores = new Map<string, StoreTypes[keyof StoreTypes]>();

  /** Takes a configured and migrated connection; use openSqliteStorage(). */
  constructor(db: Database.Database, readonly path: string) {
    this.ctx = new SqliteContext(db, path);
    this.accounts = new SqliteAccountStore(this.ctx);
  }

  /** The connection, for tests and admin tools (backup, EXPLAIN). Modules must use the stores. */
  get database(): Database.Database {
    this.ctx.assertOpen();
    return this.ctx.db;
  }

  open<K extends keyof StoreTypes>(host: string, store: string, kind: K): StoreTypes[K] {
    this.ctx.assertOpen();
    const cacheKey = JSON.stringify([kind, host, store]);
    let s = this.stores.get(cacheKey);
    if (!s) {
      switch (kind) {
        case 'keyval': s = new SqliteKeyValueStore(this.ctx, host, store); break;
        case 'map': s = new SqliteMapStore(this.ctx, host, store); break;
        case 'archive': s = new SqliteArchiveStore(this.ctx, host, store); break;
        default: throw new TypeError(`unknown store kind "${String(kind)}"`);
      }
      this.stores.set(cacheKey, s);
    }
    return s as StoreTypes[K];
  }

  async migrate(): Promise<void> {
    this.ctx.assertOpen();
    runMigrations(this.ctx.db);
  }

  /** Account row first (so the user cannot log in meanwhile), then kv rows, then archives, in chunks. */
  async purgeUser(host: string, user: string): Promise<void> {
    this.ctx.assertOpen();
    await this.accounts.delete(host, user);
    const budget = new Budget();
    const kvChunk = this.ctx.stmt(
      `DELETE FROM kv WHERE host = ? AND store = ? AND owner = ? AND key IN (SELECT key FROM kv WHERE host = ? AND store = ? AND owner = ? LIMIT ${CHUNK_ROWS})`);
    for (const store of storesOf(this.ctx, host)) {
      await this.ctx.deleteInChunks(kvChunk, [host, store, user, host, store, user], budget);
    }
    await purgeArchives(this.ctx, host, user, budget);
  }

  #checkpointer: Checkpointer | null = null;

  /** WAL checkpoints on a worker thread from about a second after opening (see checkpointer.ts). */
  startCheckpointer(synchronous: 'normal' | 'full'): void {
    this.#checkpointer = new Checkpointer({
      path: this.path, synchronous, intervalMs: 500, startAfterMs: 1000,
      onError: (err) => {
        // Back to checkpointing inline, as without the worker.
        void this.#checkpointer?.stop();
        this.#checkpointer = null;
        if (!this.ctx.closed) this.ctx.db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
        process.emitWarning(`${err.message}; checkpointing on the main thread from now on`, 'StarlingStorageWarning');
      },
    });
  }

  /** Whether WAL checkpoints currently run on the worker thread. */
  get checkpointsOnWorker(): boolean {
    return this.#checkpointer?.running ?? false;
  }

  /** Checkpoints the WAL into the main file and closes. Later calls reject with code 'closed'. */
  async close(): Promise<void> {
    if (this.ctx.closed) return;
    this.ctx.closed = true;
    await this.#checkpointer?.stop();
    try {
      this.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.ctx.db.close();
    }
  }
}

/**
 * Opens (creating it and its directory if needed), configures and migrates a database file. Throws an
 * Error naming the path if the file cannot be opened, is not a database, or has a newer schema.
 */
/** The automatic checkpoint threshold (pages, 4 KB) without the worker: measured best of 1 000-100 000 inline. */
const INLINE_CHECKPOINT_PAGES = 10_000;
/** With the worker: only if it stopped or falls behind. */
const SAFETY_CHECKPOINT_PAGES = 100_000;

export function openSqliteStorage(path: string, synchronous: 'normal' | 'full' = 'normal'): SqliteStorage {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    db = new Database(path);
    // Refuse a newer schema before touching the file (journal mode included).
    const version = schemaVersion(db);
    if (version > MIGRATIONS.length) throw tooNewError(version, MIGRATIONS.length);
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a commit is in the WAL file (the OS page cache) when the call returns, so it survives kill -9
    // (test/adversarial/crash-durability.test.ts); only an OS crash or power loss can undo the last commits.
    // FULL closes that gap with an fsync per commit.
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536');
    // Checkpoints run on a worker thread (checkpointer.ts); this connection checkpoints itself only if the WAL
    // grows past what the worker would ever leave (it stopped, or cannot keep up).
    const worker = path !== ':memory:';
    db.pragma(`wal_autocheckpoint = ${worker ? SAFETY_CHECKPOINT_PAGES : INLINE_CHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = ON');
    runMigrations(db);
    const storage = new SqliteStorage(db, path);
    if (worker) storage.startCheckpointer(synchronous);
    return storage;
  } catch (err) {
    db?.close();
    const message = `cannot open SQLite database ${path}: ${err instanceof Error ? err.message : String(err)}`;
    const wrapped = new Error(message, { cause: err });
    if (err instanceof Error && 'code' in err) Object.assign(wrapped, { code: err.code });
    throw wrapped;
  }
}
