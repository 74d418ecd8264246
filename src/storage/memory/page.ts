// The archive paging rules in plain code: the memory driver uses them for every query, the SQLite driver
// for queries with an `ids` filter. Keeping them in one place is what keeps the two drivers identical.
import type { ArchiveItem, ArchiveQuery } from '../types.js';

export interface PageBounds {
  after?: number;      // sortId: strictly after
  before?: number;     // sortId: strictly before
  limit?: number;
  reverse?: boolean;
  offset?: number;     // items skipped in the direction of travel before the page
}

/** Whether an item passes the with/start/end filters (ids are handled by the caller). */
export function matchesFilters(item: ArchiveItem, q: Pick<ArchiveQuery, 'with' | 'start' | 'end'>): boolean {
  return (q.with === undefined || item.with === q.with)
    && (q.start === undefined || item.when >= q.start)
    && (q.end === undefined || item.when <= q.end);
}

/**
 * One page of `matches` (sorted by sortId, oldest first). Forwards: the first `limit` items after `after`;
 * reverse: the last `limit` items before `before`, still oldest first. `complete` says whether nothing
 * is left beyond the page in the direction of travel.
 */
export function pageOf<T extends { sortId: number }>(matches: readonly T[], b: PageBounds): { items: T[]; complete: boolean } {
  const range = matches.filter((i) => (b.after === undefined || i.sortId > b.after) && (b.before === undefined || i.sortId < b.before));
  const skip = b.offset ?? 0;
  if (b.reverse) {
    const end = Math.max(0, range.length - skip);
    const from = b.limit === undefined ? 0 : Math.max(0, end - b.limit);
    return { items: range.slice(from, end), complete: from === 0 };
  }
  const to = b.limit === undefined ? range.length : Math.min(range.length, skip + b.limit);
  return { items: range.slice(Math.min(skip, range.length), to), complete: to >= range.length };
}

/** How many of `matches` (sorted by sortId) come before the item with sortId `first`: its 0-based position. */
export function positionOf<T extends { sortId: number }>(matches: readonly T[], first: number): number {
  let lo = 0;
  let hi = matches.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (matches[mid]!.sortId < first) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
