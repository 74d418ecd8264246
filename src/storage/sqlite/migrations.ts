// Numbered schema migrations for the SQLite driver. MIGRATIONS[i] takes the schema from version i to
// i + 1; the version lives in `PRAGMA user_version`. Append new migrations, never edit applied ones.
//
// The same logical schema for PostgreSQL (a future `pg` driver; versions in a schema_migrations table):
//
//   CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
//
//   CREATE TABLE accounts (
//     host        text    NOT NULL,
//     username    text    NOT NULL,
//     credentials jsonb   NOT NULL,            -- StoredCredentials (SCRAM keys for SHA-1 and SHA-256)
//     disabled    boolean NOT NULL DEFAULT false,
//     created_at  bigint  NOT NULL,            -- ms since epoch
//     PRIMARY KEY (host, username)
//   );
//
//   -- keyval stores use key = ''; map stores one row per key. (`owner`, not `user`: USER is reserved in pg.)
//   CREATE TABLE kv (
//     host  text  NOT NULL,
//     store text  NOT NULL,
//     owner text  NOT NULL,
//     key   text  NOT NULL,
//     value jsonb NOT NULL,
//     PRIMARY KEY (host, store, owner, key)
//   );
//
//   CREATE TABLE archive (
//     id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- sortId, never reused
//     host      text   NOT NULL,
//     store     text   NOT NULL,
//     owner     text   NOT NULL,
//     stanza_id text   NOT NULL,                                   -- XEP-0359 id given to clients
//     ts        bigint NOT NULL,                                   -- ms since epoch
//     with_bare text   NOT NULL,
//     kind      text   NOT NULL,
//     xml       text   NOT NULL,
//     UNIQUE (host, store, owner, stanza_id)
//   );
//   CREATE INDEX archive_owner ON archive (host, store, owner, id);
//   CREATE INDEX archive_with  ON archive (host, store, owner, with_bare, id, ts);
//   CREATE INDEX archive_ts    ON archive (host, store, owner, ts, id);
//
// The queries in this directory are portable (INSERT ... ON CONFLICT, DELETE ... WHERE id IN (SELECT ...
// LIMIT n), min() for index seeks); only the pragmas and `LIMIT -1` (no limit) are SQLite's own.
import type Database from 'better-sqlite3';
import { StorageError } from '../ids.js';
import { MAX_WHEN, PER_MS } from './sort-ids.js';

/** SQL text, or a function for a step that needs code (it runs inside the step's transaction). */
export type Migration = string | ((db: Database.Database) => void);

export const MIGRATIONS: readonly Migration[] = [
  // 1: accounts, generic key/value rows, archives.
  `
  CREATE TABLE accounts (
    host        TEXT    NOT NULL,
    username    TEXT    NOT NULL,
    credentials TEXT    NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (host, username)
  ) STRICT;

  CREATE TABLE kv (
    host  TEXT NOT NULL,
    store TEXT NOT NULL,
    owner TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (host, store, owner, key)
  ) STRICT;

  CREATE TABLE archive (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    host      TEXT    NOT NULL,
    store     TEXT    NOT NULL,
    owner     TEXT    NOT NULL,
    stanza_id TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    with_bare TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    xml       TEXT    NOT NULL,
    UNIQUE (host, store, owner, stanza_id)
  ) STRICT;
  -- Pages in id order: whole archive (the newest page without it sorts the owner's every row),
  -- one peer (ts at the end lets a with+start/end query filter inside the index), a time range.
  CREATE INDEX archive_owner ON archive (host, store, owner, id);
  CREATE INDEX archive_with  ON archive (host, store, owner, with_bare, id, ts);
  CREATE INDEX archive_ts    ON archive (host, store, owner, ts);
  `,
  // 2: archives keyed by small integers, with two indexes instead of four (a row costs a third as much to write).
  migrateArchiveToSortIds,
];

/**
 * Schema 2 of the archives (see sort-ids.ts): owners numbered in archive_owners; the items' primary key is the
 * sort id (time * 1024 + sequence), so the time index goes; item ids of this schema carry their sort id, so the
 * unique index on (owner, item id) goes too, and only ids given by callers or kept from schema 1 are listed in
 * archive_ids. Existing rows are copied in time order (ties in their old order) and keep their item ids.
 *
 * In PostgreSQL terms:
 *   CREATE TABLE archive_owners (oid bigserial PRIMARY KEY, host text, store text, owner text, UNIQUE (host, store, owner));
 *   CREATE TABLE archive_items (id bigint PRIMARY KEY, oid bigint NOT NULL, stanza_id text NOT NULL,
 *     with_bare text NOT NULL, kind text NOT NULL, xml text NOT NULL);
 *   CREATE INDEX archive_items_owner ON archive_items (oid, id);
 *   CREATE INDEX archive_items_with ON archive_items (oid, with_bare, id);
 *   CREATE TABLE archive_ids (oid bigint, stanza_id text, id bigint NOT NULL, PRIMARY KEY (oid, stanza_id));
 */
function migrateArchiveToSortIds(db: Database.Database): void {
  db.exec(`
  CREATE TABLE archive_owners (
    oid   INTEGER PRIMARY KEY,
    host  TEXT NOT NULL,
    store TEXT NOT NULL,
    owner TEXT NOT NULL,
    UNIQUE (host, store, owner)
  ) STRICT;
  CREATE TABLE archive_items (
    id        INTEGER PRIMARY KEY,
    oid       INTEGER NOT NULL,
    stanza_id TEXT    NOT NULL,
    with_bare TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    xml       TEXT    NOT NULL
  ) STRICT;
  CREATE INDEX archive_items_owner ON archive_items (oid, id);
  CREATE INDEX archive_items_with  ON archive_items (oid, with_bare, id);
  CREATE TABLE archive_ids (
    oid       INTEGER NOT NULL,
    stanza_id TEXT    NOT NULL,
    id        INTEGER NOT NULL,
    PRIMARY KEY (oid, stanza_id)
  ) WITHOUT ROWID, STRICT;
  INSERT INTO archive_owners (host, store, owner) SELECT DISTINCT host, store, owner FROM archive;
  `);
  const insertItem = db.prepare('INSERT INTO archive_items (id, oid, stanza_id, with_bare, kind, xml) VALUES (?, ?, ?, ?, ?, ?)');
  const insertId = db.prepare('INSERT INTO archive_ids (oid, stanza_id, id) VALUES (?, ?, ?)');
  // In pages of 10 000 in (ts, id) order (a statement cannot write while another one is being iterated).
  const page = db.prepare(`SELECT a.id AS old, o.oid, a.stanza_id, a.ts, a.with_bare, a.kind, a.xml FROM archive a
    JOIN archive_owners o ON o.host = a.host AND o.store = a.store AND o.owner = a.owner
    WHERE a.ts > ? OR (a.ts = ? AND a.id > ?) ORDER BY a.ts, a.id LIMIT 10000`);
  type OldRow = { old: number; oid: number; stanza_id: string; ts: number; with_bare: string; kind: string; xml: string };
  let last = -Infinity;
  for (let at = { ts: -Infinity, id: -Infinity }; ;) {
    const rows = page.all(at.ts, at.ts, at.id) as OldRow[];
    for (const r of rows) {
      const ts = Math.min(Math.max(r.ts, 0), MAX_WHEN);
      const id = Math.max(ts * PER_MS, last + 1);
      last = id;
      insertItem.run(id, r.oid, r.stanza_id, r.with_bare, r.kind, r.xml);
      insertId.run(r.oid, r.stanza_id, id);
    }
    if (rows.length < 10000) break;
    at = { ts: rows[rows.length - 1]!.ts, id: rows[rows.length - 1]!.old };
  }
  db.exec('DROP TABLE archive;');
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function tooNewError(version: number, known: number): StorageError {
  return new StorageError('schema-too-new',
    `the database has schema version ${version}, newer than this Starling knows (${known}); refusing to use it (upgrade Starling or restore a matching backup)`);
}

/**
 * Applies pending migrations, each in its own IMMEDIATE transaction together with the user_version bump,
 * so a crash or a second process never leaves a half-applied step. Returns how many were applied (0 when
 * the schema is current). Throws a StorageError with code 'schema-too-new' for a newer database.
 */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  let applied = 0;
  const step = db.transaction((): boolean => {
    const version = schemaVersion(db);
    if (version > migrations.length) throw tooNewError(version, migrations.length);
    if (version === migrations.length) return true;
    const migration = migrations[version]!;
    if (typeof migration === 'string') db.exec(migration);
    else migration(db);
    db.pragma(`user_version = ${version + 1}`);
    applied++;
    return false;
  });
  while (!step.immediate()) { /* next step */ }
  return applied;
}
