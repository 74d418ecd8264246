// ejabberd (Debian package) under test. Started with `erl` directly rather than `ejabberdctl foreground`, so that
// the process is ours (no su to the ejabberd user), and with a fixed distribution port instead of epmd
// (-erl_epmd_port / -start_epmd false): no epmd daemon is left behind. Its own node name, config, spool and log
// directory live under the bench work dir. Accounts are created once by in-band registration (see register.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { ServerTarget } from '../lib/client.js';
import { packageVersion } from './prosody.js';
import { registerUsers } from './register.js';
import { BENCH_DOMAIN, ManagedProcess, ensureDir, fillTemplate, freePort, logPath, waitForPort, type ServerUnderTest } from './types.js';

const ERL_LIBS = '/usr/lib/x86_64-linux-gnu';

export class EjabberdServer implements ServerUnderTest {
  readonly name = 'ejabberd';
  readonly version: string;
  // auth_password_format: scram stores one hash, SHA-1 by default.
  readonly mechanisms = ['SCRAM-SHA-1'];
  readonly hasRoster = true;
  readonly hasMuc = true;
  target: ServerTarget = { domain: BENCH_DOMAIN, address: '127.0.0.1', port: 0 };
  #dir: string;
  #pem: string;
  #distPort = 0;
  #proc: ManagedProcess | null = null;
  #prepared = 0;

  constructor(workDir: string, cert: { certPath: string; keyPath: string }) {
    this.#dir = ensureDir(path.join(workDir, 'ejabberd'));
    this.#pem = path.join(this.#dir, 'localhost.pem');
    fs.writeFileSync(this.#pem, fs.readFileSync(cert.certPath, 'utf8') + fs.readFileSync(cert.keyPath, 'utf8'), { mode: 0o600 });
    this.version = packageVersion('ejabberd');
  }

  async prepare(users: number): Promise<void> {
    this.target.port = await freePort();
    const httpPort = await freePort();
    this.target.wsUrl = `ws://127.0.0.1:${httpPort}/xmpp-websocket`;
    this.#distPort = await freePort();
    ensureDir(path.join(this.#dir, 'spool'));
    ensureDir(path.join(this.#dir, 'logs'));
    fs.writeFileSync(path.join(this.#dir, 'ejabberd.yml'), fillTemplate('ejabberd.yml', {
      DOMAIN: BENCH_DOMAIN, PORT: this.target.port, HTTP_PORT: httpPort, PEM: this.#pem,
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
    const args = [
      '-sname', `starlingbench${this.#distPort}@localhost`,
      '-erl_epmd_port', String(this.#distPort), '-start_epmd', 'false',
      '+K', 'true', '+P', '1000000', '-noinput',
      '-mnesia', 'dir', `"${path.join(this.#dir, 'spool')}"`,
      '-s', 'ejabberd',
    ];
    this.#proc = new ManagedProcess('erl', args, {
      cwd: this.#dir,
      env: {
        ...process.env,
        HOME: this.#dir, // the Erlang cookie goes here
        ERL_LIBS,
        EJABBERD_CONFIG_PATH: path.join(this.#dir, 'ejabberd.yml'),
        EJABBERD_LOG_PATH: path.join(this.#dir, 'logs', 'ejabberd.log'),
        ERL_MAX_PORTS: '65000',
        ERL_CRASH_DUMP: path.join(this.#dir, 'logs', 'erl_crash.dump'),
        ERL_CRASH_DUMP_BYTES: '0',
        ERL_INETRC: '/etc/ejabberd/inetrc',
      },
      logFile: logPath(this.#dir, 'ejabberd'),
    });
    await waitForPort(this.target.port, this.#proc.child, 60_000, 'ejabberd');
  }

  async stop(): Promise<void> {
    await this.#proc?.stop();
    this.#proc = null;
  }

  pids(): number[] {
    return this.#proc?.pids() ?? [];
  }
}
