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

export const MIGRATIONS: readonly string[] = [
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
];

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
export function runMigrations(db: Database.Database, migrations: readonly string[] = MIGRATIONS): number {
  let applied = 0;
  const step = db.transaction((): boolean => {
    const version = schemaVersion(db);
    if (version > migrations.length) throw tooNewError(version, migrations.length);
    if (version === migrations.length) return true;
    db.exec(migrations[version]!);
    db.pragma(`user_version = ${version + 1}`);
    applied++;
    return false;
  });
  while (!step.immediate()) { /* next step */ }
  return applied;
}
