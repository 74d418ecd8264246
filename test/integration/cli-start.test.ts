// `starling start` as a real process: a config file with ephemeral loopback ports, a user added by
// the CLI, a raw client logging in, then SIGTERM (by PID) giving clients system-shutdown and exit 0.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { rawLogin } from '../helpers/login.js';
import { makeConfigDir, runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

describe('starling start', function () {
  this.timeout(30_000);
  let cfg: ReturnType<typeof makeConfigDir>;
  let server: ServerProcess | null = null;

  before(() => { cfg = makeConfigDir([], { prefix: 'starling-start-' }); });
  after(async () => {
    if (server) await server.kill('SIGKILL');
    fs.rmSync(cfg.dir, { recursive: true, force: true });
  });

  it('serves clients and shuts down cleanly on SIGTERM', async () => {
    expect((await runCli(['-c', cfg.file, 'adduser', 'alice@localhost', '--password', 'pw'])).code).to.equal(0);
    server = await startServerProcess(cfg.file);
    const a = await rawLogin({ port: server.ports.starttls, username: 'alice', password: 'pw', resource: 'one' });
    const b = await rawLogin({ port: server.ports.direct!, directTls: true, username: 'alice', password: 'pw', resource: 'two' });
    a.client.send("<message to='alice@localhost/two' id='s1'><body>over the real process</body></message>");
    await b.client.expect(/<message [^>]*id="s1"/);

    const exited = server.kill('SIGTERM');
    await a.client.expect(/<stream:error><system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    a.client.send('</stream:stream>');
    b.client.close();
    expect(await exited).to.equal(0);
    server = null;
    expect(fs.existsSync(path.join(cfg.dir, 'data', 'starling.db'))).to.equal(true);
  });
});
