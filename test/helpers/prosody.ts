// A real Prosody (the Debian package) for interop tests: a generated config in a temp dir, its own loopback address,
// accounts written in its internal_plain format, started by the test and stopped by PID. Prosody resolves names
// with libunbound, which reads /etc/hosts only when told to (unbound.hoststxt); EtcHosts adds the test names and
// puts the file back exactly as it was.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CERT_DIR } from '../fixtures/make-certs.js';

export function prosodyInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v prosody'], { encoding: 'utf8' }).status === 0;
}

/** Lines added to /etc/hosts for the duration of a test; restore() writes back the original bytes. */
export class EtcHosts {
  readonly #original: Buffer;
  constructor(entries: Record<string, string>, private readonly file = '/etc/hosts') {
    this.#original = fs.readFileSync(file);
    const lines = Object.entries(entries).map(([name, ip]) => `${ip} ${name} # starling-interop-test`).join('\n');
    const base = this.#original.toString('utf8');
    fs.writeFileSync(file, `${base}${base.endsWith('\n') || base === '' ? '' : '\n'}${lines}\n`);
    // Also if the test process dies before its after() hook runs.
    process.once('exit', this.#onExit);
  }

  readonly #onExit = () => this.restore();

  restore(): void {
    fs.writeFileSync(this.file, this.#original);
    process.off('exit', this.#onExit);
  }
}

export interface ProsodyOptions {
  domain: string;
  address: string;
  c2sPort: number;
  /** Prosody's s2s_secure_auth. */
  secureAuth: boolean;
  /** Trust the test CA for peer certificates (else only the system store, which does not know it). */
  trustTestCa: boolean;
  users: Record<string, string>;
  /** A MUC component on this subdomain. */
  muc?: string;
}

function lua(s: string): string {
  return JSON.stringify(s);
}

/** Prosody's storage file names encode the host and user (internal_plain): '.' is %2e, and so on. */
function encode(s: string): string {
  return s.replace(/[^a-zA-Z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class ProsodyServer {
  readonly dir: string;
  #child: ChildProcess | null = null;
  #exit: Promise<number | null> | null = null;

  constructor(readonly opts: ProsodyOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-prosody-'));
  }

  get logFile(): string {
    return path.join(this.dir, 'prosody.log');
  }

  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  #writeConfig(): string {
    const o = this.opts;
    const data = path.join(this.dir, 'data');
    fs.mkdirSync(data, { recursive: true });
    fs.mkdirSync(path.join(this.dir, 'certs'), { recursive: true });
    for (const [user, password] of Object.entries(o.users)) {
      const dir = path.join(data, encode(o.domain), 'accounts');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${encode(user)}.dat`), `return {\n\t["password"] = ${lua(password)};\n};\n`);
    }
    const cert = path.join(CERT_DIR, `${o.domain}.crt`);
    const key = path.join(CERT_DIR, `${o.domain}.key`);
    const ssl = [`certificate = ${lua(cert)}`, `key = ${lua(key)}`];
    // Without the test CA, the peer is checked against a CA it does not chain to (untrusted, as in dialback mode).
    ssl.push(`cafile = ${lua(o.trustTestCa ? path.join(CERT_DIR, 'ca.crt') : '/etc/ssl/certs/ca-certificates.crt')}`);
    const cfg = `
run_as_root = true
certificates = ${lua(path.join(this.dir, 'certs'))}
daemonize = false
pidfile = ${lua(path.join(this.dir, 'prosody.pid'))}
data_path = ${lua(data)}
plugin_paths = {}
log = { debug = ${lua(this.logFile)} }
interfaces = { ${lua(o.address)} }
local_interfaces = { ${lua(o.address)} }
c2s_ports = { ${o.c2sPort} }
c2s_direct_tls_ports = {}
s2s_ports = { 5269 }
s2s_direct_tls_ports = {}
http_ports = {}
https_ports = {}
component_ports = {}
s2s_secure_auth = ${o.secureAuth}
s2s_require_encryption = true
c2s_require_encryption = true
authentication = "internal_plain"
storage = "internal"
unbound = { hoststxt = "/etc/hosts" }
use_dane = false
modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping", "presence", "message", "iq", "version", "time" }
modules_disabled = { "s2s_bidi", "posix", "admin_socket", "http", "bosh", "websocket", "limits", "offline", "c2s_limits" }
ssl = { ${ssl.join(', ')} }
VirtualHost ${lua(o.domain)}
${o.muc ? `Component ${lua(o.muc)} "muc"\n  ssl = { ${ssl.join(', ')} }\n  restrict_room_creation = false\n  muc_room_locking = false` : ''}
`;
    const file = path.join(this.dir, 'prosody.cfg.lua');
    fs.writeFileSync(file, cfg);
    return file;
  }

  async start(): Promise<void> {
    const file = this.#writeConfig();
    const child = spawn('prosody', ['--config', file, '-F'], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    this.#exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prosody exited (${child.exitCode}): ${out}\n${this.log().slice(-3000)}`);
      if (await canConnect(this.opts.address, this.opts.c2sPort) && await canConnect(this.opts.address, 5269)) return;
      if (Date.now() > deadline) throw new Error(`prosody did not open its ports in time: ${out}\n${this.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the process we started (by its PID), then removes the temp dir. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.pid) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.pid && process.kill(child.pid, 'SIGKILL'), 5000);
      await this.#exit;
      clearTimeout(timer);
    }
    this.#child = null;
    if (!process.env.STARLING_KEEP_PROSODY) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
