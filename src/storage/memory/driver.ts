// The memory storage driver: for unit tests and `storage.driver: memory`. It passes the same contract
// suite as the SQLite driver (test/contract/storage.test.ts); nothing survives a restart.
import type { StoredCredentials } from '../../auth/types.js';
import type { AccountRecord, AccountStore, StorageDriver, StoreTypes } from '../types.js';
import { compareCodePoints, toJson } from '../ids.js';
import { MemoryArchiveStore } from './archive.js';
import { MemoryKeyValueStore, MemoryMapStore } from './kv.js';
import { MemoryState, type AccountRow } from './state.js';

class MemoryAccountStore implements AccountStore {
  constructor(private readonly state: MemoryState) {}

  private users(host: string): Map<string, AccountRow> | undefined {
    return this.state.accounts.get(host);
  }

  async create(host: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    this.state.assertOpen();
    let users = this.users(host);
    if (users?.has(username)) return false;
    const row: AccountRow = { credentials: toJson(credentials), disabled: false, createdAt: Date.now() };
    if (!users) this.state.accounts.set(host, (users = new Map()));
    users.set(username, row);
    return true;
  }

  async get(host: string, username: string): Promise<AccountRecord | null> {
    this.state.assertOpen();
    const row = this.users(host)?.get(username);
    if (!row) return null;
    return { host, username, credentials: JSON.parse(row.credentials) as StoredCredentials, disabled: row.disabled, createdAt: row.createdAt };
  }

  async setCredentials(host: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    this.state.assertOpen();
    const row = this.users(host)?.get(username);
    if (!row) return false;
    row.credentials = toJson(credentials);
    return true;
  }

  async setDisabled(host: string, username: string, disabled: boolean): Promise<boolean> {
    this.state.assertOpen();
    const row = this.users(host)?.get(username);
    if (!row) return false;
    row.disabled = disabled;
    return true;
  }

  async delete(host: string, username: string): Promise<boolean> {
    this.state.assertOpen();
    const users = this.users(host);
    const existed = users?.delete(username) ?? false;
    if (users?.size === 0) this.state.accounts.delete(host);
    return existed;
  }

  async list(host: string): Promise<string[]> {
    this.state.assertOpen();
    return [...(this.users(host)?.keys() ?? [])].sort(compareCodePoints);
  }
}

export class MemoryStorage implements StorageDriver {
  readonly name = 'memory' as const;
  readonly accounts: AccountStore;
  private readonly state = new MemoryState();
  private readonly stores = new Map<string, StoreTypes[keyof StoreTypes]>();

  constructor() {
    this.accounts = new MemoryAccountStore(this.state);
  }

  open<K extends keyof StoreTypes>(host: string, store: string, kind: K): StoreTypes[K] {
    this.state.assertOpen();
    const cacheKey = JSON.stringify([kind, host, store]);
    let s = this.stores.get(cacheKey);
    if (!s) {
      switch (kind) {
        case 'keyval': s = new MemoryKeyValueStore(this.state, host, store); break;
        case 'map': s = new MemoryMapStore(this.state, host, store); break;
        case 'archive': s = new MemoryArchiveStore(this.state, host, store); break;
        default: throw new TypeError(`unknown store kind "${String(kind)}"`);
      }
      this.stores.set(cacheKey, s);
    }
    return s as StoreTypes[K];
  }

  async migrate(): Promise<void> {
    this.state.assertOpen();
  }

  async purgeUser(host: string, user: string): Promise<void> {
    this.state.assertOpen();
    await this.accounts.delete(host, user);
    for (const users of this.state.kv.get(host)?.values() ?? []) users.delete(user);
    for (const owners of this.state.archive.get(host)?.values() ?? []) owners.delete(user);
  }

  async close(): Promise<void> {
    this.state.closed = true;
  }
}

export function createMemoryStorage(): MemoryStorage {
  return new MemoryStorage();
}
