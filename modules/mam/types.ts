// Types of the mam module: its options, the service it offers other modules, and what it needs of the roster.
import type { ArchiveQuery } from '../../src/storage/types.js';

export type { ArchiveStore, ModuleContext } from '../../src/api/index.js';

/** The part of the roster service the 'roster' preference needs (so this module does not import the roster's). */
export interface RosterServiceLike {
  subscription(user: string, contact: string): Promise<string | null>;
}

export interface MamService {
  /** Deletes a user's archived messages (all, or those with one peer and/or in a time range); chunked. */
  purge(user: string, range?: Pick<ArchiveQuery, 'with' | 'start' | 'end'>): Promise<number>;
  /** Deletes every user's messages older than `before` (ms since epoch); chunked. */
  expire(before: number): Promise<number>;
  /** Archived messages, all users of the host together (metrics). */
  size(): Promise<number>;
  /** The archive id `stanza` got in `user`'s archive while it was routed, if any (for carbons, offline). */
  idFor(stanza: import('ltx').Element, user: string): string | undefined;
}

declare module '../../src/api/index.js' {
  interface Services {
    mam: MamService;
  }
}
