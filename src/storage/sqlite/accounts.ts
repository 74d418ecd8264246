// The `accounts` table: one row per (host, username) with SCRAM credentials as JSON text.
import type { StoredCredentials } from '../../auth/types.js';
import type { AccountRecord, AccountStore } from '../types.js';
import { toJson } from '../ids.js';
import type { SqliteContext } from './context.js';

interface AccountRow { credentials: string; disabled: number; created_at: number }

export class SqliteAccountStore implements AccountStore {
  private readonly insert;
  private readonly select;
  private readonly updateCredentials;
  private readonly updateDisabled;
  private readonly remove;
  private readonly listUsers;

  constructor(private readonly ctx: SqliteContext) {
    this.insert = ctx.stmt<[string, string, string, number]>(
      'INSERT INTO accounts (host, username, credentials, disabled, created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (host, username) DO NOTHING');
    this.select = ctx.stmt<[string, string], AccountRow>(
      'SELECT credentials, disabled, created_at FROM accounts WHERE host = ? AND username = ?');
    this.updateCredentials = ctx.stmt<[string, string, string]>(
      'UPDATE accounts SET credentials = ? WHERE host = ? AND username = ?');
    this.updateDisabled = ctx.stmt<[number, string, string]>(
      'UPDATE accounts SET disabled = ? WHERE host = ? AND username = ?');
    this.remove = ctx.stmt<[string, string]>('DELETE FROM accounts WHERE host = ? AND username = ?');
    this.listUsers = ctx.stmt<[string], { username: string }>('SELECT username FROM accounts WHERE host = ? ORDER BY username');
  }

  async create(host: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    this.ctx.assertOpen();
    return this.insert.run(host, username, toJson(credentials), Date.now()).changes === 1;
  }

  async get(host: string, username: string): Promise<AccountRecord | null> {
    this.ctx.assertOpen();
    const row = this.select.get(host, username);
    if (!row) return null;
    return {
      host, username,
      credentials: JSON.parse(row.credentials) as StoredCredentials,
      disabled: row.disabled !== 0,
      createdAt: row.created_at,
    };
  }

  async setCredentials(host: string, username: string, credentials: StoredCredentials): Promise<boolean> {
    this.ctx.assertOpen();
    return this.updateCredentials.run(toJson(credentials), host, username).changes === 1;
  }

  async setDisabled(host: string, username: string, disabled: boolean): Promise<boolean> {
    this.ctx.assertOpen();
    return this.updateDisabled.run(disabled ? 1 : 0, host, username).changes === 1;
  }

  async delete(host: string, username: string): Promise<boolean> {
    this.ctx.assertOpen();
    return this.remove.run(host, username).changes === 1;
  }

  async list(host: string): Promise<string[]> {
    this.ctx.assertOpen();
    return this.listUsers.all(host).map((r) => r.username);
  }
}
