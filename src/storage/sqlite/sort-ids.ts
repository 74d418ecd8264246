// Sort ids of the SQLite archive (schema 2): the row's INTEGER PRIMARY KEY is its time and order at once,
// `when` (ms) * 1024 + a sequence number within the millisecond. Time filters are then ranges of the primary key
// and of the (owner, id) index, with no index on time; and the item ids handed out (XEP-0359 stanza-ids) carry
// their sort id, so looking one up is a primary-key read, with no index on the item id either. Fewer indexes is
// what makes an archived row cheap to write (bench/RESULTS.md, MAM).
import { randomBytes } from 'node:crypto';
import { LATEST_ITEM_TIME } from '../ids.js';

export const PER_MS = 1024;
/** Latest `when` a sort id can hold (year 2248): 2^53 / 1024, the limit every archive driver keeps (ids.ts). */
export const MAX_WHEN = LATEST_ITEM_TIME;
if (MAX_WHEN !== Math.floor(Number.MAX_SAFE_INTEGER / PER_MS) - 1) throw new Error('LATEST_ITEM_TIME does not match PER_MS');

export function timeOf(sortId: number): number {
  return Math.floor(sortId / PER_MS);
}

/** The sort ids of millisecond `when`: [first, last]. */
export function msRange(when: number): [number, number] {
  return [when * PER_MS, when * PER_MS + PER_MS - 1];
}

// Item id: 7 bytes of sort id, then 8 random bytes (unguessable, XEP-0313 §5.2), base64url: 20 characters.
const ID_BYTES = 15;
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

export function encodeItemId(sortId: number): string {
  const b = Buffer.allocUnsafe(ID_BYTES);
  b.writeUInt8(Math.floor(sortId / 2 ** 48), 0);
  b.writeUIntBE(sortId % 2 ** 48, 1, 6);
  if (poolAt + 8 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  pool.copy(b, 7, poolAt, poolAt + 8);
  poolAt += 8;
  return b.toString('base64url');
}

const ID_SHAPE = /^[A-Za-z0-9_-]{20}$/;

/** The sort id an item id of this store's shape names, or null (a given or migrated id: see archive_ids). */
export function decodeItemId(id: string): number | null {
  if (!ID_SHAPE.test(id)) return null;
  const b = Buffer.from(id, 'base64url');
  if (b.length !== ID_BYTES) return null;
  const v = b.readUInt8(0) * 2 ** 48 + b.readUIntBE(1, 6);
  return Number.isSafeInteger(v) ? v : null;
}

/**
 * Hands out sort ids: in time order for the present, and a free slot of the millisecond for a `when` in the past
 * (an import, a clock that went back) found with `highestIn` (the highest stored sort id in a range). Ids handed
 * out for the past before their rows are written are remembered, so two such calls never get the same one.
 */
export class SortIdClock {
  #last: number;
  #pastReserved = new Set<number>();

  constructor(highestStored: number) {
    this.#last = highestStored;
  }

  next(when: number, highestIn: (lo: number, hi: number) => number | null): number {
    const [lo, hi] = msRange(when);
    if (lo > this.#last) return (this.#last = lo);
    if (this.#last < hi) return ++this.#last;
    // `when` is older than the newest id (or its millisecond is full): the millisecond's first free slot, else
    // the next millisecond's (`when` then reads 1 ms later; only after 1 024 rows in one millisecond).
    for (let ms = when; ms <= MAX_WHEN; ms++) {
      const [a, z] = msRange(ms);
      let s = (highestIn(a, z) ?? a - 1) + 1;
      while (s <= z && this.#pastReserved.has(s)) s++;
      if (s <= z) {
        if (s > this.#last) this.#last = s;
        else this.#pastReserved.add(s);
        return s;
      }
    }
    throw new RangeError(`no archive sort id left for time ${when}`);
  }

  /** A row with this sort id was written (or given up): it need not be remembered. */
  settle(sortId: number): void {
    if (this.#pastReserved.size > 0) this.#pastReserved.delete(sortId);
  }
}
