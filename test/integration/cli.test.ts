// The `starling` command, run as a real process (bin/starling.js from the TypeScript sources) against a temporary
// configuration and data directory. Accounts are checked by opening the storage after the CLI has exited.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { verifyPassword } from '../../src/auth/credentials.js';
import { openStorage } from '../../src/storage/index.js';
import type { AccountRecord } from '../../src/storage/types.js';
import { ROOT, runCli } from '../helpers/server-process.js';


/** The CLI run to completion, by default from the repository root (where config/starling.yaml is found). */
const run = (args: string[], opts: { stdin?: string; cwd?: string } = {}) => runCli(args, opts.stdin ?? '', { cwd: opts.cwd });

describe('starling CLI', function () {
  this.timeout(30_000);
  let dir: string;
  let configFile: string;
  let dbPath: string;

  async function account(local: string, host = 'localhost'): Promise<AccountRecord | null> {
    const storage = await openStorage({ driver: 'sqlite', path: dbPath });
    try {
      return await storage.accounts.get(host, local);
    } finally {
      await storage.close();
    }
  }

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-cli-'));
    configFile = path.join(dir, 'starling.yaml');
    fs.writeFileSync(configFile, [
      'hosts:',
      '  localhost: {}',
      '  example.com: {}',
      'listen: []',
      'dataDir: data',
      'certsDir: certs',
      'tls: { generateMissing: false }',
      'auth: { scramIterations: 4096 }',
      'log: { level: silent }',
      '',
    ].join('\n'));
    dbPath = path.join(dir, 'data', 'starling.db');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await run(['--version']);
    expect(r).to.deep.equal({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('an unknown command is a usage error (2)', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("unknown command 'frobnicate'").and.contain('--help');
  });

  it('an unknown option is a usage error (2)', async () => {
    const r = await run(['-c', configFile, 'adduser', 'x@localhost', '--pasword', 'x']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("unknown option '--pasword'");
  });

  it('no command prints the help and exits 2', async () => {
    const r = await run([]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('Usage: starling');
  });

  it('adduser with --password creates the account', async () => {
    const r = await run(['-c', configFile, 'adduser', 'alice@localhost', '--password', 'wonderland']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('added user alice@localhost\n');
    const acct = await account('alice');
    expect(acct).to.not.equal(null);
    expect(await verifyPassword(acct!.credentials, 'wonderland')).to.equal(true);
    expect(acct!.credentials['SHA-256'].iterations).to.equal(4096);
  });

  it('adduser reads the first line of stdin (echo pw | starling adduser ...)', async () => {
    const r = await run(['adduser', 'Bob@LocalHost', '--config', configFile], { stdin: 'builder\nsecond line\n' });
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const acct = await account('bob');
    expect(await verifyPassword(acct!.credentials, 'builder')).to.equal(true);
  });

  it('accepts a password on stdin without a newline, and CRLF line ends', async () => {
    expect((await run(['-c', configFile, 'adduser', 'carol@example.com'], { stdin: 'no-newline' })).code).to.equal(0);
    expect(await verifyPassword((await account('carol', 'example.com'))!.credentials, 'no-newline')).to.equal(true);
    expect((await run(['-c', configFile, 'adduser', 'dave@localhost'], { stdin: 'crlf\r\n' })).code).to.equal(0);
    expect(await verifyPassword((await account('dave'))!.credentials, 'crlf')).to.equal(true);
  });

  it('adduser refuses an empty password (2)', async () => {
    const r = await run(['-c', configFile, 'adduser', 'erin@localhost'], { stdin: '\n' });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal('starling: the password is empty\n');
    expect(await account('erin')).to.equal(null);
  });

  it('adduser of an existing user fails (1)', async () => {
    const r = await run(['-c', configFile, 'adduser', 'alice@localhost', '--password', 'x']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('starling: user alice@localhost already exists\n');
    expect(await verifyPassword((await account('alice'))!.credentials, 'wonderland')).to.equal(true);
  });

  it('a bad JID is a usage error (2) with a message', async () => {
    const r = await run(['-c', configFile, 'adduser', 'alice@', '--password', 'x']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^starling: "alice@" is not a valid JID: .+\n$/);
    const res = await run(['-c', configFile, 'adduser', 'alice@localhost/phone', '--password', 'x']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain('has a resource').and.contain('alice@localhost');
    const bare = await run(['-c', configFile, 'adduser', 'localhost', '--password', 'x']);
    expect(bare.code).to.equal(2);
    expect(bare.stderr).to.contain('has no user part');
  });

  it('a host not in the configuration is a usage error (2)', async () => {
    const r = await run(['-c', configFile, 'adduser', 'alice@localhost2', '--password', 'x']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(`starling: localhost2 is not a host in ${configFile} (hosts: localhost, example.com)\n`);
  });

  it('passwd changes the credentials (from --password and from stdin)', async () => {
    const before = (await account('alice'))!.credentials;
    const r = await run(['-c', configFile, 'passwd', 'alice@localhost', '--password', 'looking-glass']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('changed the password of alice@localhost\n');
    const after = (await account('alice'))!.credentials;
    expect(after['SHA-256'].storedKey).to.not.equal(before['SHA-256'].storedKey);
    expect(after['SHA-1'].salt).to.not.equal(before['SHA-1'].salt);
    expect(await verifyPassword(after, 'looking-glass')).to.equal(true);
    expect(await verifyPassword(after, 'wonderland')).to.equal(false);

    expect((await run(['-c', configFile, 'passwd', 'alice@localhost'], { stdin: 'rabbit-hole\n' })).code).to.equal(0);
    expect(await verifyPassword((await account('alice'))!.credentials, 'rabbit-hole')).to.equal(true);
  });

  it('passwd of an unknown user fails (1)', async () => {
    const r = await run(['-c', configFile, 'passwd', 'nobody@localhost', '--password', 'x']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('starling: user nobody@localhost does not exist\n');
  });

  it('deluser deletes the account; a second time fails (1)', async () => {
    const r = await run(['-c', configFile, 'deluser', 'bob@localhost']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('deleted user bob@localhost\n');
    expect(await account('bob')).to.equal(null);
    expect(await account('alice')).to.not.equal(null);
    const again = await run(['-c', configFile, 'deluser', 'bob@localhost']);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.equal('starling: user bob@localhost does not exist\n');
  });

  it('check reports a host without a certificate (generateMissing off) and exits 2', async () => {
    const r = await run(['-c', configFile, 'check']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`error: host localhost: missing ${path.join(dir, 'certs', 'localhost.crt')}`);
    expect(r.stderr).to.contain('starling cert generate localhost');
  });

  it('cert generate writes files that check accepts', async () => {
    for (const host of ['localhost', 'example.com']) {
      const r = await run(['-c', configFile, 'cert', 'generate', host]);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain(`wrote ${path.join(dir, 'certs', `${host}.crt`)}`);
      expect(fs.statSync(path.join(dir, 'certs', `${host}.key`)).mode & 0o777).to.equal(0o600);
    }
    const r = await run(['-c', configFile, 'check']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(`${configFile}: OK (hosts: localhost, example.com)\n`);
  });

  it('cert generate refuses to overwrite without --force (1), takes --days and --out', async () => {
    const r = await run(['-c', configFile, 'cert', 'generate', 'localhost']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('already exist').and.contain('--force');
    const out = path.join(dir, 'other-certs');
    const g = await run(['cert', 'generate', 'short.example', '--days', '5', '--out', out]);
    expect(g.code).to.equal(0);
    expect(g.stdout).to.contain('valid for 5 days');
    expect(fs.existsSync(path.join(out, 'short.example.key'))).to.equal(true);
  });

  it('check: a certificate expiring soon is a warning (exit 0)', async () => {
    const file = path.join(dir, 'warn.yaml');
    const out = path.join(dir, 'other-certs');
    fs.writeFileSync(file, `hosts:\n  short.example:\n    tls: { cert: ${out}/short.example.crt, key: ${out}/short.example.key }\n`);
    const r = await run(['-c', file, 'check']);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/^warning: host short\.example: .*short\.example\.crt: the certificate expires in 5 days/);
    expect(r.stdout).to.contain('OK').and.contain('1 warning');
  });

  it('cert generate refuses a bad host or --days value (2)', async () => {
    const r = await run(['cert', 'generate', 'not a host', '--out', dir]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("value 'not a host' is invalid for argument 'host'");
    const d = await run(['cert', 'generate', 'x.example', '--days', 'soon', '--out', dir]);
    expect(d.code).to.equal(2);
    expect(d.stderr).to.contain("'--days <n>' argument 'soon' is invalid");
  });

  it('check on a broken config exits 2 naming the line', async () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'hosts:\n  localhost: {}\nlisten:\n  - service: c2s\n    port: 99999\n');
    const r = await run(['-c', file, 'check']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${file}:5:5: listen.0.port: Too big: expected number to be <=65535`);
    const y = path.join(dir, 'syntax.yaml');
    fs.writeFileSync(y, 'hosts:\n  localhost: {}\nlog: [\n');
    const s = await run(['-c', y, 'check']);
    expect(s.code).to.equal(2);
    expect(s.stderr).to.match(new RegExp(`${y.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error`));
  });

  it('a missing config file is a configuration error (2)', async () => {
    const r = await run(['-c', path.join(dir, 'missing.yaml'), 'adduser', 'a@localhost', '--password', 'x']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${path.join(dir, 'missing.yaml')}: cannot read the configuration: file not found`);
  });

  it('start with a bad config exits 2 with the message', async () => {
    const file = path.join(dir, 'bad-start.yaml');
    fs.writeFileSync(file, 'hosts:\n  localhost: {}\nlisten:\n  - { service: c2s, port: 5222, tls: maybe }\n');
    const r = await run(['start', '-c', file]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${file}:4:33: listen.0.tls: Invalid option: expected one of "starttls"|"direct"`);
  });
});
