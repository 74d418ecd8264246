// In-memory keyval and map stores over one host -> store -> user -> key table (keyval uses key '').
import type { KeyValueStore, MapStore } from '../types.js';
import { compareCodePoints, toJson } from '../ids.js';
import type { MemoryState } from './state.js';

class MemoryKv {
  constructor(protected readonly state: MemoryState, protected readonly host: string, protected readonly store: string) {}

  protected rows(user: string, create: true): Map<string, string>;
  protected rows(user: string, create: false): Map<string, string> | undefined;
  protected rows(user: string, create: boolean): Map<string, string> | undefined {
    let stores = this.state.kv.get(this.host);
    if (!stores) {
      if (!create) return undefined;
      this.state.kv.set(this.host, (stores = new Map()));
    }
    let users = stores.get(this.store);
    if (!users) {
      if (!create) return undefined;
      stores.set(this.store, (users = new Map()));
    }
    let rows = users.get(user);
    if (!rows && create) users.set(user, (rows = new Map()));
    return rows;
  }

  protected read(user: string, key: string): unknown {
    const text = this.rows(user, false)?.get(key);
    return text === undefined ? null : JSON.parse(text);
  }

  protected write(user: string, key: string, value: unknown): void {
    if (value === null) {
      const rows = this.rows(user, false);
      rows?.delete(key);
      if (rows?.size === 0) this.state.kv.get(this.host)?.get(this.store)?.delete(user);
    } else {
      const text = toJson(value);
      this.rows(user, true).set(key, text);
    }
  }
}

export class MemoryKeyValueStore extends MemoryKv implements KeyValueStore {
  async get(user: string): Promise<unknown> {
    this.state.assertOpen();
    return this.read(user, '');
  }

  async set(user: string, value: unknown): Promise<void> {
    this.state.assertOpen();
    this.write(user, '', value);
  }
}

export class MemoryMapStore extends MemoryKv implements MapStore {
  async get(user: string, key: string): Promise<unknown> {
    this.state.assertOpen();
    return this.read(user, key);
  }

  async set(user: string, key: string, value: unknown): Promise<void> {
    this.state.assertOpen();
    this.write(user, key, value);
  }

  async getAll(user: string): Promise<Map<string, unknown>> {
    this.state.assertOpen();
    const rows = this.rows(user, false);
    const keys = [...(rows?.keys() ?? [])].sort(compareCodePoints);
    return new Map(keys.map((k) => [k, JSON.parse(rows!.get(k)!) as unknown]));
  }

  async deleteAll(user: string): Promise<void> {
    this.state.assertOpen();
    this.state.kv.get(this.host)?.get(this.store)?.delete(user);
  }
}
