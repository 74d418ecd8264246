// REST API tokens: random secrets shown once, stored only as SHA-256 hashes, with scopes, an optional expiry, and
// revocation. A token reads "stk_<id>_<secret>"; the id finds the record, the secret is compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MapStore, StorageDriver } from '../storage/types.js';

export interface TokenRecord {
  id: string;
  name: string;
  scopes: string[];
  /** hex SHA-256 of the secret part. */
  hash: string;
  createdAt: number;
  expiresAt: number | null;
}

export type TokenInfo = Omit<TokenRecord, 'hash'>;

const TOKEN = /^stk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const ROW = 'tokens';

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class TokenStore {
  readonly #store: MapStore<TokenRecord>;

  constructor(storage: StorageDriver) {
    this.#store = storage.open('', 'api_tokens', 'map') as MapStore<TokenRecord>;
  }

  async create(name: string, scopes: string[], ttlDays: number | null, now = Date.now()): Promise<{ token: string; info: TokenInfo }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const rec: TokenRecord = { id, name, scopes, hash: sha256(secret).toString('hex'), createdAt: now, expiresAt: ttlDays === null ? null : now + ttlDays * 86_400_000 };
    await this.#store.set(ROW, id, rec);
    const { hash: _h, ...info } = rec;
    return { token: `stk_${id}_${secret}`, info };
  }

  async list(): Promise<TokenInfo[]> {
    return [...(await this.#store.getAll(ROW)).values()]
      .map(({ hash: _h, ...info }) => info)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async revoke(id: string): Promise<boolean> {
    if (!(await this.#store.get(ROW, id))) return false;
    await this.#store.set(ROW, id, null);
    return true;
  }

  /** The token's record when it is well-formed, known, not revoked and not expired; otherwise a reason. */
  async verify(token: string, now = Date.now()): Promise<{ ok: true; info: TokenInfo } | { ok: false; reason: 'malformed' | 'unknown' | 'expired' }> {
    const m = TOKEN.exec(token);
    if (!m) return { ok: false, reason: 'malformed' };
    const rec = await this.#store.get(ROW, m[1]!);
    const given = sha256(m[2]!);
    // Compare even when there is no record, so timing does not tell known ids apart.
    const stored = rec ? Buffer.from(rec.hash, 'hex') : Buffer.alloc(32);
    if (!timingSafeEqual(given, stored) || !rec) return { ok: false, reason: 'unknown' };
    if (rec.expiresAt !== null && rec.expiresAt <= now) return { ok: false, reason: 'expired' };
    const { hash: _h, ...info } = rec;
    return { ok: true, info };
  }
}
