// `starling` as a real process, from the TypeScript sources: CLI commands run to completion, and the server started
// with `starling -c <file> start` for what only a process has (SIGTERM, SIGHUP, kill -9, restarts on the same data
// directory, the admin socket, the CLI's own output).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CERT_DIR, ensureTestCerts } from '../fixtures/make-certs.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/starling.js');
// The sources run through tsx, so a test never depends on a stale dist/.
const ENV = { ...process.env, STARLING_FROM_SOURCE: '1' };

export interface ConfigDir {
  dir: string;
  /** The config file (starling.yaml in `dir`). */
  file: string;
  /** Rewrites the file with other extra lines (for reload tests). */
  write(extra: string[]): void;
}

/**
 * A temporary directory with a starling.yaml serving localhost (test certificates) on ephemeral loopback ports —
 * STARTTLS and direct TLS c2s, plus plain HTTP when `http` — with `extra` YAML lines appended.
 */
export function makeConfigDir(extra: string[] = [], opts: { http?: boolean; prefix?: string } = {}): ConfigDir {
  ensureTestCerts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix ?? 'starling-proc-'));
  const file = path.join(dir, 'starling.yaml');
  const write = (more: string[]) => fs.writeFileSync(file, [
    'hosts:',
    `  localhost: { tls: { cert: ${JSON.stringify(path.join(CERT_DIR, 'localhost.crt'))}, key: ${JSON.stringify(path.join(CERT_DIR, 'localhost.key'))} } }`,
    'listen:',
    '  - { service: c2s, address: 127.0.0.1, port: 0, tls: starttls }',
    '  - { service: c2s, address: 127.0.0.1, port: 0, tls: direct }',
    ...(opts.http ? ['  - { service: http, address: 127.0.0.1, port: 0 }'] : []),
    'dataDir: data',
    'auth: { scramIterations: 4096, failureDelayMs: 10 }',
    // info: the readiness check below waits for the "Starling started" line.
    'log: { level: info, format: json }',
    ...more,
    '',
  ].join('\n'));
  write(extra);
  return { dir, file, write };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI command to completion. */
export function runCli(args: string[], stdin = '', opts: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});   // the CLI may exit without reading stdin
    child.stdin.end(stdin);
  });
}

export interface ServerProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The STARTTLS c2s port (also in `ports`). */
  readonly c2sPort: number;
  readonly ports: { starttls: number; direct: number | null };
  readonly httpPort: number | null;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Sends a signal by PID and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `starling -c configFile start` and resolves once it has logged that it started. */
export function startServerProcess(configFile: string, timeoutMs = 20_000): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, '-c', configFile, 'start'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it started: ${out}`));
    });
    const collect = (s: string) => {
      out += s;
      const starttls = out.match(/STARTTLS\) on 127\.0\.0\.1:(\d+)/);
      if (!starttls || !out.includes('Starling started')) return;
      clearTimeout(timer);
      const direct = out.match(/direct TLS\) on 127\.0\.0\.1:(\d+)/);
      const http = out.match(/plain HTTP\) on 127\.0\.0\.1:(\d+)/);
      const c2sPort = Number(starttls[1]);
      resolve({
        proc,
        pid: proc.pid!,
        c2sPort,
        ports: { starttls: c2sPort, direct: direct ? Number(direct[1]) : null },
        httpPort: http ? Number(http[1]) : null,
        output: () => out,
        exited,
        kill(signal) {
          if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, signal);
          return exited;
        },
      });
    };
    proc.stdout!.setEncoding('utf8').on('data', collect);
    proc.stderr!.setEncoding('utf8').on('data', collect);
  });
}
