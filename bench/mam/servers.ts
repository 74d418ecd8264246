// The servers of the MAM bench, each with archiving off or on, in their own directories:
// Starling with or without its mam module; Prosody with or without mod_mam on SQL (SQLite3) archive storage.
import fs from 'node:fs';
import path from 'node:path';
import type { CertificatePair } from '../../src/net/certs.js';
import { ProsodyServer } from '../servers/prosody.js';
import { StarlingServer } from '../servers/starling.js';

export type Cert = { certPath: string; keyPath: string; pair: CertificatePair };

export function starling(workDir: string, cert: Cert, archiving: boolean, writeBatchMs?: number): StarlingServer {
  const s = new StarlingServer(path.join(workDir, archiving ? 'on' : 'off'), cert);
  if (archiving) s.moduleOptions = { mam: { retentionDays: 0, ...(writeBatchMs === undefined ? {} : { writeBatchMs }) } };
  return s;
}

/** Prosody with the bench template, plus mod_mam and SQL archives when archiving. */
export class ProsodyMam extends ProsodyServer {
  readonly dir: string;
  constructor(workDir: string, cert: Cert, readonly archiving: boolean) {
    const dir = path.join(workDir, archiving ? 'on' : 'off');
    super(dir, cert);
    this.dir = path.join(dir, 'prosody');
  }

  override async prepare(users: number): Promise<void> {
    await super.prepare(users);
    if (!this.archiving) return;
    const cfg = path.join(this.dir, 'prosody.cfg.lua');
    let text = fs.readFileSync(cfg, 'utf8');
    if (!text.includes('"mam"')) {
      text = text.replace('modules_enabled = {', 'modules_enabled = { "mam",');
      // Accounts stay in the internal store they were registered in; only archives go to SQL.
      text = text.replace('storage = "internal"', [
        'default_storage = "internal"',
        'storage = { archive = "sql" }',
        `sql = { driver = "SQLite3", database = "${path.join(this.dir, 'data', 'prosody.sqlite')}" }`,
        'archive_expires_after = "never"',
        'max_archive_query_results = 50',
      ].join('\n'));
      fs.writeFileSync(cfg, text);
    }
  }

  get sqlitePath(): string {
    return path.join(this.dir, 'data', 'prosody.sqlite');
  }
}
