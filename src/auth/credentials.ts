// Password handling: SCRAM key derivation for storage (RFC 5802 §3), password verification for PLAIN, fake
// credentials for unknown users, and the string preparation (SASLprep, localpart) shared by the mechanisms.
//
// Passwords are never stored; only salt, iteration count, StoredKey and ServerKey for SHA-1 and SHA-256.
// PBKDF2 always runs through the async `crypto.pbkdf2` (libuv thread pool), never on the event loop.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { domainToASCII } from 'node:url';
import saslprep from 'saslprep';
import type { ScramCredential, ScramHash, StoredCredentials } from './types.js';

export const SALT_BYTES = 16;
/** Upper bound for iteration counts we derive or verify with (a corrupt record must not pin a pool thread). */
export const MAX_ITERATIONS = 10_000_000;
/** Longest password accepted (UTF-8 bytes, before preparation). */
export const MAX_PASSWORD_BYTES = 1024;
/** RFC 7622 §3.3: a localpart is at most 1023 bytes. */
const MAX_LOCALPART_BYTES = 1023;

export const SCRAM_HASHES: readonly ScramHash[] = ['SHA-1', 'SHA-256'];

/** Node's name for a SCRAM hash. */
export function nodeHashName(hash: ScramHash): 'sha1' | 'sha256' {
  return hash === 'SHA-1' ? 'sha1' : 'sha256';
}

/** Output length in bytes of a SCRAM hash. */
export function hashLength(hash: ScramHash): number {
  return hash === 'SHA-1' ? 20 : 32;
}

export function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(nodeHashName(hash), key).update(data).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(nodeHashName(hash)).update(data).digest();
}

function pbkdf2Async(password: string, salt: Buffer, iterations: number, hash: ScramHash): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, hashLength(hash), nodeHashName(hash), (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`iteration count must be an integer from 1 to ${MAX_ITERATIONS}, got ${iterations}`);
  }
}

/**
 * saslprep@1.0.3 crashes with a TypeError (instead of returning '') when everything maps to nothing, e.g. a lone
 * soft hyphen; its own refusals are plain Errors.
 */
function runSaslprep(s: string, allowUnassigned: boolean): string {
  try {
    return saslprep(s, { allowUnassigned });
  } catch (err) {
    if (err instanceof TypeError) return '';
    throw err;
  }
}

/**
 * SASLprep (RFC 4013) of a password. `stored` = true when the result will be stored (registration, password change):
 * unassigned code points are then refused; verification prepares it as a "query" string (unassigned allowed).
 * Throws an Error with a readable message for prohibited input.
 */
export function prepPassword(password: string, stored: boolean): string {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new Error(`password is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  let prepped: string;
  try {
    prepped = runSaslprep(password, !stored);
  } catch (err) {
    throw new Error(`password is not allowed by SASLprep (RFC 4013): ${(err as Error).message}`);
  }
  if (prepped.length === 0) throw new Error('password is empty (after SASLprep)');
  return prepped;
}

/** SASLprep of a client-supplied name as a query string; null when SASLprep refuses it. */
export function saslprepQuery(s: string): string | null {
  try {
    const out = runSaslprep(s, true);
    return out.length > 0 ? out : null;
  } catch {
    return null;
  }
}

// Spaces, controls and the characters RFC 7622 §3.3.1 forbids in a localpart.
const LOCALPART_FORBIDDEN = /[\s"&'/:<>@\p{Cc}]/u;

/**
 * Turns an already SASLprepped user name into the localpart accounts are stored under (RFC 7622 rules, as in
 * ARCHITECTURE B2: NFKC, lower-case, no `" & ' / : < > @`, whitespace or controls, at most 1023 bytes).
 * Null when the name can never be a local account.
 */
export function localpartOf(name: string): string | null {
  const s = name.normalize('NFKC').toLowerCase().normalize('NFKC');
  if (s.length === 0 || LOCALPART_FORBIDDEN.test(s)) return null;
  if (Buffer.byteLength(s, 'utf8') > MAX_LOCALPART_BYTES) return null;
  return s;
}

function domainKey(domain: string): string {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return domainToASCII(d) || d;
}

/**
 * Whether a SASL authzid names the authenticated user itself: it must be that user's bare JID
 * (`localpart@host`, localpart compared after preparation, domain case-insensitively). Anything else — another user,
 * a full JID, a bare domain, a bare localpart — is refused: we have no proxy-authorisation policy.
 */
export function authzidMatches(authzid: string, localpart: string, host: string): boolean {
  if (authzid.includes('/')) return false;
  const at = authzid.indexOf('@');
  if (at <= 0 || at === authzid.length - 1) return false;
  const name = saslprepQuery(authzid.slice(0, at));
  const local = name === null ? null : localpartOf(name);
  return local !== null && local === localpart && domainKey(authzid.slice(at + 1)) === domainKey(host);
}

/** StoredKey and ServerKey from a SaltedPassword (RFC 5802 §3). */
function keysFromSalted(hash: ScramHash, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmac(hash, salted, 'Client Key');
  return { storedKey: digest(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') };
}

/**
 * One SCRAM credential for an already prepared password, with a given salt. Exposed for tests (RFC vectors use a
 * fixed salt) and tools; normal code calls deriveCredentials.
 */
export async function deriveScramCredential(
  preppedPassword: string, salt: Buffer, iterations: number, hash: ScramHash,
): Promise<ScramCredential> {
  checkIterations(iterations);
  const salted = await pbkdf2Async(preppedPassword, salt, iterations, hash);
  const { storedKey, serverKey } = keysFromSalted(hash, salted);
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: storedKey.toString('base64'),
    serverKey: serverKey.toString('base64'),
  };
}

/**
 * Credentials to store for a new password: SASLprep (stored string), a fresh random 16-byte salt per hash, PBKDF2
 * for SHA-1 and SHA-256 in parallel on the libuv pool. Throws an Error for a prohibited or empty password.
 */
export async function deriveCredentials(password: string, iterations: number): Promise<StoredCredentials> {
  checkIterations(iterations);
  const prepped = prepPassword(password, true);
  const [sha1, sha256] = await Promise.all([
    deriveScramCredential(prepped, randomBytes(SALT_BYTES), iterations, 'SHA-1'),
    deriveScramCredential(prepped, randomBytes(SALT_BYTES), iterations, 'SHA-256'),
  ]);
  return { 'SHA-1': sha1, 'SHA-256': sha256 };
}

/** Decoded and length-checked credential, or null if the record is unusable. */
export function decodeCredential(
  cred: ScramCredential | undefined, hash: ScramHash,
): { salt: Buffer; iterations: number; storedKey: Buffer; serverKey: Buffer } | null {
  if (!cred || typeof cred.salt !== 'string' || typeof cred.storedKey !== 'string' || typeof cred.serverKey !== 'string') {
    return null;
  }
  if (!Number.isSafeInteger(cred.iterations) || cred.iterations < 1 || cred.iterations > MAX_ITERATIONS) return null;
  const salt = Buffer.from(cred.salt, 'base64');
  const storedKey = Buffer.from(cred.storedKey, 'base64');
  const serverKey = Buffer.from(cred.serverKey, 'base64');
  const len = hashLength(hash);
  if (salt.length === 0 || storedKey.length !== len || serverKey.length !== len) return null;
  return { salt, iterations: cred.iterations, storedKey, serverKey };
}

/**
 * Checks a password (PLAIN) against stored credentials: recomputes StoredKey for SHA-256 with the stored salt and
 * iteration count (one async PBKDF2) and compares with timingSafeEqual. Resolves false for a wrong password, a
 * password SASLprep refuses, or an unusable record; the PBKDF2 runs in every case so the timing is alike.
 */
export async function verifyPassword(creds: StoredCredentials, password: string): Promise<boolean> {
  const hash: ScramHash = 'SHA-256';
  const cred = decodeCredential(creds[hash], hash);
  let prepped: string | null;
  try {
    prepped = prepPassword(password, false);
  } catch {
    prepped = null;
  }
  const salt = cred?.salt ?? Buffer.alloc(SALT_BYTES);
  const iterations = cred?.iterations ?? 4096;
  const salted = await pbkdf2Async(prepped ?? 'x', salt, iterations, hash);
  const { storedKey } = keysFromSalted(hash, salted);
  const expected = cred?.storedKey ?? Buffer.alloc(storedKey.length);
  const same = timingSafeEqual(storedKey, expected);
  return same && prepped !== null && cred !== null;
}

/**
 * A credential for a user that does not exist, so the SCRAM challenge looks like a real one: the salt is an HMAC
 * of the server secret and the user name (stable across attempts, different per user and per hash), the keys are
 * random (they never match anything; the mechanisms also refuse a fake credential explicitly).
 */
export function fakeCredential(secret: Buffer, username: string, hash: ScramHash, iterations: number): ScramCredential {
  const salt = createHmac('sha256', secret)
    .update(`starling fake SCRAM salt\u0000${hash}\u0000${username}`)
    .digest()
    .subarray(0, SALT_BYTES);
  const len = hashLength(hash);
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: randomBytes(len).toString('base64'),
    serverKey: randomBytes(len).toString('base64'),
  };
}

/** Fake StoredCredentials (both hashes) for an unknown user; see fakeCredential. */
export function fakeCredentials(secret: Buffer, username: string, iterations: number): StoredCredentials {
  return {
    'SHA-1': fakeCredential(secret, username, 'SHA-1', iterations),
    'SHA-256': fakeCredential(secret, username, 'SHA-256', iterations),
  };
}
