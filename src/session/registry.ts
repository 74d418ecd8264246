// Bound client sessions of one virtual host, indexed by username and resource (Prosody's
// full_sessions/bare_sessions, but per host and without globals).
import type { ClientSession } from '../core/session.js';

export type ConflictPolicy = 'kick-old' | 'kick-new';

export type BindOutcome =
  | { ok: true; replaced: ClientSession | null }
  | { ok: false; reason: 'conflict' | 'too-many-sessions' };

export class SessionRegistry {
  #byUser = new Map<string, Map<string, ClientSession>>();
  #count = 0;

  get size(): number {
    return this.#count;
  }

  get(username: string, resource: string): ClientSession | undefined {
    return this.#byUser.get(username)?.get(resource);
  }

  /** The bound sessions of one account (empty when offline). */
  ofUser(username: string): ReadonlyMap<string, ClientSession> {
    return this.#byUser.get(username) ?? EMPTY;
  }

  *all(): IterableIterator<ClientSession> {
    for (const m of this.#byUser.values()) yield* m.values();
  }

  /**
   * Claims a resource. With kick-old, an existing session with that resource is removed from the
   * index and returned so the caller can close it with a <conflict/> stream error. A new resource beyond
   * `maxPerUser` bound sessions of the account is refused (replacing a resource is always allowed).
   */
  bind(session: ClientSession, username: string, resource: string, policy: ConflictPolicy, maxPerUser = Infinity): BindOutcome {
    let m = this.#byUser.get(username);
    const existing = m?.get(resource);
    if (!existing && m && m.size >= maxPerUser) return { ok: false, reason: 'too-many-sessions' };
    if (existing && existing !== session) {
      if (policy === 'kick-new') return { ok: false, reason: 'conflict' };
      this.remove(existing, username, resource);
      m = this.#byUser.get(username);
    }
    if (!m) {
      m = new Map();
      this.#byUser.set(username, m);
    }
    m.set(resource, session);
    this.#count++;
    return { ok: true, replaced: existing && existing !== session ? existing : null };
  }

  /** Removes the session if it is the one bound to that resource; returns whether it was. */
  remove(session: ClientSession, username: string, resource: string): boolean {
    const m = this.#byUser.get(username);
    if (!m || m.get(resource) !== session) return false;
    m.delete(resource);
    if (m.size === 0) this.#byUser.delete(username);
    this.#count--;
    return true;
  }
}

const EMPTY: ReadonlyMap<string, ClientSession> = new Map();
