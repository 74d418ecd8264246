// Account deletions whose 'user-deleted' event has not run yet. The event is how modules clean what purgeUser
// cannot reach because it is not stored under the account (MUC affiliations, uploaded files, directory entries).
// A deletion made with the server stopped (`starling user delete` offline), or one interrupted by a crash before its
// handlers ran, is kept here and its event fires at the next start, before any listener opens: an account deleted
// offline and registered again meanwhile does not inherit the old account's room affiliations.
import type { Logger } from '../log.js';
import type { MapStore, StorageDriver } from '../storage/types.js';
import type { VirtualHost } from './host.js';

export interface DeletedAccount {
  host: string;
  username: string;
  /** When it was deleted (ms since the epoch). */
  at: number;
}

/** Server-wide ('' host), one map entry per deleted bare JID (deleting the same name twice is one cleanup). */
const journal = (storage: StorageDriver) => storage.open('', 'deleted-accounts', 'map') as MapStore<DeletedAccount>;
const PENDING = 'pending';
const keyOf = (host: string, username: string) => `${username}@${host}`;

/** Remembers that `username@host` was deleted and its event has not run yet. */
export async function recordDeletedAccount(storage: StorageDriver, host: string, username: string): Promise<void> {
  await journal(storage).set(PENDING, keyOf(host, username), { host, username, at: Date.now() });
}

/** The deletion's event has run: forget it. */
export async function settleDeletedAccount(storage: StorageDriver, host: string, username: string): Promise<void> {
  await journal(storage).set(PENDING, keyOf(host, username), null);
}

/** Fires the host's and the server's 'user-deleted' for one deletion (handlers' errors are logged by the bus). */
export async function announceDeletedAccount(host: VirtualHost, username: string): Promise<void> {
  await host.bus.fire('user-deleted', { username });
  await host.serverBus.fire('user-deleted', { host: host.name, username });
}

/**
 * Runs the events of the deletions still pending, oldest first. Deletions on hosts this server does not run stay
 * pending until a start that runs them.
 */
export async function replayDeletedAccounts(storage: StorageDriver, hosts: ReadonlyMap<string, VirtualHost>, log: Logger): Promise<void> {
  const pending = [...(await journal(storage).getAll(PENDING)).values()].sort((a, b) => a.at - b.at);
  for (const d of pending) {
    const host = hosts.get(d.host);
    if (!host) continue;
    log.info({ jid: keyOf(d.host, d.username), deletedAt: new Date(d.at).toISOString() }, 'running the cleanup of an account deleted while the server was stopped');
    await announceDeletedAccount(host, d.username);
    await settleDeletedAccount(storage, d.host, d.username);
  }
}
