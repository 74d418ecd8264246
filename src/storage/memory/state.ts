// Everything the memory driver holds, shared by its stores. Values are kept as JSON text so that callers
// get fresh copies and see exactly what the SQLite driver would give back.
import { closedError } from '../ids.js';
import type { OwnerLog } from './archive.js';

export interface AccountRow {
  credentials: string;     // JSON
  disabled: boolean;
  createdAt: number;
}

export class MemoryState {
  closed = false;
  /** host -> username -> account */
  readonly accounts = new Map<string, Map<string, AccountRow>>();
  /** host -> store -> user -> key -> JSON ('' is the keyval key), like the SQLite `kv` table. */
  readonly kv = new Map<string, Map<string, Map<string, Map<string, string>>>>();
  /** host -> store -> owner -> log */
  readonly archive = new Map<string, Map<string, Map<string, OwnerLog>>>();
  /** Never reused, like the SQLite AUTOINCREMENT key. */
  nextSortId = 1;

  assertOpen(): void {
    if (this.closed) throw closedError('memory');
  }
}
