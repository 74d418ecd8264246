// keyval and map stores over the generic `kv` table (keyval uses key '').
import type { KeyValueStore, MapStore } from '../types.js';
import { toJson } from '../ids.js';
import type { SqliteContext } from './context.js';

class SqliteKv {
  private readonly selectOne;
  private readonly upsert;
  private readonly deleteOne;

  constructor(protected readonly ctx: SqliteContext, protected readonly host: string, protected readonly store: string) {
    this.selectOne = ctx.stmt<[string, string, string, string], { value: string }>(
      'SELECT value FROM kv WHERE host = ? AND store = ? AND owner = ? AND key = ?');
    this.upsert = ctx.stmt<[string, string, string, string, string]>(
      'INSERT INTO kv (host, store, owner, key, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT (host, store, owner, key) DO UPDATE SET value = excluded.value');
    this.deleteOne = ctx.stmt<[string, string, string, string]>(
      'DELETE FROM kv WHERE host = ? AND store = ? AND owner = ? AND key = ?');
  }

  protected read(user: string, key: string): unknown {
    this.ctx.assertOpen();
    const row = this.selectOne.get(this.host, this.store, user, key);
    return row ? JSON.parse(row.value) : null;
  }

  protected write(user: string, key: string, value: unknown): void {
    this.ctx.assertOpen();
    if (value === null) this.deleteOne.run(this.host, this.store, user, key);
    else this.upsert.run(this.host, this.store, user, key, toJson(value));
  }
}

export class SqliteKeyValueStore extends SqliteKv implements KeyValueStore {
  async get(user: string): Promise<unknown> {
    return this.read(user, '');
  }

  async set(user: string, value: unknown): Promise<void> {
    this.write(user, '', value);
  }
}

export class SqliteMapStore extends SqliteKv implements MapStore {
  private readonly selectAll;
  private readonly deleteUser;

  constructor(ctx: SqliteContext, host: string, store: string) {
    super(ctx, host, store);
    this.selectAll = ctx.stmt<[string, string, string], { key: string; value: string }>(
      'SELECT key, value FROM kv WHERE host = ? AND store = ? AND owner = ? ORDER BY key');
    this.deleteUser = ctx.stmt<[string, string, string]>('DELETE FROM kv WHERE host = ? AND store = ? AND owner = ?');
  }

  async get(user: string, key: string): Promise<unknown> {
    return this.read(user, key);
  }

  async set(user: string, key: string, value: unknown): Promise<void> {
    this.write(user, key, value);
  }

  async getAll(user: string): Promise<Map<string, unknown>> {
    this.ctx.assertOpen();
    return new Map(this.selectAll.all(this.host, this.store, user).map((r) => [r.key, JSON.parse(r.value) as unknown]));
  }

  async deleteAll(user: string): Promise<void> {
    this.ctx.assertOpen();
    this.deleteUser.run(this.host, this.store, user);
  }
}
