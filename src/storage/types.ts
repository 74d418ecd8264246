// Storage contracts (ARCHITECTURE.md §C7). Every method is async so that a PostgreSQL driver can
// implement the same interfaces later; the SQLite driver is synchronous underneath.
import type { StoredCredentials } from '../auth/types.js';

export interface AccountRecord {
  host: string;
  username: string;                  // nodeprepped localpart
  credentials: StoredCredentials;
  disabled: boolean;
  createdAt: number;                 // ms since epoch
}

export interface AccountStore {
  /** Creates the account; resolves false (and changes nothing) if it exists already. */
  create(host: string, username: string, credentials: StoredCredentials): Promise<boolean>;
  get(host: string, username: string): Promise<AccountRecord | null>;
  /** Replaces the credentials; resolves false if there is no such account. */
  setCredentials(host: string, username: string, credentials: StoredCredentials): Promise<boolean>;
  setDisabled(host: string, username: string, disabled: boolean): Promise<boolean>;
  /** Deletes the account row only (use StorageDriver.purgeUser to remove all of a user's data). */
  delete(host: string, username: string): Promise<boolean>;
  list(host: string): Promise<string[]>;               // sorted usernames
}

/** One JSON document per user (Prosody keyval). */
export interface KeyValueStore<T = unknown> {
  get(user: string): Promise<T | null>;
  set(user: string, value: T | null): Promise<void>;   // null deletes
}

/** Per-user key -> JSON value (Prosody map). */
export interface MapStore<T = unknown> {
  get(user: string, key: string): Promise<T | null>;
  set(user: string, key: string, value: T | null): Promise<void>;   // null deletes
  getAll(user: string): Promise<Map<string, T>>;
  deleteAll(user: string): Promise<void>;
}

export interface ArchiveItem {
  id: string;          // stable, unique per (store, user): the XEP-0359 stanza-id handed to clients
  sortId: number;      // monotonic ordering key assigned by the store
  when: number;        // ms since epoch
  with: string;        // bare JID of the peer
  kind: string;        // free-form class, e.g. 'chat', 'groupchat'
  xml: string;         // the serialised stanza
}

/** One item of ArchiveStore.appendMany: the owner and what append() takes. */
export interface ArchiveAppend {
  user: string;
  id?: string;
  when: number;
  with: string;
  kind: string;
  xml: string;
}

export interface ArchiveQuery {
  with?: string;
  start?: number;      // inclusive, ms
  end?: number;        // inclusive, ms
  after?: string;      // item id: strictly after it in sort order
  before?: string;     // item id: strictly before it in sort order
  ids?: string[];
  limit?: number;
  reverse?: boolean;   // newest first (for RSM <before/>)
  total?: boolean;     // also count all matches ignoring after/before/limit
  /** Skips this many items (within after/before) in the direction of travel before the page starts (RSM <index/>). */
  offset?: number;
  /** Also report `index`: how many matches (ignoring after/before/limit, as `total`) precede the page's first item. */
  position?: boolean;
}

export interface ArchiveResult {
  items: ArchiveItem[];   // always oldest-first within the page, even when reverse=true
  total?: number;
  complete: boolean;      // no more items beyond this page in the direction of travel
  /** With `position`: the 0-based position of items[0] among all matches (RSM <first index/>); unset for an empty page. */
  index?: number;
}

export interface ArchiveStore {
  /**
   * An item id for an item of time `when` that is about to be appended (a stanza-id handed out before the row is
   * written). Appending with it and the same `when` is the cheapest way to store an item; any id works, though.
   */
  newId(when: number): string;
  /** Appends; `id` is generated (random, url-safe) when not given. Returns the stored item. */
  append(user: string, item: { id?: string; when: number; with: string; kind: string; xml: string }): Promise<ArchiveItem>;
  /**
   * Appends several items, possibly for several users, in one transaction (one commit instead of one per item:
   * what a busy archive writes per event-loop turn). All or nothing: rejects with code 'conflict' and stores
   * nothing if a given id exists (or appears twice for one user). Items are stored in the order given.
   */
  appendMany(items: readonly ArchiveAppend[]): Promise<ArchiveItem[]>;
  /** Rejects with an Error whose `code` is 'item-not-found' when `after`/`before` names an unknown id. */
  find(user: string, query: ArchiveQuery): Promise<ArchiveResult>;
  /** Deletes matching items (only with/start/end are honoured); returns how many went. Runs in chunks. */
  delete(user: string, query?: Pick<ArchiveQuery, 'with' | 'start' | 'end'>): Promise<number>;
  /** Deletes items of every user older than `before` ms; chunked so the event loop is not blocked for long. */
  deleteOlderThan(before: number): Promise<number>;
  /** Items of every user in this store (for metrics; may cost a scan of the store's index). */
  countAll(): Promise<number>;
}

export interface StoreTypes {
  keyval: KeyValueStore;
  map: MapStore;
  archive: ArchiveStore;
}

export interface StorageDriver {
  readonly name: 'sqlite' | 'memory';
  readonly accounts: AccountStore;
  /** A generic store, namespaced by host and store name (e.g. 'roster', 'mam'). */
  open<K extends keyof StoreTypes>(host: string, store: string, kind: K): StoreTypes[K];
  /** Runs pending numbered migrations. Idempotent. */
  migrate(): Promise<void>;
  /** Removes everything stored for one user in every store (account deletion). */
  purgeUser(host: string, user: string): Promise<void>;
  close(): Promise<void>;
}
