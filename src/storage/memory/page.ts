// The archive paging rules in plain code: the memory driver uses them for every query, the SQLite driver
// for queries with an `ids` filter. Keeping them in one place is what keeps the two drivers identical.
import type { ArchiveItem, ArchiveQuery } from '../types.js';

export interface PageBounds {
  after?: number;      // sortId: strictly after
  before?: number;     // sortId: strictly before
  limit?: number;
  reverse?: boolean;
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
  if (b.limit === undefined || range.length <= b.limit) return { items: range, complete: true };
  return b.reverse
    ? { items: range.slice(range.length - b.limit), complete: false }
    : { items: range.slice(0, b.limit), complete: false };
}
