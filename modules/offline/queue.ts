// An account's stored messages over an archive store, oldest first.
//
// The archive can delete by time range only, so each account's items get strictly increasing `when` keys
// (the arrival time, nudged by a millisecond when needed): appends for one account are serialised by the
// caller, so the newest item always holds the largest key, and "delete through key k" removes exactly the
// prefix of the queue that was delivered, never a message stored later.
import type { ArchiveStore } from '../../src/api/index.js';

export type QueuedItem = Awaited<ReturnType<ArchiveStore['append']>>;

export interface StoredMessage {
  from: string;     // sender's bare JID
  kind: string;     // message type
  xml: string;
}

export class OfflineQueue {
  constructor(private readonly archive: ArchiveStore) {}

  /** Messages waiting for every user of the host (metrics). */
  total(): Promise<number> {
    return this.archive.countAll();
  }

  /** How many messages wait for `user`, and the key of the newest. */
  async stats(user: string): Promise<{ count: number; lastKey: number }> {
    const r = await this.archive.find(user, { reverse: true, limit: 1, total: true });
    return { count: r.total ?? r.items.length, lastKey: r.items[0]?.when ?? Number.NEGATIVE_INFINITY };
  }

  /** Appends after the newest item; the caller serialises calls per user. */
  async append(user: string, lastKey: number, now: number, msg: StoredMessage): Promise<QueuedItem> {
    return this.archive.append(user, { when: Math.max(now, lastKey + 1), with: msg.from, kind: msg.kind, xml: msg.xml });
  }

  /** The oldest `limit` messages. */
  async oldest(user: string, limit: number): Promise<QueuedItem[]> {
    return (await this.archive.find(user, { limit })).items;
  }

  /** Removes every message up to and including the one with key `key`. */
  async deleteThrough(user: string, key: number): Promise<void> {
    await this.archive.delete(user, { end: key });
  }
}
