// What rooms need from the service they live in (kept as an interface so rooms do not import the service).
import type { Element } from 'ltx';
import type { ModuleContext } from '../../src/api/index.js';
import type { MucOptions } from './options.js';
import type { RoomStore } from './store.js';
import type { RoomArchive } from './archive.js';

export interface MucContext {
  readonly ctx: ModuleContext<MucOptions>;
  readonly options: MucOptions;
  /** The service's domain (conference.<host>). */
  readonly domain: string;
  readonly store: RoomStore;
  /** XEP-0313 for rooms, when the MAM piece is available. */
  readonly archive: RoomArchive;
  /** Routes a stanza (from and to set). */
  send(stanza: Element): void;
  /** XEP-0421 occupant id of a user in a room. */
  occupantId(room: string, bare: string): string;
  /** Whether this bare JID is a service admin (owner of every room). */
  isServiceAdmin(bare: string): boolean;
  /** The room is gone (destroyed, or temporary and empty). */
  forget(name: string): void;
}
