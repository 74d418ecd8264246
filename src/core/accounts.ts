// Account operations for modules of one host (in-band registration, admin commands): the same
// rules as the CLI, plus what only a running server can do (sessions, the user-deleted event).
import { randomBytes } from 'node:crypto';
import { deriveCredentials, fakeCredentials, verifyPassword } from '../auth/credentials.js';
import type { AccountsApi } from '../api/index.js';
import type { StorageDriver } from '../storage/types.js';
import { announceDeletedAccount, recordDeletedAccount, settleDeletedAccount } from './deleted-accounts.js';
import { StreamError } from './errors.js';
import type { VirtualHost } from './host.js';

export function createAccountsApi(host: VirtualHost, storage: StorageDriver, iterations: number): AccountsApi {
  return {
    async exists(username) {
      return (await storage.accounts.get(host.name, username)) !== null;
    },
    async create(username, password) {
      if (await storage.accounts.get(host.name, username)) return false;
      return storage.accounts.create(host.name, username, await deriveCredentials(password, iterations));
    },
    async setPassword(username, password) {
      return storage.accounts.setCredentials(host.name, username, await deriveCredentials(password, iterations));
    },
    async delete(username) {
      if (!(await storage.accounts.get(host.name, username))) return false;
      await storage.purgeUser(host.name, username);
      await storage.accounts.delete(host.name, username);
      // Journalled until every handler ran: a crash in between replays the event at the next start.
      await recordDeletedAccount(storage, host.name, username);
      await announceDeletedAccount(host, username);
      await settleDeletedAccount(storage, host.name, username);
      for (const session of [...host.sessions.ofUser(username).values()]) {
        session.close(new StreamError('not-authorized', 'this account has been deleted'));
      }
      return true;
    },
    async checkPassword(username, password) {
      const account = await storage.accounts.get(host.name, username);
      // Unknown users cost the same PBKDF2 as real ones (no account enumeration by timing).
      const creds = account?.credentials ?? fakeCredentials(FAKE_SECRET, username, iterations);
      const ok = await verifyPassword(creds, password);
      return ok && account !== null && !account.disabled;
    },
  };
}

/** Salts for fake credentials only need to be unpredictable per process: nothing is ever compared with them. */
const FAKE_SECRET = randomBytes(32);
