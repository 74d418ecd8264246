import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { defaultConfigPath, loadConfigFile, normalizeHostName, resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function configError(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function syncConfigError(fn: () => unknown): Promise<string[]> {
  return configError(Promise.resolve().then(fn));
}

describe('config loading', () => {
  let dir: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-config-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives a minimal config every default', async () => {
    const file = write('starling.yaml', 'hosts:\n  localhost: {}\n');
    const c = await loadConfigFile(file);
    expect(c.file).to.equal(file);
    expect(Object.keys(c.hosts)).to.deep.equal(['localhost']);
    expect(c.hosts.localhost).to.deep.equal({ modules: {}, enabled: true });
    const http = { maxBodyBytes: 1048576, headersTimeoutSeconds: 10, requestTimeoutSeconds: 30, maxConnections: 10000, secureLoopback: true, trustProxy: false };
    expect(c.listen).to.deep.equal([
      { service: 'c2s', address: '0.0.0.0', port: 5222, tls: 'starttls' },
      { service: 'c2s', address: '0.0.0.0', port: 5223, tls: 'direct' },
      { service: 'http', address: '0.0.0.0', port: 5280, tls: 'none', ...http },
      { service: 'http', address: '0.0.0.0', port: 5281, tls: 'direct', ...http },
    ]);
    expect(c.dataDir).to.equal(path.join(dir, 'data'));
    expect(c.certsDir).to.equal(path.join(dir, 'certs'));
    expect(c.storage).to.deep.equal({ driver: 'sqlite', path: path.join(dir, 'data', 'starling.db'), synchronous: 'normal' });
    expect(c.tls).to.deep.equal({ minVersion: 'TLSv1.2', generateMissing: true });
    expect(c.log).to.deep.equal({ level: 'info', format: 'pretty' });
    expect(c.limits.stanzaBytes).to.equal(262_144);
    expect(c.limits.unauthedStanzaBytes).to.equal(10_000);
    expect(c.auth.scramIterations).to.equal(10_000);
    expect(c.auth.requireEncryption).to.equal(true);
    expect(c.sessions.conflict).to.equal('kick-old');
    expect(Object.keys(c.modules)).to.deep.equal(['disco', 'ping', 'version', 'time', 'roster', 'presence', 'message', 'offline', 'vcard', 'private', 'last', 'blocking', 'sm', 'csi', 'mam', 'carbons', 'muc', 'metrics', 'adhoc', 'pep', 'bookmarks', 'pep_vcard', 'jingle_message']);
    expect(c.locate(['hosts', 'localhost'])).to.equal(`${file}:2:3`);
  });

  it('treats an empty host entry ("localhost:") as a host with defaults', async () => {
    const c = await loadConfigFile(write('s.yaml', 'hosts:\n  localhost:\n'));
    expect(c.hosts.localhost).to.deep.equal({ modules: {}, enabled: true });
  });

  it('names an unknown top-level key with its line', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\nlisten_typo: []\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.deep.equal([`${file}:3:1: listen_typo: Unrecognized key: "listen_typo"`]);
  });

  it('names an unknown nested key with its line and column', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\nlog:\n  level: info\n  colour: true\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.deep.equal([`${file}:5:3: log.colour: Unrecognized key: "colour"`]);
  });

  it('names an unknown key inside a host', async () => {
    const file = write('s.yaml', 'hosts:\n  example.com:\n    enabled: true\n    modulez: {}\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.deep.equal([`${file}:4:5: hosts.example.com.modulez: Unrecognized key: "modulez"`]);
  });

  it('reports a wrong type', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\nauth:\n  allowPlain: "no"\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(new RegExp(`^${escape(file)}:4:3: auth\\.allowPlain: Invalid input: expected boolean, received string$`));
  });

  it('reports an out-of-range port at the key', async () => {
    const file = write('s.yaml', [
      'hosts:',
      '  localhost: {}',
      'listen:',
      '  - service: c2s',
      '    port: 5222',
      '  - service: c2s',
      '    port: 70000',
      '',
    ].join('\n'));
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.deep.equal([`${file}:7:5: listen.1.port: Too big: expected number to be <=65535`]);
  });

  it('reports a bad enum value and a missing required key', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\nlisten:\n  - service: smtp\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.deep.equal([`${file}:4:5: listen.0.service: Invalid discriminator value. Expected 'c2s' | 'http' | 's2s' | 'component'`]);
    const file2 = write('t.yaml', 'hosts:\n  localhost: {}\nlisten:\n  - service: c2s\n');
    expect(await configError(loadConfigFile(file2))).to.deep.equal([
      // `port` is missing: placed at the list item.
      `${file2}:4:5: listen.0.port: missing required key (expected number)`,
    ]);
  });

  it('requires at least one host', async () => {
    const file = write('s.yaml', 'hosts: {}\n');
    expect(await configError(loadConfigFile(file))).to.deep.equal([`${file}:1:1: hosts: at least one host is required`]);
  });

  it('reports a YAML syntax error with its line', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\nlog: { level: info\nauth: {}\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems.length).to.be.greaterThan(0);
    expect(problems[0]).to.match(new RegExp(`^${escape(file)}:\\d+:\\d+: YAML syntax error: `));
    expect(problems[0]).to.not.contain('\n');
  });

  it('refuses a duplicate key, naming it and its line', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\nlog:\n  level: info\n  level: debug\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.deep.equal([`${file}:5:3: duplicate key "level" (each key may appear only once in a mapping)`]);
  });

  it('names a missing file', async () => {
    const file = path.join(dir, 'nope.yaml');
    expect(await configError(loadConfigFile(file))).to.deep.equal([`${file}: cannot read the configuration: file not found`]);
  });

  it('refuses an empty file', async () => {
    const file = write('s.yaml', '# nothing\n');
    const [p] = await configError(loadConfigFile(file));
    expect(p).to.contain(file).and.to.contain('empty');
  });

  it('names a missing certificate or key file with the key path and line', async () => {
    write('certs/example.com.crt', 'x');
    const file = write('s.yaml', [
      'hosts:',
      '  example.com:',
      '    tls:',
      '      cert: certs/example.com.crt',
      '      key: certs/example.com.key',
      '',
    ].join('\n'));
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.deep.equal([
      `${file}:5:7: hosts.example.com.tls.key: key file not found: ${path.join(dir, 'certs/example.com.key')}`,
    ]);
  });

  it('does not require the certificate files of a disabled host', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\n  example.com:\n    enabled: false\n    tls: { cert: a.crt, key: a.key }\n');
    const c = await loadConfigFile(file);
    expect(c.hosts['example.com']!.tls).to.deep.equal({ cert: path.join(dir, 'a.crt'), key: path.join(dir, 'a.key') });
  });

  it('resolves relative paths against the config file, not the current directory', async () => {
    write('etc/certs/a.crt', 'x');
    write('etc/certs/a.key', 'x');
    const file = write('etc/starling.yaml', [
      'hosts:',
      '  Example.COM:',
      '    tls: { cert: certs/a.crt, key: certs/a.key }',
      'dataDir: ../var/lib',
      'certsDir: /abs/certs',
      'storage: { path: db/s.db }',
      '',
    ].join('\n'));
    const c = await loadConfigFile(path.relative(process.cwd(), file));
    const etc = path.join(dir, 'etc');
    expect(c.dataDir).to.equal(path.join(dir, 'var/lib'));
    expect(c.certsDir).to.equal('/abs/certs');
    expect(c.storage.path).to.equal(path.join(etc, 'db/s.db'));
    expect(Object.keys(c.hosts)).to.deep.equal(['example.com']);
    expect(c.hosts['example.com']!.tls).to.deep.equal({ cert: path.join(etc, 'certs/a.crt'), key: path.join(etc, 'certs/a.key') });
    // Lookups by the lower-cased name still find the original key.
    expect(c.locate(['hosts', 'example.com', 'tls'])).to.match(/:3:5$/);
  });

  it('refuses invalid host names', async () => {
    const file = write('s.yaml', 'hosts:\n  localhost: {}\n  "bad host": {}\n  127.0.0.1: {}\n  single: {}\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.have.length(3);
    expect(problems[0]).to.equal(`${file}:3:3: hosts.bad host: "bad host" is not a valid host name (a domain name such as example.com, or localhost)`);
    expect(problems[1]).to.match(/:4:3: hosts\.127\.0\.0\.1: /);
    expect(problems[2]).to.match(/:5:3: hosts\.single: /);
  });

  it('refuses two hosts that differ only in case', async () => {
    const file = write('s.yaml', 'hosts:\n  example.com: {}\n  EXAMPLE.com: {}\n');
    const problems = await configError(loadConfigFile(file));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.contain(':3:3: hosts.EXAMPLE.com: ');
  });

  it('checks host names', () => {
    expect(normalizeHostName('LocalHost')).to.equal('localhost');
    expect(normalizeHostName('Example.Com')).to.equal('example.com');
    expect(normalizeHostName('xn--bcher-kva.example')).to.equal('xn--bcher-kva.example');
    expect(normalizeHostName('bücher.example')).to.equal('bücher.example');
    for (const bad of ['', 'a..b', '-a.com', 'a-.com', 'a.com.', 'a b.com', 'a/b.com', 'user@a.com', '1.2.3.4', 'x'.repeat(64) + '.com']) {
      expect(normalizeHostName(bad), bad).to.equal(null);
    }
  });

  describe('resolveConfig (configs built in code)', () => {
    it('validates a plain object and resolves against the current directory', () => {
      const c = resolveConfig({ hosts: { localhost: {} }, dataDir: 'd' }, null);
      expect(c.file).to.equal(null);
      expect(c.dataDir).to.equal(path.resolve('d'));
      expect(c.storage.path).to.equal(path.resolve('d', 'starling.db'));
      expect(c.locate(['hosts'])).to.equal(null);
    });

    it('throws ConfigError with key paths when there is no file', async () => {
      const problems = await syncConfigError(() => resolveConfig({ hosts: { localhost: {} }, listen: [{ service: 'c2s', port: -1 }] }, null));
      expect(problems).to.deep.equal(['listen.0.port: Too small: expected number to be >=0']);
    });

    it('uses a given locator', async () => {
      const problems = await syncConfigError(() => resolveConfig({ hosts: { localhost: { x: 1 } } }, 'f.yaml', (p) => `f.yaml:${p.length}:1`));
      expect(problems).to.deep.equal(['f.yaml:3:1: hosts.localhost.x: Unrecognized key: "x"']);
    });
  });

  describe('shipped configuration files', () => {
    it('config/starling.yaml loads and is ready for localhost', async () => {
      const file = path.join(ROOT, 'config/starling.yaml');
      expect(defaultConfigPath()).to.equal(file);
      const c = await loadConfigFile(file);
      expect(Object.keys(c.hosts)).to.deep.equal(['localhost']);
      expect(c.listen.map((l) => `${l.address}:${l.port}/${l.tls}`)).to.deep.equal(['0.0.0.0:5222/starttls', '0.0.0.0:5223/direct', '0.0.0.0:5280/none', '0.0.0.0:5281/direct']);
      expect(c.dataDir).to.equal(path.join(ROOT, 'data'));
      expect(c.certsDir).to.equal(path.join(ROOT, 'certs'));
      expect(Object.keys(c.modules).sort()).to.deep.equal(['adhoc', 'blocking', 'bookmarks', 'bosh', 'carbons', 'csi', 'disco', 'hostmeta', 'jingle_message', 'last', 'mam', 'message', 'metrics', 'muc', 'offline', 'pep', 'pep_vcard', 'ping', 'presence', 'private', 'roster', 'sm', 'time', 'vcard', 'version', 'webchat', 'websocket']);
    });

    it('config/starling.example.yaml loads and sets every option of the schema', async () => {
      const file = path.join(ROOT, 'config/starling.example.yaml');
      const c = await loadConfigFile(file);
      expect(Object.keys(c.hosts)).to.deep.equal(['localhost', 'example.com']);
      expect(c.hosts['example.com']!.tls!.cert).to.equal(path.join(ROOT, 'certs/example.com.crt'));
      // Every top-level and section key of the schema appears in the example (set, or commented with its default).
      const text = fs.readFileSync(file, 'utf8');
      const sections: Record<string, object> = {
        '': c, tls: c.tls, storage: c.storage, log: c.log, limits: c.limits, auth: c.auth, sessions: c.sessions,
      };
      for (const [section, obj] of Object.entries(sections)) {
        for (const key of Object.keys(obj)) {
          if (key === 'file' || key === 'locate') continue;
          expect(text, `${section ? `${section}.` : ''}${key}`).to.match(new RegExp(`^\\s*#?\\s*${key}:`, 'm'));
        }
      }
      for (const key of ['path', 'enabled', 'tls', 'modules', 'cert', 'key', 'service', 'address', 'port']) {
        expect(text, key).to.match(new RegExp(`^\\s*#?\\s*(- )?${key}:`, 'm'));
      }
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
