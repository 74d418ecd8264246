// What the SQLite stores share: the connection, one cache of prepared statements (keyed by SQL text, so
// each statement is prepared once per driver and reused by every store) and the closed flag.
import type Database from 'better-sqlite3';
import { CHUNK_ROWS, closedError, yieldToEventLoop } from '../ids.js';

export class SqliteContext {
  closed = false;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database, readonly path: string) {}

  stmt<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s as unknown as Database.Statement<P, R>;
  }

  assertOpen(): void {
    if (this.closed) throw closedError(`sqlite: ${this.path}`);
  }

  /**
   * Runs a `DELETE ... LIMIT CHUNK_ROWS`-style statement until it removes fewer rows than a chunk,
   * handing the event loop a turn between chunks. Returns the rows removed.
   */
  async deleteInChunks(stmt: Database.Statement<unknown[]>, params: unknown[], budget: Budget): Promise<number> {
    let total = 0;
    for (;;) {
      this.assertOpen();
      const n = stmt.run(...params).changes;
      total += n;
      await budget.spend(n, this);
      if (n < CHUNK_ROWS) return total;
    }
  }
}

/** Counts work done since the last yield and yields once about a chunk's worth has been done. */
export class Budget {
  private used = 0;

  async spend(units: number, ctx: SqliteContext): Promise<void> {
    this.used += units;
    if (this.used >= CHUNK_ROWS) {
      this.used = 0;
      await yieldToEventLoop();
      ctx.assertOpen();
    }
  }
}
