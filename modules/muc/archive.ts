// The room archive (XEP-0313 for rooms): groupchat messages of rooms whose config has archiving on, kept in
// an archive store owned by this module, one archive per room (the room's localpart is the store's user).
// Moderated messages are not deleted but covered by a tombstone (XEP-0425), kept in a map store.
import type { ArchiveStore, MapStore } from '../../src/api/index.js';
import type { ArchiveItem } from '../../src/storage/types.js';

export interface Tombstone {
  /** The moderator's occupant JID. */
  by: string;
  occupantId: string | null;
  reason: string;
  stamp: number;
}

export class RoomArchive {
  constructor(private readonly items: ArchiveStore, private readonly tombstones_: MapStore) {}

  /** Stores a broadcast message; resolves with its id (the stanza-id the room hands out). */
  /** `withJid` is the sender's real bare JID (what a MAM 'with' filter matches). */
  async append(room: string, withJid: string, xml: string, when: number, id: string): Promise<ArchiveItem> {
    return this.items.append(room, { id, when, with: withJid, kind: 'groupchat', xml });
  }

  /** The id (stanza-id) for a message of time `when` about to be archived. */
  newId(when: number): string {
    return this.items.newId(when);
  }

  /** Every tombstone of a room (retractions are rare, so a query reads them all at once). */
  async tombstones(room: string): Promise<Map<string, Tombstone>> {
    return (await this.tombstones_.getAll(room)) as Map<string, Tombstone>;
  }

  get store(): ArchiveStore {
    return this.items;
  }

  async tombstone(room: string, id: string, t: Tombstone): Promise<void> {
    await this.tombstones_.set(room, id, t);
  }

  async tombstoneOf(room: string, id: string): Promise<Tombstone | null> {
    return (await this.tombstones_.get(room, id)) as Tombstone | null;
  }

  async has(room: string, id: string): Promise<ArchiveItem | null> {
    const r = await this.items.find(room, { ids: [id], limit: 1 });
    return r.items[0] ?? null;
  }

  /** Removes a destroyed room's archive. */
  async drop(room: string): Promise<void> {
    await this.items.delete(room);
    await this.tombstones_.deleteAll(room);
  }
}
