// `starling start` as a real process: a config file with ephemeral loopback ports, a user added by
// the CLI, a raw client logging in, then SIGTERM (by PID) giving clients system-shutdown and exit 0.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { rawLogin } from '../helpers/login.js';
import { CERT_DIR, ensureTestCerts } from '../fixtures/make-certs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/starling.js');

function cli(args: string[], stdin = ''): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, STARLING_FROM_SOURCE: '1' }, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', resolve);
    child.stdin.end(stdin);
  });
}

describe('starling start', function () {
  this.timeout(30_000);
  let dir: string;
  let configFile: string;
  let child: ChildProcess | null = null;

  before(() => {
    ensureTestCerts();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-start-'));
    configFile = path.join(dir, 'starling.yaml');
    fs.writeFileSync(configFile, [
      'hosts:',
      `  localhost: { tls: { cert: ${JSON.stringify(path.join(CERT_DIR, 'localhost.crt'))}, key: ${JSON.stringify(path.join(CERT_DIR, 'localhost.key'))} } }`,
      'listen:',
      '  - { service: c2s, address: 127.0.0.1, port: 0, tls: starttls }',
      '  - { service: c2s, address: 127.0.0.1, port: 0, tls: direct }',
      'dataDir: data',
      'log: { level: warn }',
      '',
    ].join('\n'));
  });
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves clients and shuts down cleanly on SIGTERM', async () => {
    expect(await cli(['-c', configFile, 'adduser', 'alice@localhost', '--password', 'pw'])).to.equal(0);
    const proc = spawn(process.execPath, [BIN, '-c', configFile, 'start'], { env: { ...process.env, STARLING_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
    const ports = await new Promise<{ starttls: number; direct: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
      proc.stdout!.on('data', () => {
        const s = out.match(/STARTTLS\) on 127\.0\.0\.1:(\d+)/);
        const d = out.match(/direct TLS\) on 127\.0\.0\.1:(\d+)/);
        if (s && d) {
          clearTimeout(timer);
          resolve({ starttls: Number(s[1]), direct: Number(d[1]) });
        }
      });
    });
    const a = await rawLogin({ port: ports.starttls, username: 'alice', password: 'pw', resource: 'one' });
    const b = await rawLogin({ port: ports.direct, directTls: true, username: 'alice', password: 'pw', resource: 'two' });
    a.client.send("<message to='alice@localhost/two' id='s1'><body>over the real process</body></message>");
    await b.client.expect(/<message [^>]*id="s1"/);

    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    process.kill(proc.pid!, 'SIGTERM');
    await a.client.expect(/<stream:error><system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    a.client.send('</stream:stream>');
    b.client.close();
    expect(await exited).to.equal(0);
    expect(fs.existsSync(path.join(dir, 'data', 'starling.db'))).to.equal(true);
  });
});
