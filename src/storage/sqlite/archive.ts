// Archive stores over the `archive` table. `id` (INTEGER PRIMARY KEY) is the sortId; `stanza_id` is the
// item id given to clients. Pages are read through the owner/with/ts indexes in id order with LIMIT n+1,
// so a page costs the same on a big archive as on a small one; deletes run in chunks (see context.ts).
import type { ArchiveAppend, ArchiveItem, ArchiveQuery, ArchiveResult, ArchiveStore } from '../types.js';
import { CHUNK_ROWS, checkItemId, checkLimit, checkWhen, duplicateItem, itemNotFound, newItemId } from '../ids.js';
import { matchesFilters, pageOf, positionOf } from '../memory/page.js';
import { Budget, type SqliteContext } from './context.js';

interface ArchiveRow { id: number; stanza_id: string; ts: number; with_bare: string; kind: string; xml: string }

const COLUMNS = 'id, stanza_id, ts, with_bare, kind, xml';

const toItem = (r: ArchiveRow): ArchiveItem => ({ id: r.stanza_id, sortId: r.id, when: r.ts, with: r.with_bare, kind: r.kind, xml: r.xml });

type Filters = Pick<ArchiveQuery, 'with' | 'start' | 'end'>;

/** `host = ? AND store = ? AND owner = ?` plus the with/start/end conditions, and their parameters. */
function filterClause(host: string, store: string, owner: string, q: Filters): { sql: string; params: unknown[] } {
  let sql = 'host = ? AND store = ? AND owner = ?';
  const params: unknown[] = [host, store, owner];
  if (q.with !== undefined) { sql += ' AND with_bare = ?'; params.push(q.with); }
  if (q.start !== undefined) { sql += ' AND ts >= ?'; params.push(q.start); }
  if (q.end !== undefined) { sql += ' AND ts <= ?'; params.push(q.end); }
  return { sql, params };
}

export class SqliteArchiveStore implements ArchiveStore {
  private readonly insert;
  private readonly byItemId;

  constructor(private readonly ctx: SqliteContext, private readonly host: string, private readonly store: string) {
    this.insert = ctx.stmt<[string, string, string, string, number, string, string, string]>(
      `INSERT INTO archive (host, store, owner, stanza_id, ts, with_bare, kind, xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (host, store, owner, stanza_id) DO NOTHING`);
    this.byItemId = ctx.stmt<[string, string, string, string], ArchiveRow>(
      `SELECT ${COLUMNS} FROM archive WHERE host = ? AND store = ? AND owner = ? AND stanza_id = ?`);
  }

  async append(user: string, item: { id?: string; when: number; with: string; kind: string; xml: string }): Promise<ArchiveItem> {
    this.ctx.assertOpen();
    const when = checkWhen(item.when);
    const given = item.id !== undefined ? checkItemId(item.id) : undefined;
    for (;;) {
      const id = given ?? newItemId();
      const info = this.insert.run(this.host, this.store, user, id, when, item.with, item.kind, item.xml);
      if (info.changes === 1) {
        return { id, sortId: Number(info.lastInsertRowid), when, with: item.with, kind: item.kind, xml: item.xml };
      }
      if (given !== undefined) throw duplicateItem(given);
      // A generated id collided (2^-96 per pair): draw another.
    }
  }

  async appendMany(items: readonly ArchiveAppend[]): Promise<ArchiveItem[]> {
    this.ctx.assertOpen();
    const checked = items.map((i) => ({ ...i, when: checkWhen(i.when), id: i.id !== undefined ? checkItemId(i.id) : undefined }));
    const run = this.ctx.db.transaction(() => checked.map((item) => {
      for (;;) {
        const id = item.id ?? newItemId();
        const info = this.insert.run(this.host, this.store, item.user, id, item.when, item.with, item.kind, item.xml);
        if (info.changes === 1) return { id, sortId: Number(info.lastInsertRowid), when: item.when, with: item.with, kind: item.kind, xml: item.xml };
        if (item.id !== undefined) throw duplicateItem(item.id);   // rolls the whole batch back
      }
    }));
    return run();
  }

  private sortIdOf(user: string, id: string | undefined): number | undefined {
    if (id === undefined) return undefined;
    const row = this.byItemId.get(this.host, this.store, user, id);
    if (!row) throw itemNotFound(id);
    return row.id;
  }

  async find(user: string, query: ArchiveQuery = {}): Promise<ArchiveResult> {
    this.ctx.assertOpen();
    checkLimit(query.limit);
    checkLimit(query.offset);
    const after = this.sortIdOf(user, query.after);
    const before = this.sortIdOf(user, query.before);
    if (query.ids) return this.findByIds(user, query, after, before);

    // The inner query picks the page's ids from an index alone (archive_owner, archive_with or archive_ts
    // hold host/store/owner/with_bare/ts and the id), so even a sort over a long time range never reads
    // table rows; the outer query then reads just those rows by primary key.
    const filter = filterClause(this.host, this.store, user, query);
    const order = query.reverse ? 'DESC' : 'ASC';
    let inner = `SELECT id FROM archive WHERE ${filter.sql}`;
    const params = [...filter.params];
    if (after !== undefined) { inner += ' AND id > ?'; params.push(after); }
    if (before !== undefined) { inner += ' AND id < ?'; params.push(before); }
    inner += ` ORDER BY id ${order} LIMIT ? OFFSET ?`;
    params.push(query.limit === undefined ? -1 : query.limit + 1);   // one extra row tells whether the page is complete
    params.push(query.offset ?? 0);
    const sql = `SELECT ${COLUMNS} FROM archive WHERE id IN (${inner}) ORDER BY id ${order}`;

    const rows = this.ctx.stmt<unknown[], ArchiveRow>(sql).all(...params);
    const complete = query.limit === undefined || rows.length <= query.limit;
    if (!complete) rows.pop();
    if (query.reverse) rows.reverse();
    const result: ArchiveResult = { items: rows.map(toItem), complete };
    if (query.total) result.total = this.count(filter);
    if (query.position && rows.length > 0) result.index = this.position(filter, rows[0]!.id, query.reverse ? result.total : undefined);
    return result;
  }

  private count(filter: { sql: string; params: unknown[] }, range = '', ...bound: unknown[]): number {
    return this.ctx.stmt<unknown[], { n: number }>(`SELECT count(*) AS n FROM archive WHERE ${filter.sql}${range}`).get(...filter.params, ...bound)!.n;
  }

  /**
   * Matches before the row `first`, counted through the same index as the page, from the side the client pages
   * from: forwards the rows before it; backwards (with the total known) the total less the rows from it on, so a
   * client paging back from the newest message counts only what it has paged through.
   */
  private position(filter: { sql: string; params: unknown[] }, first: number, total: number | undefined): number {
    return total === undefined ? this.count(filter, ' AND id < ?', first) : total - this.count(filter, ' AND id >= ?', first);
  }

  /** `ids` queries look each id up through the unique index and page in code (as the memory driver does). */
  private findByIds(user: string, query: ArchiveQuery, after: number | undefined, before: number | undefined): ArchiveResult {
    const matches: ArchiveItem[] = [];
    for (const id of new Set(query.ids)) {
      const row = this.byItemId.get(this.host, this.store, user, id);
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

  async delete(user: string, query: Filters = {}): Promise<number> {
    this.ctx.assertOpen();
    const filter = filterClause(this.host, this.store, user, { with: query.with, start: query.start, end: query.end });
    const stmt = this.ctx.stmt(`DELETE FROM archive WHERE id IN (SELECT id FROM archive WHERE ${filter.sql} LIMIT ${CHUNK_ROWS})`);
    return this.ctx.deleteInChunks(stmt, filter.params, new Budget());
  }

  async countAll(): Promise<number> {
    this.ctx.assertOpen();
    return this.ctx.stmt<[string, string], { n: number }>('SELECT count(*) AS n FROM archive WHERE host = ? AND store = ?').get(this.host, this.store)!.n;
  }

  async deleteOlderThan(before: number): Promise<number> {
    this.ctx.assertOpen();
    const stmt = this.ctx.stmt(
      `DELETE FROM archive WHERE id IN (SELECT id FROM archive WHERE host = ? AND store = ? AND owner = ? AND ts < ? LIMIT ${CHUNK_ROWS})`);
    const budget = new Budget();
    let total = 0;
    // Owner by owner through the (host, store, owner, ts) index: one index seek per owner, then a range.
    for (let owner = firstOwner(this.ctx, this.host, this.store); owner !== null; owner = nextOwner(this.ctx, this.host, this.store, owner)) {
      total += await this.ctx.deleteInChunks(stmt, [this.host, this.store, owner, before], budget);
      await budget.spend(1, this.ctx);
    }
    return total;
  }
}

type MinRow = { v: string | null };

function firstOwner(ctx: SqliteContext, host: string, store: string): string | null {
  return ctx.stmt<[string, string], MinRow>('SELECT min(owner) AS v FROM archive WHERE host = ? AND store = ?').get(host, store)!.v;
}

function nextOwner(ctx: SqliteContext, host: string, store: string, after: string): string | null {
  return ctx.stmt<[string, string, string], MinRow>('SELECT min(owner) AS v FROM archive WHERE host = ? AND store = ? AND owner > ?')
    .get(host, store, after)!.v;
}

/** Every distinct store name under `host` in `table`, one index seek each. */
export function* storesOf(ctx: SqliteContext, table: 'kv' | 'archive', host: string): Generator<string> {
  const first = ctx.stmt<[string], MinRow>(`SELECT min(store) AS v FROM ${table} WHERE host = ?`);
  const next = ctx.stmt<[string, string], MinRow>(`SELECT min(store) AS v FROM ${table} WHERE host = ? AND store > ?`);
  for (let s = first.get(host)!.v; s !== null; s = next.get(host, s)!.v) yield s;
}
