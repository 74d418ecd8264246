// The server as a real child process (`starling -c <file> start`), for tests that need what only a process has:
// SIGTERM and kill -9, restarts on the same data directory, the CLI's own output.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CERT_DIR, ensureTestCerts } from '../fixtures/make-certs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/starling.js');
// The sources run through tsx, so a test never depends on a stale dist/.
const ENV = { ...process.env, STARLING_FROM_SOURCE: '1' };

/** A temp directory with a config serving localhost (test certificates) on ephemeral loopback ports. */
export function makeConfigDir(prefix: string, extraYaml: string[] = []): { dir: string; configFile: string } {
  ensureTestCerts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const configFile = path.join(dir, 'starling.yaml');
  fs.writeFileSync(configFile, [
    'hosts:',
    `  localhost: { tls: { cert: ${JSON.stringify(path.join(CERT_DIR, 'localhost.crt'))}, key: ${JSON.stringify(path.join(CERT_DIR, 'localhost.key'))} } }`,
    'listen:',
    '  - { service: c2s, address: 127.0.0.1, port: 0, tls: starttls }',
    '  - { service: c2s, address: 127.0.0.1, port: 0, tls: direct }',
    'dataDir: data',
    'log: { level: warn }',
    'auth: { scramIterations: 4096, failureDelayMs: 20 }',
    ...extraYaml,
    '',
  ].join('\n'));
  return { dir, configFile };
}

/** Runs a CLI command to completion; resolves with its exit code. */
export function runCli(args: string[], stdin = ''): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', resolve);
    child.stdin.end(stdin);
  });
}

export interface ServerProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly ports: { starttls: number; direct: number };
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Sends a signal by PID and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `starling -c configFile start` and resolves once both c2s listeners announced their ports. */
export function startServerProcess(configFile: string, timeoutMs = 20_000): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, '-c', configFile, 'start'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (s: string) => { out += s; };
  proc.stdout!.setEncoding('utf8').on('data', collect);
  proc.stderr!.setEncoding('utf8').on('data', collect);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${out}`));
    });
    proc.stdout!.on('data', () => {
      const s = out.match(/STARTTLS\) on 127\.0\.0\.1:(\d+)/);
      const d = out.match(/direct TLS\) on 127\.0\.0\.1:(\d+)/);
      if (!s || !d) return;
      clearTimeout(timer);
      resolve({
        proc,
        pid: proc.pid!,
        ports: { starttls: Number(s[1]), direct: Number(d[1]) },
        output: () => out,
        exited,
        kill(signal) {
          if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, signal);
          return exited;
        },
      });
    });
  });
}
