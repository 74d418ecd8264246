// Opens the configured storage driver (ARCHITECTURE.md §C7). Both drivers pass the same contract suite
// (test/contract/storage.test.ts).
import { join } from 'node:path';
import type { StorageDriver } from './types.js';
import { MemoryStorage } from './memory/driver.js';
import { openSqliteStorage } from './sqlite/driver.js';

export type * from './types.js';
export { StorageError, type StorageErrorCode } from './ids.js';
export { MemoryStorage } from './memory/driver.js';
export { SqliteStorage } from './sqlite/driver.js';

export interface OpenStorageOptions {
  driver: 'sqlite' | 'memory';
  /** SQLite file (':memory:' for a throwaway database). Default: <dataDir>/starling.db. */
  path?: string;
  /** Used only for the default path; default 'data'. */
  dataDir?: string;
  /** SQLite durability: 'normal' survives a crash of the process; 'full' also an OS crash or power loss. */
  synchronous?: 'normal' | 'full';
}

/**
 * The storage driver for the configuration: `memory`, or `sqlite` on `path` (its parent directory is
 * created if missing; the schema is migrated). Rejects with an Error naming the path if the file cannot
 * be opened or was written by a newer Starling.
 */
export async function openStorage(opts: OpenStorageOptions): Promise<StorageDriver> {
  switch (opts.driver) {
    case 'memory':
      return new MemoryStorage();
    case 'sqlite':
      return openSqliteStorage(opts.path ?? join(opts.dataDir ?? 'data', 'starling.db'), opts.synchronous);
    default:
      throw new Error(`unknown storage driver "${String((opts as { driver: unknown }).driver)}"`);
  }
}
