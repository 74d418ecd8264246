// Offline user management: used by the CLI (adduser/passwd/deluser) with the storage opened directly, and later by
// admin commands over the admin socket. Every failure is an AdminError carrying the CLI exit code (ARCHITECTURE C9):
// 1 = the operation failed (user exists, no such user), 2 = usage error (bad JID, unknown host, unusable password).
import { deriveCredentials } from '../auth/credentials.js';
import { parseJid } from '../jid.js';
import type { LoadedConfig } from '../config/schema.js';
import type { StorageDriver } from '../storage/types.js';
import { recordDeletedAccount } from '../core/deleted-accounts.js';

export class AdminError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'AdminError';
  }
}

/** Which hosts accounts may be managed on, and the config file they come from (for messages). */
export interface HostScope {
  hosts: readonly string[];
  configFile?: string | null;
}

/** Every configured host of a loaded config (disabled ones too: their accounts can still be managed). */
export function hostScope(config: Pick<LoadedConfig, 'hosts' | 'file'>): HostScope {
  return { hosts: Object.keys(config.hosts), configFile: config.file };
}

export interface UserAddress {
  local: string;    // prepped localpart, as accounts are stored
  domain: string;   // a configured host
  bare: string;     // local@domain
}

/** Parses and checks a user's JID: bare, with a localpart, on a configured host. Throws AdminError (exit code 2). */
export function resolveUser(jidString: string, scope: HostScope): UserAddress {
  let jid;
  try {
    jid = parseJid(jidString.trim());
  } catch (err) {
    throw new AdminError(`"${jidString}" is not a valid JID: ${(err as Error).message}`, 2);
  }
  if (!jid.local) throw new AdminError(`"${jidString}" has no user part: give a JID such as alice@${scope.hosts[0] ?? 'example.com'}`, 2);
  if (jid.resource) throw new AdminError(`"${jidString}" has a resource: give the bare JID ${jid.bare()}`, 2);
  if (!scope.hosts.includes(jid.domain)) {
    const where = scope.configFile ? ` in ${scope.configFile}` : ' in the configuration';
    const known = scope.hosts.length ? ` (hosts: ${scope.hosts.join(', ')})` : '';
    throw new AdminError(`${jid.domain} is not a host${where}${known}`, 2);
  }
  return { local: jid.local, domain: jid.domain, bare: `${jid.local}@${jid.domain}` };
}

async function credentialsFor(password: string, iterations: number) {
  if (password.length === 0) throw new AdminError('the password is empty', 2);
  try {
    return await deriveCredentials(password, iterations);
  } catch (err) {
    if (err instanceof RangeError) throw err;   // a bad iteration count is a programming/config error
    throw new AdminError((err as Error).message, 2);
  }
}

/** Creates an account. AdminError(1) when it exists already. */
export async function addUser(
  storage: StorageDriver, jidString: string, password: string, iterations: number, scope: HostScope,
): Promise<void> {
  const user = resolveUser(jidString, scope);
  if (await storage.accounts.get(user.domain, user.local)) throw new AdminError(`user ${user.bare} already exists`, 1);
  const creds = await credentialsFor(password, iterations);
  if (!await storage.accounts.create(user.domain, user.local, creds)) {
    throw new AdminError(`user ${user.bare} already exists`, 1);
  }
}

/** Replaces an account's password. AdminError(1) when there is no such account. */
export async function changePassword(
  storage: StorageDriver, jidString: string, password: string, iterations: number, scope: HostScope,
): Promise<void> {
  const user = resolveUser(jidString, scope);
  if (!await storage.accounts.get(user.domain, user.local)) throw new AdminError(`user ${user.bare} does not exist`, 1);
  const creds = await credentialsFor(password, iterations);
  if (!await storage.accounts.setCredentials(user.domain, user.local, creds)) {
    throw new AdminError(`user ${user.bare} does not exist`, 1);
  }
}

/** Deletes an account and everything stored for it. AdminError(1) when there is no such account. */
export async function deleteUser(storage: StorageDriver, jidString: string, scope: HostScope): Promise<void> {
  const user = resolveUser(jidString, scope);
  if (!await storage.accounts.get(user.domain, user.local)) throw new AdminError(`user ${user.bare} does not exist`, 1);
  await storage.purgeUser(user.domain, user.local);
  await storage.accounts.delete(user.domain, user.local);   // no-op when purgeUser already removed the row
  // No server runs the modules' cleanup now (room affiliations, uploaded files): the next start does.
  await recordDeletedAccount(storage, user.domain, user.local);
}
