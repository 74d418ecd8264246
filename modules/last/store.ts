// When each user last went offline, with the status text of that unavailable presence: one keyval
// row per user, deleted with the account.
import type { KeyValueStore } from '../../src/api/index.js';

export interface LastLogout {
  /** ms since the epoch */
  at: number;
  status: string;
}

export class LastStore {
  constructor(private readonly kv: KeyValueStore) {}

  async get(user: string): Promise<LastLogout | null> {
    const v = (await this.kv.get(user)) as LastLogout | null;
    return v && typeof v.at === 'number' ? v : null;
  }

  set(user: string, value: LastLogout): Promise<void> {
    return this.kv.set(user, value);
  }
}
