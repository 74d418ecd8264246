// Archive stores over archive_items (schema 2, see migrations.ts and sort-ids.ts). Each (host, store, owner) has a
// number in archive_owners; an item's primary key is its sort id (time * 1024 + sequence), so pages and time
// ranges are ranges of the (oid, id) or (oid, with_bare, id) index, read in id order with LIMIT n+1: a page costs
// the same on a big archive as on a small one. Item ids this store hands out carry their sort id (a primary-key
// read finds them); ids given by callers, or kept from schema 1, are listed in archive_ids. Deletes run in chunks.
import type { ArchiveAppend, ArchiveItem, ArchiveQuery, ArchiveResult, ArchiveStore } from '../types.js';
import { CHUNK_ROWS, checkItemId, checkLimit, checkWhen, duplicateItem, itemNotFound } from '../ids.js';
import { matchesFilters, pageOf, positionOf } from '../memory/page.js';
import { Budget, type SqliteContext } from './context.js';
import { decodeItemId, encodeItemId, MAX_WHEN, msRange, SortIdClock, timeOf } from './sort-ids.js';

interface ItemRow { id: number; oid: number; stanza_id: string; with_bare: string; kind: string; xml: string }

const COLUMNS = 'id, oid, stanza_id, with_bare, kind, xml';

const toItem = (r: ItemRow): ArchiveItem => ({ id: r.stanza_id, sortId: r.id, when: timeOf(r.id), with: r.with_bare, kind: r.kind, xml: r.xml });

type Filters = Pick<ArchiveQuery, 'with' | 'start' | 'end'>;
type Clause = { sql: string; params: unknown[] };

/** `oid = ?` plus the with/start/end conditions (time bounds are sort id bounds), and their parameters. */
function filterClause(oid: number, q: Filters): Clause {
  let sql = 'oid = ?';
  const params: unknown[] = [oid];
  if (q.with !== undefined) { sql += ' AND with_bare = ?'; params.push(q.with); }
  if (q.start !== undefined) { sql += ' AND id >= ?'; params.push(msRange(clampWhen(q.start))[0]); }
  if (q.end !== undefined) { sql += ' AND id <= ?'; params.push(msRange(clampWhen(q.end))[1]); }
  return { sql, params };
}

/** Query bounds outside what sort ids hold match nothing before 1970 or everything before 2248. */
function clampWhen(t: number): number {
  return Math.min(Math.max(Math.floor(t), -1), MAX_WHEN);
}

/** The sort id sequence of one database, shared by its archive stores. */
const clocks = new WeakMap<SqliteContext, SortIdClock>();

function clockOf(ctx: SqliteContext): SortIdClock {
  let c = clocks.get(ctx);
  if (!c) {
    const max = ctx.stmt<[], { m: number | null }>('SELECT max(id) AS m FROM archive_items').get()!.m;
    clocks.set(ctx, (c = new SortIdClock(max ?? -1)));
  }
  return c;
}

export class SqliteArchiveStore implements ArchiveStore {
  readonly #owners = new Map<string, number>();

  constructor(private readonly ctx: SqliteContext, private readonly host: string, private readonly store: string) {}

  // ---- owners ----

  /** The owner's number, or undefined when it never had an item. */
  #oidOf(user: string): number | undefined {
    const known = this.#owners.get(user);
    if (known !== undefined) return known;
    const row = this.ctx.stmt<[string, string, string], { oid: number }>('SELECT oid FROM archive_owners WHERE host = ? AND store = ? AND owner = ?')
      .get(this.host, this.store, user);
    if (row) this.#owners.set(user, row.oid);
    return row?.oid;
  }

  #oidFor(user: string): number {
    const known = this.#oidOf(user);
    if (known !== undefined) return known;
    const info = this.ctx.stmt<[string, string, string]>('INSERT INTO archive_owners (host, store, owner) VALUES (?, ?, ?)')
      .run(this.host, this.store, user);
    const oid = Number(info.lastInsertRowid);
    this.#owners.set(user, oid);
    return oid;
  }

  // ---- ids ----

  #highestIn = (lo: number, hi: number): number | null =>
    this.ctx.stmt<[number, number], { m: number | null }>('SELECT max(id) AS m FROM archive_items WHERE id BETWEEN ? AND ?').get(lo, hi)!.m;

  newId(when: number): string {
    return encodeItemId(clockOf(this.ctx).next(checkWhen(when), this.#highestIn));
  }

  /** The row of `id` in owner `oid`'s archive, if any. */
  #rowOf(oid: number, id: string): ItemRow | undefined {
    const byPk = this.ctx.stmt<[number], ItemRow>(`SELECT ${COLUMNS} FROM archive_items WHERE id = ?`);
    const sortId = decodeItemId(id);
    if (sortId !== null) {
      const row = byPk.get(sortId);
      if (row && row.oid === oid && row.stanza_id === id) return row;
    }
    const listed = this.ctx.stmt<[number, string], { id: number }>('SELECT id FROM archive_ids WHERE oid = ? AND stanza_id = ?').get(oid, id);
    if (!listed) return undefined;
    const row = byPk.get(listed.id);
    return row && row.oid === oid && row.stanza_id === id ? row : undefined;   // a listing may outlive its row
  }

  // ---- writes ----

  /** Writes one item (inside the caller's transaction); throws 'conflict' for an id the owner already has. */
  #insert(user: string, item: { id?: string; when: number; with: string; kind: string; xml: string }): ArchiveItem {
    const oid = this.#oidFor(user);
    const clock = clockOf(this.ctx);
    const insert = this.ctx.stmt<[number, number, string, string, string, string]>(
      'INSERT INTO archive_items (id, oid, stanza_id, with_bare, kind, xml) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
    const stored = (sortId: number, id: string): ArchiveItem => {
      clock.settle(sortId);
      return { id, sortId, when: timeOf(sortId), with: item.with, kind: item.kind, xml: item.xml };
    };
    if (item.id === undefined) {
      for (;;) {
        const sortId = clock.next(item.when, this.#highestIn);
        const id = encodeItemId(sortId);
        if (insert.run(sortId, oid, id, item.with, item.kind, item.xml).changes === 1) return stored(sortId, id);
      }
    }
    const id = item.id;
    // An id from newId() for this time: its sort id is the row's key.
    const own = decodeItemId(id);
    if (own !== null && timeOf(own) === item.when && insert.run(own, oid, id, item.with, item.kind, item.xml).changes === 1) return stored(own, id);
    // Any other id (or that sort id is taken): a new sort id, and the id listed in archive_ids.
    if (this.#rowOf(oid, id)) throw duplicateItem(id);
    for (;;) {
      const sortId = clock.next(item.when, this.#highestIn);
      if (insert.run(sortId, oid, id, item.with, item.kind, item.xml).changes === 1) {
        this.ctx.stmt<[number, string, number]>('INSERT OR REPLACE INTO archive_ids (oid, stanza_id, id) VALUES (?, ?, ?)').run(oid, id, sortId);
        return stored(sortId, id);
      }
    }
  }

  async append(user: string, item: { id?: string; when: number; with: string; kind: string; xml: string }): Promise<ArchiveItem> {
    return this.appendMany([{ ...item, user }]).then((out) => out[0]!);
  }

  async appendMany(items: readonly ArchiveAppend[]): Promise<ArchiveItem[]> {
    this.ctx.assertOpen();
    const checked = items.map((i) => ({ ...i, when: checkWhen(i.when), id: i.id !== undefined ? checkItemId(i.id) : undefined }));
    if (checked.length === 0) return [];
    try {
      return this.ctx.db.transaction(() => checked.map((item) => this.#insert(item.user, item)))();
    } catch (err) {
      this.#owners.clear();   // owners created by the rolled-back transaction are gone again
      throw err;
    }
  }

  // ---- reads ----

  #sortIdOf(oid: number | undefined, id: string | undefined): number | undefined {
    if (id === undefined) return undefined;
    const row = oid === undefined ? undefined : this.#rowOf(oid, id);
    if (!row) throw itemNotFound(id);
    return row.id;
  }

  async find(user: string, query: ArchiveQuery = {}): Promise<ArchiveResult> {
    this.ctx.assertOpen();
    checkLimit(query.limit);
    checkLimit(query.offset);
    const oid = this.#oidOf(user);
    const after = this.#sortIdOf(oid, query.after);
    const before = this.#sortIdOf(oid, query.before);
    if (oid === undefined) return { items: [], complete: true, ...(query.total ? { total: 0 } : {}) };
    if (query.ids) return this.#findByIds(oid, query, after, before);

    // The inner query picks the page's ids from an index alone ((oid, id) or (oid, with_bare, id): time bounds
    // are id bounds), so even a long range is never sorted; the outer query reads just those rows by primary key.
    const filter = filterClause(oid, query);
    const order = query.reverse ? 'DESC' : 'ASC';
    let inner = `SELECT id FROM archive_items WHERE ${filter.sql}`;
    const params = [...filter.params];
    if (after !== undefined) { inner += ' AND id > ?'; params.push(after); }
    if (before !== undefined) { inner += ' AND id < ?'; params.push(before); }
    inner += ` ORDER BY id ${order} LIMIT ? OFFSET ?`;
    params.push(query.limit === undefined ? -1 : query.limit + 1);   // one extra row tells whether the page is complete
    params.push(query.offset ?? 0);
    const sql = `SELECT ${COLUMNS} FROM archive_items WHERE id IN (${inner}) ORDER BY id ${order}`;

    const rows = this.ctx.stmt<unknown[], ItemRow>(sql).all(...params);
    const complete = query.limit === undefined || rows.length <= query.limit;
    if (!complete) rows.pop();
    if (query.reverse) rows.reverse();
    const result: ArchiveResult = { items: rows.map(toItem), complete };
    if (query.total) result.total = this.#count(filter);
    if (query.position && rows.length > 0) result.index = this.#position(filter, rows[0]!.id, query.reverse ? result.total : undefined);
    return result;
  }

  #count(filter: Clause, range = '', ...bound: unknown[]): number {
    return this.ctx.stmt<unknown[], { n: number }>(`SELECT count(*) AS n FROM archive_items WHERE ${filter.sql}${range}`).get(...filter.params, ...bound)!.n;
  }

  /**
   * Matches before the row `first`, counted through the same index as the page, from the side the client pages
   * from: forwards the rows before it; backwards (with the total known) the total less the rows from it on, so a
   * client paging back from the newest message counts only what it has paged through.
   */
  #position(filter: Clause, first: number, total: number | undefined): number {
    return total === undefined ? this.#count(filter, ' AND id < ?', first) : total - this.#count(filter, ' AND id >= ?', first);
  }

  /** `ids` queries look each id up (a primary-key read, or archive_ids) and page in code (as the memory driver does). */
  #findByIds(oid: number, query: ArchiveQuery, after: number | undefined, before: number | undefined): ArchiveResult {
    const matches: ArchiveItem[] = [];
    for (const id of new Set(query.ids)) {
      const row = this.#rowOf(oid, id);
      if (row) {
        const item = toItem(row);
        if (matchesFilters(item, query)) matches.push(item);
      }
    }
    matches.sort((a, b) => a.sortId - b.sortId);
    const page = pageOf(matches, { after, before, limit: query.limit, reverse: query.reverse, offset: query.offset });
    const result: ArchiveResult = { items: page.items, complete: page.complete };
    if (query.total) result.total = matches.length;
    if (query.position && page.items.length > 0) result.index = positionOf(matches, page.items[0]!.sortId);
    return result;
  }

  // ---- deletes ----

  async delete(user: string, query: Filters = {}): Promise<number> {
    this.ctx.assertOpen();
    const oid = this.#oidOf(user);
    if (oid === undefined) return 0;
    const filter = filterClause(oid, { with: query.with, start: query.start, end: query.end });
    const stmt = this.ctx.stmt(`DELETE FROM archive_items WHERE id IN (SELECT id FROM archive_items WHERE ${filter.sql} LIMIT ${CHUNK_ROWS})`);
    return this.ctx.deleteInChunks(stmt, filter.params, new Budget());
  }

  async countAll(): Promise<number> {
    this.ctx.assertOpen();
    return this.ctx.stmt<[string, string], { n: number }>(
      'SELECT count(*) AS n FROM archive_items WHERE oid IN (SELECT oid FROM archive_owners WHERE host = ? AND store = ?)').get(this.host, this.store)!.n;
  }

  async deleteOlderThan(before: number): Promise<number> {
    this.ctx.assertOpen();
    const stmt = this.ctx.stmt(`DELETE FROM archive_items WHERE id IN (SELECT id FROM archive_items WHERE oid = ? AND id < ? LIMIT ${CHUNK_ROWS})`);
    const bound = msRange(clampWhen(before))[0];
    const budget = new Budget();
    let total = 0;
    // Owner by owner through the (oid, id) index: one seek per owner, then a range from its oldest item.
    for (const oid of ownersOf(this.ctx, this.host, this.store)) {
      total += await this.ctx.deleteInChunks(stmt, [oid, bound], budget);
      await budget.spend(1, this.ctx);
    }
    return total;
  }
}

/** The owner numbers of one store of a host, read in pages (the list may be long; deletes run in between). */
function* ownersOf(ctx: SqliteContext, host: string, store: string): Generator<number> {
  const page = ctx.stmt<[string, string, number], { oid: number }>(
    `SELECT oid FROM archive_owners WHERE host = ? AND store = ? AND oid > ? ORDER BY oid LIMIT ${CHUNK_ROWS}`);
  for (let from = -1; ;) {
    const rows = page.all(host, store, from);
    for (const r of rows) yield r.oid;
    if (rows.length < CHUNK_ROWS) return;
    from = rows[rows.length - 1]!.oid;
  }
}

/** Removes every archive of `user` on `host` (account deletion), in chunks, with its listed ids. */
export async function purgeArchives(ctx: SqliteContext, host: string, user: string, budget: Budget): Promise<void> {
  const owners = ctx.stmt<[string, string], { oid: number }>('SELECT oid FROM archive_owners WHERE host = ? AND owner = ?').all(host, user);
  const items = ctx.stmt(`DELETE FROM archive_items WHERE id IN (SELECT id FROM archive_items WHERE oid = ? LIMIT ${CHUNK_ROWS})`);
  const ids = ctx.stmt(`DELETE FROM archive_ids WHERE oid = ? AND stanza_id IN (SELECT stanza_id FROM archive_ids WHERE oid = ? LIMIT ${CHUNK_ROWS})`);
  for (const { oid } of owners) {
    await ctx.deleteInChunks(items, [oid], budget);
    await ctx.deleteInChunks(ids, [oid, oid], budget);
  }
}

type MinRow = { v: string | null };

/** Every distinct store name under `host` in the kv table, one index seek each. */
export function* storesOf(ctx: SqliteContext, host: string): Generator<string> {
  const first = ctx.stmt<[string], MinRow>('SELECT min(store) AS v FROM kv WHERE host = ?');
  const next = ctx.stmt<[string, string], MinRow>('SELECT min(store) AS v FROM kv WHERE host = ? AND store > ?');
  for (let s = first.get(host)!.v; s !== null; s = next.get(host, s)!.v) yield s;
}
