// Failed-login throttling per client address and per account (SECURITY-NOTES §6, "brute force").
//
// How the stream layer uses it:
//   1. when <auth> arrives:               check(ip)            -> refuse with temporary-auth-failure if !allowed
//   2. on a SASL failure:                 recordFailure(ip, failure.username) -> wait that many ms, then answer
//   3. on a SASL success, before binding: check(ip, username)  -> if !allowed, answer temporary-auth-failure
//                                         instead (the account is locked for this address); else recordSuccess.
//
// - Every failure is delayed by the same `delayMs`, whether or not the account exists.
// - `maxFailures` failures from one address within `windowMs` (sliding) lock that address out until the oldest of
//   them leaves the window. Addresses are grouped: IPv4-mapped IPv6 counts as IPv4, IPv6 by its /64 prefix (one
//   host usually owns a whole /64).
// - `maxFailures` failures against one account within the window lock the account too — but not for addresses the
//   account's owner has logged in from recently (recordSuccess), so an attacker elsewhere cannot lock the owner out
//   of the places they normally use. The owner on a new address waits for the window like anyone else.
// - Success does not reset the counters: otherwise an attacker holding any account could wipe their address's
//   record by logging in between guesses, and an owner's login would unlock an account under attack.
// - Memory is bounded: each table keeps at most `maxEntries` keys and drops the least recently touched beyond that.
import { isIPv4, isIPv6 } from 'node:net';

export interface LoginThrottleOptions {
  maxFailures: number;
  windowMs: number;
  delayMs: number;
  now?: () => number;
  /** Most keys kept per table (addresses, accounts, trusted pairs); the oldest go first. Default 50 000. */
  maxEntries?: number;
  /** How long a successful (account, address) pair stays exempt from the account lock. Default 30 days. */
  trustMs?: number;
}

/** Per key, the times of its last `maxFailures` failures (ascending), in a Map kept in least-recent-first order. */
class FailureTable {
  readonly #map = new Map<string, number[]>();

  constructor(private readonly maxEntries: number, private readonly maxFailures: number, private readonly windowMs: number) {}

  get size(): number {
    return this.#map.size;
  }

  #live(key: string, now: number): number[] | undefined {
    const times = this.#map.get(key);
    if (!times) return undefined;
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop]! <= cutoff) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 0) {
      this.#map.delete(key);
      return undefined;
    }
    return times;
  }

  /** Ms until the key may try again (0 when not locked). */
  blockedFor(key: string, now: number): number {
    const times = this.#live(key, now);
    if (!times || times.length < this.maxFailures) return 0;
    return Math.max(1, times[times.length - this.maxFailures]! + this.windowMs - now);
  }

  record(key: string, now: number): void {
    const times = this.#live(key, now) ?? [];
    times.push(now);
    if (times.length > this.maxFailures) times.splice(0, times.length - this.maxFailures);
    this.#map.delete(key);            // re-insert as the most recent
    this.#map.set(key, times);
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
  }

  prune(now: number): void {
    for (const key of [...this.#map.keys()]) this.#live(key, now);
  }
}

/** The throttling key of an address: IPv4 as is (also when IPv4-mapped), IPv6 reduced to its /64. */
export function addressKey(ip: string): string {
  let s = ip.trim().toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('::ffff:') && isIPv4(s.slice(7))) return s.slice(7);
  if (!isIPv6(s)) return s;
  const expand = (part: string): string[] => {
    if (part === '') return [];
    const groups = part.split(':');
    const last = groups[groups.length - 1]!;
    if (isIPv4(last)) {
      const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
      groups.splice(groups.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
    }
    return groups;
  };
  const dbl = s.indexOf('::');
  let groups: string[];
  if (dbl >= 0) {
    const head = expand(s.slice(0, dbl));
    const tail = expand(s.slice(dbl + 2));
    groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  } else {
    groups = expand(s);
  }
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export class LoginThrottle {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #delayMs: number;
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #trustMs: number;
  readonly #ips: FailureTable;
  readonly #accounts: FailureTable;
  readonly #trusted = new Map<string, number>();   // "account\0address" -> expiry, least recent first
  #sinceSweep = 0;

  constructor(opts: LoginThrottleOptions) {
    if (!(opts.maxFailures >= 1) || !(opts.windowMs >= 0) || !(opts.delayMs >= 0)) {
      throw new RangeError('LoginThrottle: maxFailures must be >= 1, windowMs and delayMs >= 0');
    }
    this.#maxFailures = Math.floor(opts.maxFailures);
    this.#windowMs = opts.windowMs;
    this.#delayMs = opts.delayMs;
    this.#now = opts.now ?? Date.now;
    this.#maxEntries = Math.max(1, Math.floor(opts.maxEntries ?? 50_000));
    this.#trustMs = opts.trustMs ?? 30 * 24 * 3600_000;
    this.#ips = new FailureTable(this.#maxEntries, this.#maxFailures, this.#windowMs);
    this.#accounts = new FailureTable(this.#maxEntries, this.#maxFailures, this.#windowMs);
  }

  /** Keys held in all tables together (for tests and metrics). */
  get size(): number {
    return this.#ips.size + this.#accounts.size + this.#trusted.size;
  }

  #isTrusted(account: string, addr: string, now: number): boolean {
    const key = `${account}\u0000${addr}`;
    const until = this.#trusted.get(key);
    if (until === undefined) return false;
    if (until <= now) {
      this.#trusted.delete(key);
      return false;
    }
    return true;
  }

  /** Whether a login attempt from `ip` (for `account`, when known) may proceed, and if not for how long. */
  check(ip: string, account?: string): { allowed: boolean; retryAfterMs: number } {
    const now = this.#now();
    const addr = addressKey(ip);
    let wait = this.#ips.blockedFor(addr, now);
    if (account !== undefined && !this.#isTrusted(account, addr, now)) {
      wait = Math.max(wait, this.#accounts.blockedFor(account, now));
    }
    return { allowed: wait === 0, retryAfterMs: wait };
  }

  /** Counts a failed login; returns how many ms to wait before answering (the same for every failure). */
  recordFailure(ip: string, account?: string): number {
    const now = this.#now();
    this.#ips.record(addressKey(ip), now);
    if (account !== undefined && account !== '') this.#accounts.record(account, now);
    this.#maybeSweep(now);
    return this.#delayMs;
  }

  /** A successful login: exempts this (account, address) pair from the account lock for `trustMs`. */
  recordSuccess(ip: string, account: string): void {
    const now = this.#now();
    const key = `${account}\u0000${addressKey(ip)}`;
    this.#trusted.delete(key);
    this.#trusted.set(key, now + this.#trustMs);
    while (this.#trusted.size > this.#maxEntries) {
      this.#trusted.delete(this.#trusted.keys().next().value as string);
    }
    this.#maybeSweep(now);
  }

  /** Drops expired entries (also done now and then by recordFailure/recordSuccess). */
  prune(): void {
    this.#sweep(this.#now());
  }

  #maybeSweep(now: number): void {
    // Amortised: one full pass per maxEntries writes keeps stale keys from lingering without costing O(n) each time.
    if (++this.#sinceSweep < this.#maxEntries) return;
    this.#sweep(now);
  }

  #sweep(now: number): void {
    this.#sinceSweep = 0;
    this.#ips.prune(now);
    this.#accounts.prune(now);
    for (const [key, until] of [...this.#trusted]) if (until <= now) this.#trusted.delete(key);
  }
}
