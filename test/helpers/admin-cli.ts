// Runs `starling` as a real process (from the TypeScript sources) and starts a real server process for the admin
// command tests: a config file with ephemeral loopback ports in a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CERT_DIR, ensureTestCerts } from '../fixtures/make-certs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/starling.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, STARLING_FROM_SOURCE: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/** A temporary directory with a starling.yaml (extra YAML lines appended). */
export function makeConfigDir(extra: string[] = [], listenHttp = false): { dir: string; file: string; write(extra: string[]): void } {
  ensureTestCerts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-admin-'));
  const file = path.join(dir, 'starling.yaml');
  const write = (more: string[]) => fs.writeFileSync(file, [
    'hosts:',
    `  localhost: { tls: { cert: ${JSON.stringify(path.join(CERT_DIR, 'localhost.crt'))}, key: ${JSON.stringify(path.join(CERT_DIR, 'localhost.key'))} } }`,
    'listen:',
    '  - { service: c2s, address: 127.0.0.1, port: 0, tls: starttls }',
    ...(listenHttp ? ['  - { service: http, address: 127.0.0.1, port: 0 }'] : []),
    'dataDir: data',
    'auth: { scramIterations: 4096, failureDelayMs: 10 }',
    'log: { level: info, format: json }',
    ...more,
    '',
  ].join('\n'));
  write(extra);
  return { dir, file, write };
}

export interface ServerProcess {
  proc: ChildProcess;
  c2sPort: number;
  httpPort: number | null;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export async function startServerProcess(configFile: string): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, '-c', configFile, 'start'], { env: { ...process.env, STARLING_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  const ports = await new Promise<{ c2s: number; http: number | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    const check = () => {
      const s = out.match(/STARTTLS\) on 127\.0\.0\.1:(\d+)/);
      if (s && out.includes('Starling started')) {
        clearTimeout(timer);
        const h = out.match(/plain HTTP\) on 127\.0\.0\.1:(\d+)/);
        resolve({ c2s: Number(s[1]), http: h ? Number(h[1]) : null });
      }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.on('exit', () => reject(new Error(`server exited: ${out}`)));
  });
  return { proc, c2sPort: ports.c2s, httpPort: ports.http, output: () => out, exited };
}
