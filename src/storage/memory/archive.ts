// In-memory archive store: per owner, items in sortId order plus an index by item id.
import type { ArchiveAppend, ArchiveItem, ArchiveQuery, ArchiveResult, ArchiveStore } from '../types.js';
import { checkItemId, checkLimit, checkWhen, duplicateItem, itemNotFound, newItemId } from '../ids.js';
import { matchesFilters, pageOf, positionOf } from './page.js';
import type { MemoryState } from './state.js';

export interface OwnerLog {
  items: ArchiveItem[];                 // sortId order
  byId: Map<string, ArchiveItem>;
}

const copy = (i: ArchiveItem): ArchiveItem => ({ ...i });

export class MemoryArchiveStore implements ArchiveStore {
  constructor(private readonly state: MemoryState, private readonly host: string, private readonly store: string) {}

  private owners(create: true): Map<string, OwnerLog>;
  private owners(create: false): Map<string, OwnerLog> | undefined;
  private owners(create: boolean): Map<string, OwnerLog> | undefined {
    let stores = this.state.archive.get(this.host);
    if (!stores) {
      if (!create) return undefined;
      this.state.archive.set(this.host, (stores = new Map()));
    }
    let owners = stores.get(this.store);
    if (!owners && create) stores.set(this.store, (owners = new Map()));
    return owners;
  }

  newId(when: number): string {
    checkWhen(when);   // the same times as the SQLite store (whose ids carry the time)
    return newItemId();
  }

  async append(user: string, item: { id?: string; when: number; with: string; kind: string; xml: string }): Promise<ArchiveItem> {
    this.state.assertOpen();
    return this.appendNow(user, item);
  }

  private appendNow(user: string, item: { id?: string; when: number; with: string; kind: string; xml: string }): ArchiveItem {
    const when = checkWhen(item.when);
    const owners = this.owners(true);
    let log = owners.get(user);
    if (!log) owners.set(user, (log = { items: [], byId: new Map() }));
    let id: string;
    if (item.id !== undefined) {
      id = checkItemId(item.id);
      if (log.byId.has(id)) throw duplicateItem(id);
    } else {
      do id = newItemId(); while (log.byId.has(id));
    }
    const stored: ArchiveItem = { id, sortId: this.state.nextSortId++, when, with: item.with, kind: item.kind, xml: item.xml };
    log.items.push(stored);
    log.byId.set(id, stored);
    return copy(stored);
  }

  async appendMany(items: readonly ArchiveAppend[]): Promise<ArchiveItem[]> {
    this.state.assertOpen();
    // All or nothing: every given id is checked (against the store and the batch) before anything is stored.
    const seen = new Map<string, Set<string>>();
    for (const i of items) {
      checkWhen(i.when);
      if (i.id === undefined) continue;
      checkItemId(i.id);
      let ids = seen.get(i.user);
      if (!ids) seen.set(i.user, (ids = new Set()));
      if (ids.has(i.id) || this.owners(false)?.get(i.user)?.byId.has(i.id)) throw duplicateItem(i.id);
      ids.add(i.id);
    }
    return items.map(({ user, ...item }) => this.appendNow(user, item));
  }

  async find(user: string, query: ArchiveQuery = {}): Promise<ArchiveResult> {
    this.state.assertOpen();
    checkLimit(query.limit);
    checkLimit(query.offset);
    const log = this.owners(false)?.get(user);
    const anchor = (id: string | undefined): number | undefined => {
      if (id === undefined) return undefined;
      const item = log?.byId.get(id);
      if (!item) throw itemNotFound(id);
      return item.sortId;
    };
    const after = anchor(query.after);
    const before = anchor(query.before);
    let matches = (log?.items ?? []).filter((i) => matchesFilters(i, query));
    if (query.ids) {
      const wanted = new Set(query.ids);
      matches = matches.filter((i) => wanted.has(i.id));
    }
    const page = pageOf(matches, { after, before, limit: query.limit, reverse: query.reverse, offset: query.offset });
    const result: ArchiveResult = { items: page.items.map(copy), complete: page.complete };
    if (query.total) result.total = matches.length;
    if (query.position && page.items.length > 0) result.index = positionOf(matches, page.items[0]!.sortId);
    return result;
  }

  async delete(user: string, query: Pick<ArchiveQuery, 'with' | 'start' | 'end'> = {}): Promise<number> {
    this.state.assertOpen();
    const owners = this.owners(false);
    const log = owners?.get(user);
    if (!owners || !log) return 0;
    const filter = { with: query.with, start: query.start, end: query.end };
    const n = removeWhere(log, (i) => matchesFilters(i, filter));
    if (log.items.length === 0) owners.delete(user);
    return n;
  }

  async countAll(): Promise<number> {
    this.state.assertOpen();
    let n = 0;
    for (const log of this.owners(false)?.values() ?? []) n += log.items.length;
    return n;
  }

  async deleteOlderThan(before: number): Promise<number> {
    this.state.assertOpen();
    const owners = this.owners(false);
    if (!owners) return 0;
    let n = 0;
    for (const [user, log] of owners) {
      n += removeWhere(log, (i) => i.when < before);
      if (log.items.length === 0) owners.delete(user);
    }
    return n;
  }
}

function removeWhere(log: OwnerLog, drop: (i: ArchiveItem) => boolean): number {
  const kept: ArchiveItem[] = [];
  for (const i of log.items) {
    if (drop(i)) log.byId.delete(i.id);
    else kept.push(i);
  }
  const n = log.items.length - kept.length;
  log.items = kept;
  return n;
}
