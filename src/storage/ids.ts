// Shared by both storage drivers: archive item ids, the StorageError codes callers can test for, and the
// input checks that must behave the same in every driver.
import { randomBytes } from 'node:crypto';

/** A random, url-safe archive item id (96 bits, 16 characters of base64url). */
export function newItemId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * - `item-not-found`: an archive query named an unknown `after`/`before` id;
 * - `conflict`: an archive item with the given id exists already;
 * - `closed`: the driver was closed;
 * - `schema-too-new`: the database was written by a newer Starling.
 */
export type StorageErrorCode = 'item-not-found' | 'conflict' | 'closed' | 'schema-too-new';

export class StorageError extends Error {
  constructor(readonly code: StorageErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export function itemNotFound(id: string): StorageError {
  return new StorageError('item-not-found', `no archive item with id "${id}"`);
}

export function duplicateItem(id: string): StorageError {
  return new StorageError('conflict', `an archive item with id "${id}" exists already`);
}

export function closedError(what: string): StorageError {
  return new StorageError('closed', `storage is closed (${what})`);
}

/** JSON text for a stored value; rejects what JSON cannot represent at the top level (undefined, functions). */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError(`cannot store a value of type ${typeof value} as JSON`);
  return text;
}

/**
 * The latest archive item time (ms, in the year 2248): what the SQLite store's sort ids (time * 1024 + sequence,
 * below 2^53) can hold. Every driver keeps the same range, so an item one accepts the other accepts too.
 */
export const LATEST_ITEM_TIME = Math.floor(Number.MAX_SAFE_INTEGER / 1024) - 1;

/** Archive timestamps are whole milliseconds from 1970 to LATEST_ITEM_TIME. */
export function checkWhen(when: number): number {
  if (typeof when !== 'number' || !Number.isFinite(when)) throw new TypeError(`archive item time must be a finite number of ms, got ${String(when)}`);
  const t = Math.floor(when);
  if (t < 0 || t > LATEST_ITEM_TIME) throw new RangeError(`archive item time ${t} is outside 1970..2248`);
  return t;
}

export function checkItemId(id: string): string {
  if (typeof id !== 'string' || id === '') throw new TypeError('archive item id must be a non-empty string');
  return id;
}

export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`archive query limit must be a non-negative integer, got ${String(limit)}`);
  }
}

/** Rows per step of a long delete; the drivers yield to the event loop between steps. */
export const CHUNK_ROWS = 1000;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Binary (code point) order, the same as SQLite's BINARY collation on UTF-8 text. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800-DFFF) encode code points above U+FFFF, which sort after U+E000-FFFF.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
