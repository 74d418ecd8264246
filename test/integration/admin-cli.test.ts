// The admin commands on the command line, against a stopped server (offline, on the database) and a running one
// (over the admin socket): exit codes, messages, and effects seen by real clients.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { rawLogin } from '../helpers/login.js';
import { makeConfigDir, runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

describe('admin commands: CLI against a stopped server', function () {
  this.timeout(30_000);
  let cfg: ReturnType<typeof makeConfigDir>;
  const cli = (...args: string[]) => runCli(['-c', cfg.file, ...args]);

  before(() => { cfg = makeConfigDir(); });
  after(() => fs.rmSync(cfg.dir, { recursive: true, force: true }));

  it('status says the server is not running (exit 3)', async () => {
    const r = await cli('status');
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/starling is not running \(no server at .*admin\.sock\)/);
  });

  it('user add / list / show / disable / enable / passwd / delete work on the database', async () => {
    expect(await cli('user', 'add', 'carol@localhost', '--password', 'pw1')).to.include({ code: 0, stdout: 'added user carol@localhost\n' });
    expect((await runCli(['-c', cfg.file, 'user', 'add', 'dave@localhost'], 'from stdin\n')).stdout).to.equal('added user dave@localhost\n');
    const list = await cli('user', 'list');
    expect(list.code).to.equal(0);
    expect(list.stdout).to.equal('carol@localhost\ndave@localhost\n');
    // Archives are read from the database too (empty here: no server has run).
    expect(await cli('history', 'user', 'dave@localhost')).to.include({ code: 0, stdout: '0 of 0 in dave@localhost\n' });
    expect((await cli('history', 'room', 'lobby@conference.localhost', '--limit', '5')).code).to.equal(0);
    expect(await cli('user', 'disable', 'carol@localhost')).to.include({ code: 0, stdout: 'disabled carol@localhost\n' });
    const shown = JSON.parse((await cli('--json', 'user', 'show', 'carol@localhost')).stdout) as { disabled: boolean; jid: string };
    expect(shown).to.include({ jid: 'carol@localhost', disabled: true });
    expect((await cli('user', 'enable', 'carol@localhost')).code).to.equal(0);
    expect((await runCli(['-c', cfg.file, 'user', 'passwd', 'carol@localhost'], 'newpw\n')).stdout).to.equal('changed the password of carol@localhost\n');
    expect(await cli('user', 'delete', 'carol@localhost')).to.include({ code: 0, stdout: 'deleted user carol@localhost\n' });
    expect((await cli('user', 'list')).stdout).to.equal('dave@localhost\n');
  });

  it('reports errors with exit codes: 1 for failed operations, 2 for bad arguments, 3 when the server is needed', async () => {
    const empty = await cli('user', 'add', 'erin@localhost');
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.equal('starling: the password is empty\n');
    expect(await cli('user', 'add', 'erin@localhost', '--password', 'x')).to.include({ code: 0 });
    expect(await cli('user', 'add', 'erin@localhost', '--password', 'x')).to.include({ code: 1, stderr: 'starling: user erin@localhost already exists\n' });
    expect(await cli('user', 'delete', 'nobody@localhost')).to.include({ code: 1, stderr: 'starling: user nobody@localhost does not exist\n' });
    const bad = await cli('user', 'delete', 'x@elsewhere.example');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/elsewhere\.example is not a host/);
    expect((await cli('session', 'list')).code).to.equal(3);
    expect((await cli('message', 'send', 'erin@localhost', 'hi')).code).to.equal(3);
    const unknown = await cli('run', 'room.list');
    expect(unknown.code).to.equal(3);
    expect(unknown.stderr).to.match(/not a built-in command/);
  });

  it('creates, lists and revokes REST tokens; the database holds only their hash', async () => {
    const made = await cli('token', 'create', 'ci', '--scopes', 'users:read', 'messages:write', '--days', '30');
    expect(made.code).to.equal(0);
    const token = made.stdout.split('\n')[0]!;
    expect(token).to.match(/^stk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = token.slice(4, 20);
    const list = JSON.parse((await cli('--json', 'token', 'list')).stdout) as { tokens: { id: string; scopes: string[]; expiresAt: string }[] };
    expect(list.tokens.map((t) => t.id)).to.deep.equal([id]);
    expect(list.tokens[0]!.scopes).to.deep.equal(['users:read', 'messages:write']);
    const db = fs.readFileSync(path.join(cfg.dir, 'data', 'starling.db')).toString('latin1')
      + (fs.existsSync(path.join(cfg.dir, 'data', 'starling.db-wal')) ? fs.readFileSync(path.join(cfg.dir, 'data', 'starling.db-wal')).toString('latin1') : '');
    expect(db).to.include(id);
    expect(db).not.to.include(token.slice(21));
    expect((await cli('token', 'create', 'x', '--scopes', 'everything')).code).to.equal(2);
    expect(await cli('token', 'revoke', id)).to.include({ code: 0, stdout: `revoked ${id}\n` });
    expect((await cli('token', 'revoke', id)).code).to.equal(1);
  });
});

describe('admin commands: CLI against a running server', function () {
  this.timeout(40_000);
  let cfg: ReturnType<typeof makeConfigDir>;
  let srv: ServerProcess;
  const cli = (...args: string[]) => runCli(['-c', cfg.file, ...args]);

  // An explicit module list, so the reload tests do not depend on the default one.
  const BASE = ['disco', 'ping', 'time', 'roster', 'presence', 'message', 'offline', 'vcard', 'private', 'last', 'blocking', 'moderation'];
  const modules = (names: string[], extra = '') => [`modules: { ${names.map((n) => `${n}: {}`).join(', ')}${extra} }`];

  before(async () => {
    cfg = makeConfigDir(modules([...BASE, 'version']));
    expect((await cli('user', 'add', 'alice@localhost', '--password', 'pw')).code).to.equal(0);
    srv = await startServerProcess(cfg.file);
  });
  after(async () => {
    if (srv.proc.exitCode === null) srv.proc.kill('SIGKILL');
    fs.rmSync(cfg.dir, { recursive: true, force: true });
  });

  it('creates the admin socket for the owner only', () => {
    const st = fs.statSync(path.join(cfg.dir, 'data', 'admin.sock'));
    expect(st.isSocket()).to.equal(true);
    expect(st.mode & 0o777).to.equal(0o600);
  });

  it('status reports the running server', async () => {
    const r = await cli('status');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^running: Starling \S+, pid \d+, up /);
    expect(r.stdout).to.include(`listener c2s (starttls) on 127.0.0.1:${srv.c2sPort}`);
    const j = JSON.parse((await cli('--json', 'status')).stdout) as { pid: number; hosts: { host: string }[] };
    expect(j.pid).to.equal(srv.proc.pid);
  });

  it('adds a user through the server, lists and kicks sessions, sends messages', async () => {
    expect(await cli('user', 'add', 'bob@localhost', '--password', 'pw2')).to.include({ code: 0, stdout: 'added user bob@localhost\n' });
    const bob = await rawLogin({ port: srv.c2sPort, username: 'bob', password: 'pw2', resource: 'desk' });
    const list = JSON.parse((await cli('--json', 'session', 'list')).stdout) as { sessions: { jid: string }[] };
    expect(list.sessions.map((s) => s.jid)).to.deep.equal(['bob@localhost/desk']);
    expect((await cli('user', 'sessions', 'bob@localhost')).stdout).to.match(/^bob@localhost\/desk {2}127\.0\.0\.1/);

    expect((await cli('message', 'send', 'bob@localhost/desk', 'hello from the admin', '--subject', 'hi')).code).to.equal(0);
    await bob.client.expect(/<message [^>]*from="localhost"[^>]*>.*<subject>hi<\/subject><body>hello from the admin<\/body>/s);
    expect(await cli('message', 'announce', 'maintenance at noon')).to.include({ code: 0, stdout: 'announced to 1 session\n' });
    await bob.client.expect(/<message [^>]*type="headline"[^>]*>.*maintenance at noon/s);

    expect(await cli('session', 'kick', 'bob@localhost/desk')).to.include({ code: 0, stdout: 'closed bob@localhost/desk\n' });
    await bob.client.expect(/<stream:error><policy-violation [^>]*\/><text [^>]*>disconnected by an administrator<\/text>/);
    expect((await cli('session', 'kick', 'bob@localhost/desk')).code).to.equal(1);
  });

  it('disable closes the sessions and refuses logins; enable lets the user back in', async () => {
    const a = await rawLogin({ port: srv.c2sPort, username: 'alice', password: 'pw', resource: 'r' });
    expect((await cli('user', 'disable', 'alice@localhost')).stdout).to.equal('disabled alice@localhost (1 session closed)\n');
    await a.client.expect(/<not-authorized [^>]*\/><text [^>]*>this account has been disabled/);
    let refused = false;
    await rawLogin({ port: srv.c2sPort, username: 'alice', password: 'pw' }).catch(() => { refused = true; });
    expect(refused).to.equal(true);
    expect((await cli('user', 'enable', 'alice@localhost')).code).to.equal(0);
    const again = await rawLogin({ port: srv.c2sPort, username: 'alice', password: 'pw', resource: 'r2' });
    again.client.close();
  });

  it('roster add pushes the item to the user; roster get and vcard get read it back', async () => {
    const a = await rawLogin({ port: srv.c2sPort, username: 'alice', password: 'pw', resource: 'roster' });
    a.client.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
    await a.client.expect(/<iq [^>]*id="r1"/);
    expect((await cli('roster', 'add', 'alice@localhost', 'bob@localhost', '--name', 'Bob', '--groups', 'Friends')).code).to.equal(0);
    await a.client.expect(/<iq [^>]*type="set"[^>]*><query xmlns="jabber:iq:roster"[^>]*><item [^>]*jid="bob@localhost"[^>]*name="Bob"[^>]*>.*Friends/s);
    expect((await cli('roster', 'get', 'alice@localhost')).stdout).to.equal('bob@localhost "Bob" [none] (Friends)\n');
    a.client.send("<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Alice A</FN><NICKNAME>al</NICKNAME></vCard></iq>");
    await a.client.expect(/<iq [^>]*id="v1"[^>]*type="result"|<iq [^>]*type="result"[^>]*id="v1"/);
    const v = JSON.parse((await cli('--json', 'vcard', 'get', 'alice@localhost')).stdout) as { fields: { fn: string; nickname: string } };
    expect(v.fields).to.include({ fn: 'Alice A', nickname: 'al' });
    a.client.close();
  });

  it('lists the catalogue of the running server and runs a command by name', async () => {
    const r = await cli('commands');
    expect(r.stdout).to.match(/^user\.add +users:write/m);
    const run = await cli('--json', 'run', 'user.show', 'jid=alice@localhost');
    expect(JSON.parse(run.stdout)).to.include({ jid: 'alice@localhost', disabled: false });
    expect((await cli('run', 'no.such')).code).to.equal(1);
  });

  it("offers the running server's module commands as subcommands (moderation: invite, report)", async () => {
    const inv = await cli('invite', 'create', 'localhost', '--uses', '2');
    expect(inv.code, inv.stderr).to.equal(0);
    expect(JSON.parse(inv.stdout)).to.include({ usesLeft: 2 }).and.to.have.property('uri').that.matches(/^xmpp:localhost\?register;preauth=/);
    expect(JSON.parse((await cli('report', 'list', 'localhost')).stdout)).to.deep.equal({ reports: [] });
    const bad = await cli('invite', 'create', 'localhost', '--uses', '0');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/uses/);
    expect((await cli('nosuchgroup', 'x')).code).to.equal(2);
  });

  it('reload refuses an invalid configuration and the old one keeps serving', async () => {
    cfg.write(modules(['disco', 'ping', 'roster', 'presence', 'message'], ', vcard: { maxBytes: -5 }'));
    const r = await cli('reload');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/the new configuration is invalid; the running one is kept: .*maxBytes/);
    // SIGHUP with a file that is not even valid YAML: logged, refused.
    fs.writeFileSync(cfg.file, fs.readFileSync(cfg.file, 'utf8') + 'listen: [\n');
    process.kill(srv.proc.pid!, 'SIGHUP');
    const deadline = Date.now() + 5000;
    while (!srv.output().includes('reload refused') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(srv.output()).to.include('reload refused');
    cfg.write(modules([...BASE, 'version']));
    const mods = JSON.parse((await cli('--json', 'module', 'list')).stdout) as { modules: { name: string }[] };
    expect(mods.modules.map((m) => m.name)).to.include.members(['vcard', 'version', 'offline']);
    const c = await rawLogin({ port: srv.c2sPort, username: 'alice', password: 'pw', resource: 'after' });
    c.client.send("<iq type='get' id='ver' to='localhost'><query xmlns='jabber:iq:version'/></iq>");
    await c.client.expect(/<iq [^>]*id="ver"[^>]*type="result"|<iq [^>]*type="result"[^>]*id="ver"/);
    c.client.close();
  });

  it('reload applies a valid change: a module removed is unloaded and answers no more', async () => {
    cfg.write([...modules(BASE), 'admin: { admins: [alice@localhost] }']);
    const r = await cli('--json', 'reload');
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as { unloaded: string[]; loaded: string[]; restartNeeded: string[] };
    expect(report.unloaded).to.deep.equal(['version@localhost']);
    expect(report.loaded).to.deep.equal([]);
    expect(report.restartNeeded, 'admins apply at once').to.deep.equal([]);
    const c = await rawLogin({ port: srv.c2sPort, username: 'alice', password: 'pw', resource: 'after2' });
    c.client.send("<iq type='get' id='ver2' to='localhost'><query xmlns='jabber:iq:version'/></iq>");
    await c.client.expect(/id="ver2"[^>]*>.*<service-unavailable|<service-unavailable[^]*?<\/iq>/s);
    expect((await cli('module', 'load', 'version', 'localhost')).stdout).to.equal('loaded version@localhost\n');
    c.client.send("<iq type='get' id='ver3' to='localhost'><query xmlns='jabber:iq:version'/></iq>");
    await c.client.expect(/<iq [^>]*id="ver3"[^>]*type="result"|<iq [^>]*type="result"[^>]*id="ver3"/);
    c.client.close();
  });

  it('a second server on the same data directory refuses to start', async () => {
    const second = await runCli(['-c', cfg.file, 'start']);
    expect(second.code).to.equal(1);
    expect(second.stderr).to.match(/another server is running \(its admin socket .*admin\.sock answers\)/);
    expect((await cli('status')).code).to.equal(0);
  });

  it('stop ends the server (exit 0) and removes the socket', async () => {
    expect(await cli('stop')).to.include({ code: 0, stdout: 'stopping\n' });
    expect(await srv.exited).to.equal(0);
    expect(fs.existsSync(path.join(cfg.dir, 'data', 'admin.sock'))).to.equal(false);
    expect((await cli('status')).code).to.equal(3);
  });
});
