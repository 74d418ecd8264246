// Archive writes batched: appends are queued and written together in one transaction (ArchiveStore.appendMany).
// SQLite rewrites every index page a transaction touches (one per archive owner and index, whatever the number of
// rows), so rows per commit is what decides the cost per message on a busy server. Every read or delete through this
// store writes the queue first, so whoever reads here sees every append made before (a query right after a message
// finds it);
//   flushMs = 0 (the default): a group commit at the end of the event-loop turn, and enqueue() returns a promise
//     that settles once the row is committed. The message waits for it, so whatever the server acknowledges after
//     it (an IQ result, an XEP-0198 ack) implies the row is on disk: nothing acknowledged is lost to a crash.
//   flushMs > 0: one commit per flushMs (or per maxRows rows) and no waiting; a crash can lose the last flushMs.
import type { ArchiveStore } from '../../src/api/index.js';
import type { ArchiveAppend, ArchiveItem, ArchiveQuery, ArchiveResult } from '../../src/storage/types.js';

type Log = { error(obj: object, msg: string): void };

export class BufferedArchive implements ArchiveStore {
  #queue: ArchiveAppend[] = [];
  #committed: (() => void)[] = [];
  #scheduled = false;
  /** The batch being written, if any: one at a time, and what arrives meanwhile goes into the next one (group commit:
   *  the busier the server, the more rows per transaction). */
  #writing: Promise<void> | null = null;
  #again = false;

  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly inner: ArchiveStore, private readonly log: Log, private readonly opts = { flushMs: 20, maxRows: 2000 }) {}

  /** Queues the row; the returned item's sortId is not known yet (0). Use appendMany for stored items. */
  append(user: string, item: Omit<ArchiveAppend, 'user'>): Promise<ArchiveItem> {
    const id = item.id ?? this.inner.newId(item.when);
    this.enqueue({ ...item, user, id });
    return Promise.resolve({ id, sortId: 0, when: item.when, with: item.with, kind: item.kind, xml: item.xml });
  }

  /**
   * Queues a row with its id already chosen (the stanza-id handed out before the row is written). With flushMs = 0
   * returns a promise that settles when the row's transaction has committed; otherwise undefined (fire and forget).
   */
  enqueue(row: ArchiveAppend & { id: string }): Promise<void> | undefined {
    this.#queue.push(row);
    const durable = this.opts.flushMs === 0;
    const committed = durable ? new Promise<void>((resolve) => this.#committed.push(resolve)) : undefined;
    if (this.#queue.length >= this.opts.maxRows) {
      void this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      if (durable) setImmediate(() => void this.flush());
      else this.#timer = setTimeout(() => void this.flush(), this.opts.flushMs);
    }
    return committed;
  }

  newId(when: number): string {
    return this.inner.newId(when);
  }

  /** Writes the queue now, or as the next batch once the one being written is committed. */
  flush(): Promise<void> {
    this.#scheduled = false;
    clearTimeout(this.#timer);
    if (this.#writing) {
      this.#again = true;
      return this.#writing;
    }
    if (this.#queue.length === 0) return Promise.resolve();
    const rows = this.#queue;
    const committed = this.#committed;
    this.#queue = [];
    this.#committed = [];
    // A failed write is logged and the messages go on (they are delivered; only their history entry is missing).
    const written = this.inner.appendMany(rows).then(() => undefined, (err: unknown) => {
      this.log.error({ err, rows: rows.length }, 'could not archive messages');
    }).finally(() => {
      for (const done of committed) done();
      this.#writing = null;
      if (this.#again) {
        this.#again = false;
        void this.flush();
      }
    });
    this.#writing = written;
    return written;
  }

  /** Writes the queue and waits until everything appended before is in the store, so a read sees it. */
  async settled(): Promise<void> {
    while (this.#queue.length > 0 || this.#writing) {
      void this.flush();
      await (this.#writing ?? Promise.resolve());
    }
  }

  async appendMany(items: readonly ArchiveAppend[]): Promise<ArchiveItem[]> {
    await this.settled();
    return this.inner.appendMany(items);
  }

  async find(user: string, query: ArchiveQuery): Promise<ArchiveResult> {
    await this.settled();
    return this.inner.find(user, query);
  }

  async delete(user: string, query?: Pick<ArchiveQuery, 'with' | 'start' | 'end'>): Promise<number> {
    await this.settled();
    return this.inner.delete(user, query);
  }

  async countAll(): Promise<number> {
    await this.settled();
    return this.inner.countAll();
  }

  async deleteOlderThan(before: number): Promise<number> {
    await this.settled();
    return this.inner.deleteOlderThan(before);
  }
}
