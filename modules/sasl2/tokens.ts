// XEP-0484 FAST tokens per account and user agent: issue, rotate, check the replay counter, invalidate.
//
// A record holds the current token and, after a rotation, the previous one: the client may not have received the
// new token (the connection broke after our <success/>), so the previous stays valid until the current one is
// used. A login with a password and a token request starts over (older tokens dropped). The `count` a client
// sends with a token must grow from one login to the next; a repeated count is a replay and is refused. Each token
// carries the account's credential stamp when it was issued: after a password change it no longer matches.
import { randomBytes } from 'node:crypto';
import type { MapStore } from '../../src/api/index.js';
import type { HtCandidate } from '../../src/auth/fast-ht.js';

export interface StoredToken {
  token: string;
  mechanism: string;
  /** ms since epoch */
  expiry: number;
  issued: number;
  /** The account's credential stamp at issue (InlineAuth.accountStamp). */
  stamp: string;
}

export interface TokenRecord {
  current: StoredToken | null;
  previous: StoredToken | null;
  /** Highest `count` seen with a token of this user agent (-1 before any). */
  count: number;
}

export type Slot = 'current' | 'previous';

export class FastTokens {
  constructor(private readonly store: MapStore<TokenRecord>, private readonly lifetimeMs: number) {}

  /** Unexpired tokens of this user agent for a mechanism, issued under `stamp`, as HT candidates ('current' first). */
  async candidates(user: string, ua: string, mechanism: string, stamp: string, now = Date.now()): Promise<HtCandidate[]> {
    const rec = await this.store.get(user, ua);
    if (!rec) return [];
    const out: HtCandidate[] = [];
    for (const slot of ['current', 'previous'] as const) {
      const t = rec[slot];
      if (t && t.mechanism === mechanism && t.stamp === stamp && t.expiry > now) out.push({ id: slot, token: t.token });
    }
    return out;
  }

  /**
   * A login with the token in `slot` succeeded: refuses a count that does not grow (replay); using the current token
   * retires the previous one.
   */
  async use(user: string, ua: string, slot: Slot, count: number | null): Promise<boolean> {
    const rec = await this.store.get(user, ua);
    if (!rec || !rec[slot]) return false;
    if (count !== null) {
      if (count <= rec.count) return false;
      rec.count = count;
    }
    if (slot === 'current') rec.previous = null;
    await this.store.set(user, ua, rec);
    return true;
  }

  /** A new token for this user agent; `keep` (the token the client just proved it has) stays valid until the new one is used. */
  async issue(user: string, ua: string, mechanism: string, keep: Slot | null, stamp: string, now = Date.now()): Promise<StoredToken> {
    const rec = (await this.store.get(user, ua)) ?? { current: null, previous: null, count: -1 };
    const kept = keep ? rec[keep] : null;
    const token: StoredToken = { token: randomBytes(32).toString('base64url'), mechanism, expiry: now + this.lifetimeMs, issued: now, stamp };
    await this.store.set(user, ua, { current: token, previous: kept, count: keep ? rec.count : -1 });
    return token;
  }

  /** Is the token in `slot` past half its life (time to hand out a fresh one)? */
  async aging(user: string, ua: string, slot: Slot, now = Date.now()): Promise<boolean> {
    const t = (await this.store.get(user, ua))?.[slot];
    return !!t && now - t.issued > (t.expiry - t.issued) / 2;
  }

  async invalidate(user: string, ua: string): Promise<void> {
    await this.store.set(user, ua, null);
  }
}
