// The REST API (/api/v1) over real HTTP: tokens (valid, malformed, revoked, expired, lacking scope), every error
// code, the commands a chat backend needs, and every response checked against the served OpenAPI document.
import { expect } from 'chai';
import { z } from 'zod';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';
import { rawLogin } from '../helpers/login.js';
import { TokenStore } from '../../src/admin/tokens.js';

const MODULES = { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, offline: {}, vcard: {}, blocking: {}, moderation: {}, mam: {}, muc: { lockNewRooms: false, defaults: { archive: true } }, rest: {} };
const OWNER = { via: 'socket' as const, actor: 'test', scopes: ['*'] };

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: { 'application/json': { schema: unknown } } }> }>>;
  components: { schemas: { Error: unknown } };
}

describe('REST API', function () {
  this.timeout(30_000);
  let t: WebTestServer;
  let doc: Doc;
  let admin: string;       // token with '*'
  let reader: string;      // users:read only
  const checked = new Set<string>();

  async function token(scopes: string[]): Promise<string> {
    const r = await t.server.admin.run('token.create', { name: 'test', scopes }, OWNER, 'socket') as { token: string };
    return r.token;
  }

  /** The operation's 200 schema for a request, from the served document. */
  function schemaFor(method: string, path: string): z.ZodType {
    for (const [template, ops] of Object.entries(doc.paths)) {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const op = ops[method.toLowerCase()];
      if (re.test(`/api/v1${path}`) && op) {
        checked.add(op.operationId);
        return z.fromJSONSchema(op.responses['200']!.content!['application/json'].schema as never);
      }
    }
    throw new Error(`no operation ${method} ${path} in the document`);
  }

  async function call(method: string, path: string, opts: { token?: string | null; body?: unknown; rawBody?: string; type?: string; base?: string } = {}) {
    const headers: Record<string, string> = {};
    const tok = opts.token === undefined ? admin : opts.token;
    if (tok !== null) headers.Authorization = `Bearer ${tok}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined || opts.body !== undefined) {
      body = opts.rawBody ?? JSON.stringify(opts.body);
      headers['Content-Type'] = opts.type ?? 'application/json';
    }
    const res = await fetch(`${opts.base ?? t.httpUrl}/api/v1${path}`, { method, headers, body });
    const json = await res.json() as Record<string, unknown>;
    if (res.status === 200) {
      const r = schemaFor(method, path.split('?')[0]!).safeParse(json);
      expect(r.success, `${method} ${path} does not match the document: ${JSON.stringify(r.error?.issues)}`).to.equal(true);
    } else {
      const r = z.fromJSONSchema(doc.components.schemas.Error as never).safeParse(json);
      expect(r.success, `error body of ${method} ${path} does not match the document: ${JSON.stringify(json)}`).to.equal(true);
    }
    return { status: res.status, json, headers: res.headers };
  }

  const code = (r: { json: Record<string, unknown> }) => (r.json.error as { code: string }).code;

  before(async () => {
    t = await startWebServer(MODULES);
    const res = await fetch(`${t.httpUrl}/api/v1/openapi.json`);
    expect(res.status).to.equal(200);
    doc = await res.json() as Doc;
    admin = await token(['*']);
    reader = await token(['users:read']);
    await t.addUser('alice', 'pw');
  });
  after(() => t.stop());

  it('serves an OpenAPI 3.1 document generated from the registry', () => {
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths['/api/v1/users']).to.have.keys(['get', 'post']);
    expect(doc.paths['/api/v1/users/{jid}/vcard']!.get!.operationId).to.equal('vcard.get');
    // Commands kept off REST (tokens, stop) are not in it.
    const ops = Object.values(doc.paths).flatMap((o) => Object.values(o).map((x) => x.operationId));
    expect(ops).not.to.include.members(['token.create', 'server.stop']);
  });

  it('refuses missing, malformed, unknown, revoked and expired tokens with 401 and a code', async () => {
    const none = await call('GET', '/users', { token: null });
    expect(none.status).to.equal(401);
    expect(code(none)).to.equal('missing-token');
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer realm="starling"/);
    const bad = await call('GET', '/users', { token: 'nonsense' });
    expect([bad.status, code(bad)]).to.deep.equal([401, 'invalid-token']);
    const forged = await call('GET', '/users', { token: `${admin.slice(0, -4)}AAAA` });
    expect([forged.status, code(forged)]).to.deep.equal([401, 'invalid-token']);

    const doomed = await token(['*']);
    expect((await call('GET', '/users', { token: doomed })).status).to.equal(200);
    await t.server.admin.run('token.revoke', { id: doomed.slice(4, 20) }, OWNER, 'socket');
    const revoked = await call('GET', '/users', { token: doomed });
    expect([revoked.status, code(revoked)]).to.deep.equal([401, 'invalid-token']);

    const { token: old } = await new TokenStore(t.server.storage).create('old', ['*'], 1, Date.now() - 2 * 86_400_000);
    const expired = await call('GET', '/users', { token: old });
    expect([expired.status, code(expired)]).to.deep.equal([401, 'token-expired']);
  });

  it('enforces scopes: a users:read token reads but cannot write (403 forbidden)', async () => {
    const list = await call('GET', '/users', { token: reader });
    expect(list.status).to.equal(200);
    expect((list.json.users as { jid: string }[]).map((u) => u.jid)).to.deep.equal(['alice@localhost']);
    const write = await call('POST', '/users', { token: reader, body: { jid: 'x@localhost', password: 'p' } });
    expect([write.status, code(write)]).to.deep.equal([403, 'forbidden']);
    const other = await call('GET', '/sessions', { token: reader });
    expect([other.status, code(other)]).to.deep.equal([403, 'forbidden']);
  });

  it('manages users: create (409 when it exists), show, password, disable/enable, delete (404 after)', async () => {
    const made = await call('POST', '/users', { body: { jid: 'bob@localhost', password: 'secret' } });
    expect(made).to.deep.include({ status: 200, json: { jid: 'bob@localhost' } });
    const again = await call('POST', '/users', { body: { jid: 'bob@localhost', password: 'secret' } });
    expect([again.status, code(again)]).to.deep.equal([409, 'conflict']);
    expect((await call('GET', '/users/bob@localhost')).json).to.include({ jid: 'bob@localhost', disabled: false });
    expect((await call('PUT', '/users/bob@localhost/password', { body: { password: 'changed' } })).status).to.equal(200);
    const bob = await rawLogin({ port: t.c2sPort, username: 'bob', password: 'changed', resource: 'r' });
    const dis = await call('POST', '/users/bob@localhost/disable');
    expect(dis.json).to.deep.equal({ jid: 'bob@localhost', disabled: true, closedSessions: 1 });
    await bob.client.expect(/<not-authorized/);
    expect((await call('POST', '/users/bob@localhost/enable')).json).to.include({ disabled: false });
    expect((await call('DELETE', '/users/bob@localhost')).status).to.equal(200);
    const gone = await call('GET', '/users/bob@localhost');
    expect([gone.status, code(gone)]).to.deep.equal([404, 'not-found']);
  });

  it('answers bad input with 400/415/404/405 and machine-readable codes', async () => {
    const badJid = await call('POST', '/users', { body: { jid: 'not a jid@@', password: 'x' } });
    expect([badJid.status, code(badJid)]).to.deep.equal([400, 'invalid-argument']);
    const missing = await call('POST', '/users', { body: { jid: 'z@localhost' } });
    expect([missing.status, code(missing)]).to.deep.equal([400, 'invalid-argument']);
    expect((missing.json.error as { details: string[] }).details[0]).to.match(/^password: /);
    const notJson = await call('POST', '/users', { rawBody: '{"jid":', type: 'application/json' });
    expect([notJson.status, code(notJson)]).to.deep.equal([400, 'invalid-json']);
    const arr = await call('POST', '/users', { rawBody: '[]' });
    expect([arr.status, code(arr)]).to.deep.equal([400, 'invalid-json']);
    const form = await call('POST', '/users', { rawBody: 'jid=a', type: 'application/x-www-form-urlencoded' });
    expect([form.status, code(form)]).to.deep.equal([415, 'unsupported-media-type']);
    const nowhere = await call('GET', '/nowhere');
    expect([nowhere.status, code(nowhere)]).to.deep.equal([404, 'not-found']);
    const method = await call('PUT', '/users');
    expect([method.status, code(method)]).to.deep.equal([405, 'method-not-allowed']);
    expect(method.headers.get('allow')).to.equal('GET, POST');
    const query = await call('GET', '/users?host=elsewhere.example');
    expect([query.status, code(query)]).to.deep.equal([400, 'invalid-argument']);
  });

  it('sends messages, reads and updates rosters, reads vCards, lists and kicks sessions', async () => {
    const a = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'web' });
    a.client.send("<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Alice</FN></vCard></iq>");
    await a.client.expect(/id="v1"/);
    a.client.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
    await a.client.expect(/id="r1"/);
    a.client.send('<presence/>');
    await a.client.expect(/<presence [^>]*from="alice@localhost\/web"/);

    const sent = await call('POST', '/messages', { body: { to: 'alice@localhost', body: 'from the backend', type: 'chat' } });
    expect(sent.json).to.deep.equal({ to: 'alice@localhost', from: 'localhost' });
    await a.client.expect(/<message [^>]*type="chat"[^>]*>.*from the backend/s);
    expect((await call('POST', '/announcements', { body: { body: 'motd' } })).json).to.deep.equal({ sessions: 1 });
    await a.client.expect(/type="headline"[^>]*>.*motd/s);

    expect((await call('POST', '/users/alice@localhost/roster', { body: { contact: 'carol@example.com', name: 'Carol', groups: ['Work'] } })).status).to.equal(200);
    await a.client.expect(/<item [^>]*jid="carol@example.com"/);
    const roster = await call('GET', '/users/alice@localhost/roster');
    expect(roster.json.items).to.deep.equal([{ jid: 'carol@example.com', name: 'Carol', groups: ['Work'], subscription: 'none', ask: false }]);
    const vcard = await call('GET', '/users/alice@localhost/vcard');
    expect((vcard.json.fields as { fn: string }).fn).to.equal('Alice');

    const sessions = await call('GET', '/sessions');
    expect((sessions.json.sessions as { jid: string }[]).map((s) => s.jid)).to.deep.equal(['alice@localhost/web']);
    expect((await call('GET', '/users/alice@localhost/sessions')).status).to.equal(200);
    const status = await call('GET', '/server/status');
    expect(status.json.hosts).to.deep.equal([{ host: 'localhost', sessions: 1 }]);
    expect((await call('POST', '/sessions/kick', { body: { jid: 'alice@localhost/web' } })).status).to.equal(200);
    await a.client.expect(/<policy-violation/);
    const noSession = await call('POST', '/sessions/kick', { body: { jid: 'alice@localhost/web' } });
    expect([noSession.status, code(noSession)]).to.deep.equal([404, 'not-found']);
  });

  it('updates profiles (vCard fields or XML) and settings (blocklist) through the modules, with pushes', async () => {
    const a = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'prof' });
    a.client.send("<iq type='get' id='bl0'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    await a.client.expect(/id="bl0"/);
    const set = await call('PUT', '/users/alice@localhost/vcard', { body: { fn: 'Alice Liddell', email: 'alice@example.org' } });
    expect(set.status).to.equal(200);
    const got = await call('GET', '/users/alice@localhost/vcard');
    expect(got.json.fields).to.include({ fn: 'Alice Liddell', email: 'alice@example.org' });
    a.client.send("<iq type='get' id='vc'><vCard xmlns='vcard-temp'/></iq>");
    expect((await a.client.expect(/<iq [^>]*id="vc".*?<\/iq>/s))[0]).to.include('<FN>Alice Liddell</FN>');
    const xml = await call('PUT', '/users/alice@localhost/vcard', { body: { xml: "<vCard xmlns='vcard-temp'><NICKNAME>al</NICKNAME></vCard>" } });
    expect(xml.status).to.equal(200);
    expect(((await call('GET', '/users/alice@localhost/vcard')).json.fields as { fn: string; nickname: string })).to.include({ fn: '', nickname: 'al' });
    const notVcard = await call('PUT', '/users/alice@localhost/vcard', { body: { xml: '<foo/>' } });
    expect([notVcard.status, code(notVcard)]).to.deep.equal([400, 'invalid-argument']);
    const broken = await call('PUT', '/users/alice@localhost/vcard', { body: { xml: '<vCard' } });
    expect([broken.status, code(broken)]).to.deep.equal([400, 'invalid-argument']);

    expect((await call('POST', '/users/alice@localhost/blocklist', { body: { contact: 'troll@example.net' } })).status).to.equal(200);
    await a.client.expect(/<iq [^>]*type="set"[^>]*><block xmlns="urn:xmpp:blocking"><item jid="troll@example.net"\/>/);
    expect((await call('GET', '/users/alice@localhost/blocklist')).json).to.deep.equal({ jid: 'alice@localhost', blocked: ['troll@example.net'] });
    expect((await call('DELETE', '/users/alice@localhost/blocklist/troll@example.net')).status).to.equal(200);
    expect((await call('GET', '/users/alice@localhost/blocklist')).json).to.deep.equal({ jid: 'alice@localhost', blocked: [] });
    a.client.close();
  });

  it("includes modules' own commands (moderation) in the API and the document; they leave with their module", async () => {
    expect(doc.paths['/api/v1/reports']!.get!.operationId).to.equal('report.list');
    expect((await call('GET', '/reports?host=localhost')).json).to.deep.equal({ reports: [] });
    const inv = await call('POST', '/invites/localhost', { body: { uses: 2 } });
    expect(inv.json.uri).to.match(/^xmpp:localhost\?register;preauth=[A-Za-z0-9_-]+$/);
    await t.server.control.unloadModule('localhost', 'moderation');
    const gone = await call('GET', '/reports?host=localhost');
    expect([gone.status, code(gone)]).to.deep.equal([404, 'not-found']);
    await t.server.control.loadModule('localhost', 'moderation');
    expect((await call('GET', '/reports?host=localhost')).status).to.equal(200);
  });

  it("pages through a user's archive and a room's archive", async () => {
    await t.addUser('hist', 'pw');
    const h = await rawLogin({ port: t.c2sPort, username: 'hist', password: 'pw', resource: 'h' });
    for (let i = 0; i < 5; i++) h.client.send(`<message to='alice@localhost' type='chat' id='h${i}'><body>note ${i}</body></message>`);
    h.client.send("<iq type='get' to='localhost' id='hsync'><ping xmlns='urn:xmpp:ping'/></iq>");
    await h.client.expect(/id="hsync"/);
    // The mam module writes its archive in batches (within 20 ms): wait until all five are stored.
    let newest = await call('GET', '/users/hist@localhost/history?limit=2');
    for (let i = 0; i < 40 && newest.json.total !== 5; i++) {
      await new Promise((r) => setTimeout(r, 25));
      newest = await call('GET', '/users/hist@localhost/history?limit=2');
    }
    const items = newest.json.items as { id: string; with: string; xml: string }[];
    expect(items.map((i) => /note (\d)/.exec(i.xml)![1]), JSON.stringify(newest.json)).to.deep.equal(["3", "4"]);
    expect(newest.json).to.include({ total: 5, complete: false, archive: 'hist@localhost' });
    expect(items[0]!.with).to.equal('alice@localhost');
    const older = await call('GET', `/users/hist@localhost/history?limit=10&before=${newest.json.first as string}`);
    expect((older.json.items as { xml: string }[]).map((i) => /note (\d)/.exec(i.xml)![1])).to.deep.equal(['0', '1', '2']);
    expect(older.json.complete).to.equal(true);
    const unknown = await call('GET', '/users/hist@localhost/history?before=nope');
    expect([unknown.status, code(unknown)]).to.deep.equal([404, 'not-found']);
    const badTime = await call('GET', '/users/hist@localhost/history?start=yesterday');
    expect([badTime.status, code(badTime)]).to.deep.equal([400, 'invalid-argument']);

    h.client.send("<presence to='lobby@conference.localhost/hist'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    await h.client.expect(/<presence [^>]*from="lobby@conference.localhost\/hist"/);
    h.client.send("<message to='lobby@conference.localhost' type='groupchat' id='g1'><body>hello room</body></message>");
    await h.client.expect(/<message [^>]*from="lobby@conference.localhost\/hist"[^>]*>.*hello room/s);
    let room = await call('GET', '/rooms/lobby@conference.localhost/history');
    for (let i = 0; i < 40 && (room.json.items as unknown[]).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      room = await call('GET', '/rooms/lobby@conference.localhost/history');
    }
    expect((room.json.items as { xml: string }[]).map((i) => /<body>([^<]*)</.exec(i.xml)![1])).to.deep.equal(['hello room']);
    h.client.close();
  });

  it('manages rooms: create (409 when it exists), list with occupants, affiliations (outcasts are kept out), destroy (404 after)', async () => {
    const created = await call('POST', '/rooms', { body: { room: 'team@conference.localhost', name: 'Team', owner: 'alice@localhost' } });
    expect(created.status).to.equal(200);
    expect(created.json).to.deep.include({ jid: 'team@conference.localhost', name: 'Team', persistent: true, occupants: 0 });
    const again = await call('POST', '/rooms', { body: { room: 'team@conference.localhost' } });
    expect([again.status, code(again)]).to.deep.equal([409, 'conflict']);
    const elsewhere = await call('POST', '/rooms', { body: { room: 'team@conference.example.org' } });
    expect(elsewhere.status).to.be.oneOf([400, 404]);

    await t.addUser('roomie', 'pw');
    await t.addUser('troll', 'pw');
    const r = await rawLogin({ port: t.c2sPort, username: 'roomie', password: 'pw', resource: 'r' });
    r.client.send("<presence to='team@conference.localhost/roomie'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    await r.client.expect(/<presence [^>]*from="team@conference.localhost\/roomie"/);
    const list = await call('GET', '/rooms?host=localhost');
    const team = (list.json.rooms as { jid: string; occupants: number }[]).find((x) => x.jid === 'team@conference.localhost');
    expect(team?.occupants).to.equal(1);

    const ban = await call('PUT', '/rooms/team@conference.localhost/affiliations', { body: { jid: 'troll@localhost', affiliation: 'outcast' } });
    expect(ban.json).to.deep.equal({ room: 'team@conference.localhost', jid: 'troll@localhost', affiliation: 'outcast' });
    const lastOwner = await call('PUT', '/rooms/team@conference.localhost/affiliations', { body: { jid: 'alice@localhost', affiliation: 'none' } });
    expect([lastOwner.status, code(lastOwner)]).to.deep.equal([409, 'conflict']);
    const troll = await rawLogin({ port: t.c2sPort, username: 'troll', password: 'pw', resource: 't' });
    troll.client.send("<presence to='team@conference.localhost/troll'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    await troll.client.expect(/<presence [^>]*type="error"[^>]*>.*<forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/s);

    const destroyed = await call('DELETE', '/rooms/team@conference.localhost', { body: { reason: 'spring cleaning' } });
    expect(destroyed.json).to.deep.equal({ destroyed: 'team@conference.localhost' });
    await r.client.expect(/<presence [^>]*type="unavailable"[^>]*>.*<destroy><reason>spring cleaning<\/reason><\/destroy>/s);
    const gone = await call('DELETE', '/rooms/team@conference.localhost');
    expect([gone.status, code(gone)]).to.deep.equal([404, 'not-found']);
    expect(((await call('GET', '/rooms?host=localhost')).json.rooms as { jid: string }[]).map((x) => x.jid)).to.not.include('team@conference.localhost');
    r.client.close();
    troll.client.close();
  });

  it('answers 503 unavailable when the module behind a command is not loaded', async () => {
    await t.server.control.unloadModule('localhost', 'vcard');
    const r = await call('GET', '/users/alice@localhost/vcard');
    expect([r.status, code(r)]).to.deep.equal([503, 'unavailable']);
    await t.server.control.loadModule('localhost', 'vcard');
    expect((await call('GET', '/users/alice@localhost/vcard')).status).to.equal(200);
  });

  it('reads the version, modules and certificates; every documented operation used here matched its schema', async () => {
    expect((await call('GET', '/server/version')).json).to.deep.include({ running: true });
    expect((await call('GET', '/modules?host=localhost')).status).to.equal(200);
    expect((await call('GET', '/certificates')).status).to.equal(200);
    expect(checked.size).to.be.greaterThan(10);
  });

  it('refuses tokens over unencrypted HTTP from a non-secure channel (403 insecure-transport)', async () => {
    const plain = await startWebServer(MODULES, { http: { secureLoopback: false } });
    try {
      const tok = (await plain.server.admin.run('token.create', { name: 'x', scopes: ['*'] }, OWNER, 'socket') as { token: string }).token;
      const r = await call('GET', '/users', { token: tok, base: plain.httpUrl });
      expect([r.status, code(r)]).to.deep.equal([403, 'insecure-transport']);
    } finally {
      await plain.stop();
    }
  });
});
