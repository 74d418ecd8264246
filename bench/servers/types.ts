// What the harness needs from a server under test: prepare a data directory with accounts once, then start and
// stop it (as its own process, so its CPU and memory can be read from /proc) as often as the repetitions need.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ServerTarget } from '../lib/client.js';
import { processTree } from '../lib/proc.js';

export const BENCH_PASSWORD = 'bench-pw';
export const BENCH_DOMAIN = 'localhost';

export type ServerName = 'starling' | 'prosody' | 'ejabberd';

export interface ServerUnderTest {
  readonly name: ServerName;
  readonly version: string;
  readonly target: ServerTarget;
  /** SASL mechanisms the server offers with its bench configuration. */
  readonly mechanisms: readonly string[];
  /** The roster scenario can run (a roster module is loaded). */
  readonly hasRoster: boolean;
  /** The muc scenario can run (a MUC service at conference.<domain>). */
  readonly hasMuc: boolean;
  /** Writes the configuration and creates accounts user1..userN (password BENCH_PASSWORD). */
  prepare(users: number): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** PIDs of the running server's process tree (CPU and RSS are summed over it). */
  pids(): number[];
}

export function userName(i: number): string {
  return `user${i}`;
}

export function fillTemplate(file: string, values: Record<string, string | number>): string {
  const tpl = fs.readFileSync(new URL(`../templates/${file}`, import.meta.url), 'utf8');
  return tpl.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    if (!(k in values)) throw new Error(`template ${file}: no value for ${k}`);
    return String(values[k]);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up (${child.exitCode ?? child.signalCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A server process the harness started: stopped by its PID only (SIGTERM, then SIGKILL after a grace period). */
export class ManagedProcess {
  readonly child: ChildProcess;
  #exited: Promise<void>;
  #log: fs.WriteStream;

  constructor(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; logFile: string }) {
    this.#log = fs.createWriteStream(opts.logFile, { flags: 'a' });
    this.child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.pipe(this.#log, { end: false });
    this.child.stderr!.pipe(this.#log, { end: false });
    this.#exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  pids(): number[] {
    return this.running ? processTree(this.pid) : [];
  }

  async stop(graceMs = 15_000): Promise<void> {
    if (this.running) {
      // Descendants too (ejabberd's beam.smp may have helpers), each by its own PID.
      const tree = processTree(this.pid);
      this.child.kill('SIGTERM');
      const t = setTimeout(() => {
        for (const p of tree) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }, graceMs);
      await this.#exited;
      clearTimeout(t);
    }
    this.#log.end();
  }
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function logPath(dir: string, name: string): string {
  return path.join(dir, `${name}.out`);
}
