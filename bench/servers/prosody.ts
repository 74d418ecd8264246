// Prosody (Debian package) under test: its own config and data directory under the bench work dir, run in the
// foreground as its own process. Accounts are created once by in-band registration (see register.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ServerTarget } from '../lib/client.js';
import { registerUsers } from './register.js';
import { BENCH_DOMAIN, ManagedProcess, ensureDir, fillTemplate, freePort, logPath, waitForPort, type ServerUnderTest } from './types.js';

export class ProsodyServer implements ServerUnderTest {
  readonly name = 'prosody';
  readonly version: string;
  // Prosody 0.12 stores SCRAM-SHA-1 keys only (mod_auth_internal_hashed).
  readonly mechanisms = ['SCRAM-SHA-1'];
  readonly hasRoster = true;
  readonly hasMuc = true;
  target: ServerTarget = { domain: BENCH_DOMAIN, address: '127.0.0.1', port: 0 };
  #dir: string;
  #cert: { certPath: string; keyPath: string };
  #proc: ManagedProcess | null = null;
  #prepared = 0;

  constructor(workDir: string, cert: { certPath: string; keyPath: string }) {
    this.#dir = ensureDir(path.join(workDir, 'prosody'));
    this.#cert = cert;
    this.version = packageVersion('prosody');
  }

  async prepare(users: number): Promise<void> {
    this.target.port = await freePort();
    const httpPort = await freePort();
    this.target.wsUrl = `ws://127.0.0.1:${httpPort}/xmpp-websocket`;
    ensureDir(path.join(this.#dir, 'data'));
    fs.writeFileSync(path.join(this.#dir, 'prosody.cfg.lua'), fillTemplate('prosody.cfg.lua', {
      DIR: this.#dir, CERTDIR: path.dirname(this.#cert.certPath), PORT: this.target.port, HTTP_PORT: httpPort, CERT: this.#cert.certPath, KEY: this.#cert.keyPath, DOMAIN: BENCH_DOMAIN,
    }));
    if (users > this.#prepared) {
      await this.start();
      try {
        await registerUsers(this.target, users);
      } finally {
        await this.stop();
      }
      this.#prepared = users;
    }
  }

  async start(): Promise<void> {
    this.#proc = new ManagedProcess('prosody', ['--config', path.join(this.#dir, 'prosody.cfg.lua'), '-F'], {
      cwd: this.#dir,
      logFile: logPath(this.#dir, 'prosody'),
    });
    await waitForPort(this.target.port, this.#proc.child, 30_000, 'prosody');
  }

  async stop(): Promise<void> {
    await this.#proc?.stop();
    this.#proc = null;
  }

  pids(): number[] {
    return this.#proc?.pids() ?? [];
  }
}

export function packageVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg]).toString().trim();
  } catch {
    return 'not installed';
  }
}

export function commandExists(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
