// XEP-0050 ad-hoc commands and XEP-0133 service administration from real clients: admins (admin.admins) see and
// run the commands; other users see none and are refused.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const ADMIN = 'http://jabber.org/protocol/admin';
const MODULES = { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, offline: {}, vcard: {}, adhoc: {}, moderation: {} };

describe('ad-hoc commands (XEP-0050) and service administration (XEP-0133)', function () {
  this.timeout(30_000);
  let t: TestServer;
  let boss: RawClient;
  let n = 0;

  async function iq(c: RawClient, body: string): Promise<string> {
    const id = `q${++n}`;
    c.send(`<iq type='${body.startsWith('<command') ? 'set' : 'get'}' to='localhost' id='${id}'>${body}</iq>`);
    return (await c.expect(new RegExp(`<iq [^>]*id="${id}"[^>]*(/>|>.*?</iq>)`, 's')))[0];
  }
  async function execute(node: string): Promise<{ xml: string; sid: string }> {
    const xml = await iq(boss, `<command xmlns='http://jabber.org/protocol/commands' node='${node}' action='execute'/>`);
    return { xml, sid: /sessionid="([^"]+)"/.exec(xml)?.[1] ?? '' };
  }
  async function submit(node: string, sid: string, fields: Record<string, string | string[]>, action = 'complete'): Promise<string> {
    const f = Object.entries(fields).map(([k, v]) => `<field var='${k}'>${(Array.isArray(v) ? v : [v]).map((x) => `<value>${x}</value>`).join('')}</field>`).join('');
    return iq(boss, `<command xmlns='http://jabber.org/protocol/commands' node='${node}' sessionid='${sid}' action='${action}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${ADMIN}</value></field>${f}</x></command>`);
  }

  before(async () => {
    t = await startTestServer({ modules: MODULES, admin: { admins: ['boss@localhost'] } });
    await t.addUser('boss', 'pw');
    await t.addUser('user', 'pw');
    boss = (await rawLogin({ port: t.c2sPort, username: 'boss', password: 'pw', resource: 'console' })).client;
  });
  after(async () => {
    boss.close();
    await t.stop();
  });

  it('lists the commands to admins and none to others; others are refused with forbidden', async () => {
    const items = await iq(boss, "<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>");
    expect(items).to.include(`node="${ADMIN}#add-user"`);
    expect(items).to.include(`node="${ADMIN}#get-online-users-list"`);
    expect(items).to.include('node="urn:starling:admin:user.show"');
    expect(items).not.to.include('urn:starling:admin:token.create');   // CLI only
    const info = await iq(boss, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    expect(info).to.include('<feature var="http://jabber.org/protocol/commands"/>');

    const u = (await rawLogin({ port: t.c2sPort, username: 'user', password: 'pw', resource: 'x' })).client;
    u.send("<iq type='get' to='localhost' id='u1'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>");
    const none = (await u.expect(/<iq [^>]*id="u1".*?<\/iq>/s))[0];
    expect(none).not.to.include('<item');
    u.send(`<iq type='set' to='localhost' id='u2'><command xmlns='http://jabber.org/protocol/commands' node='${ADMIN}#add-user' action='execute'/></iq>`);
    expect((await u.expect(/<iq [^>]*id="u2".*?<\/iq>/s))[0]).to.match(/type="error".*<forbidden /s);
    u.close();
  });

  it('add-user: a form, then the account exists and can log in', async () => {
    const { xml, sid } = await execute(`${ADMIN}#add-user`);
    expect(xml).to.match(/status="executing"/);
    expect(xml).to.include('<field var="password" type="text-private"');
    expect(xml).to.include('<actions execute="complete"><complete/></actions>');
    const done = await submit(`${ADMIN}#add-user`, sid, { accountjid: 'newbie@localhost', password: 'npw', 'password-verify': 'npw' });
    expect(done).to.match(/status="completed"/);
    const c = await rawLogin({ port: t.c2sPort, username: 'newbie', password: 'npw', resource: 'r' });
    c.client.close();
    const { sid: sid2 } = await execute(`${ADMIN}#add-user`);
    const dup = await submit(`${ADMIN}#add-user`, sid2, { accountjid: 'newbie@localhost', password: 'a', 'password-verify': 'a' });
    expect(dup).to.match(/type="error".*<conflict /s);
  });

  it('online users: count, list, statistics; announce reaches them; end-user-session kicks', async () => {
    const u = (await rawLogin({ port: t.c2sPort, username: 'user', password: 'pw', resource: 'phone' })).client;
    const num = (await execute(`${ADMIN}#get-online-users-num`)).xml;
    expect(num).to.match(/status="completed"/);
    expect(num).to.match(/<field var="onlineusersnum"[^>]*><value>2<\/value>/);
    const list = (await execute(`${ADMIN}#get-online-users-list`)).xml;
    expect(list).to.match(/<field var="onlineuserjids" type="jid-multi"[^>]*><value>boss@localhost<\/value><value>user@localhost<\/value>/);

    const st = await execute(`${ADMIN}#get-user-statistics`);
    const stats = await submit(`${ADMIN}#get-user-statistics`, st.sid, { accountjid: 'user@localhost' });
    expect(stats).to.match(/<field var="onlineresources"[^>]*><value>phone<\/value>/);
    expect(stats).to.match(/<field var="ipaddresses"[^>]*><value>127\.0\.0\.1<\/value>/);
    expect(stats).to.match(/<field var="rostersize"[^>]*><value>0<\/value>/);

    const an = await execute(`${ADMIN}#announce`);
    expect(await submit(`${ADMIN}#announce`, an.sid, { subject: 'Notice', announcement: ['line one', 'line two'] })).to.match(/announced to 2 sessions/);
    await u.expect(/<message [^>]*type="headline"[^>]*>.*<subject>Notice<\/subject><body>line one\nline two<\/body>/s);

    const end = await execute(`${ADMIN}#end-user-session`);
    expect(await submit(`${ADMIN}#end-user-session`, end.sid, { accountjids: ['user@localhost/phone'] })).to.match(/status="completed"/);
    await u.expect(/<policy-violation /);
  });

  it('change-user-password, disable, re-enable and delete-user', async () => {
    const cp = await execute(`${ADMIN}#change-user-password`);
    await submit(`${ADMIN}#change-user-password`, cp.sid, { accountjid: 'newbie@localhost', password: 'second' });
    (await rawLogin({ port: t.c2sPort, username: 'newbie', password: 'second', resource: 'a' })).client.close();
    const d = await execute(`${ADMIN}#disable-user`);
    await submit(`${ADMIN}#disable-user`, d.sid, { accountjids: ['newbie@localhost'] });
    expect((await t.server.storage.accounts.get('localhost', 'newbie'))!.disabled).to.equal(true);
    const e = await execute(`${ADMIN}#reenable-user`);
    await submit(`${ADMIN}#reenable-user`, e.sid, { accountjids: ['newbie@localhost'] });
    expect((await t.server.storage.accounts.get('localhost', 'newbie'))!.disabled).to.equal(false);
    const del = await execute(`${ADMIN}#delete-user`);
    expect(await submit(`${ADMIN}#delete-user`, del.sid, { accountjids: ['newbie@localhost'] })).to.match(/status="completed"/);
    expect(await t.server.storage.accounts.get('localhost', 'newbie')).to.equal(null);
    const again = await execute(`${ADMIN}#delete-user`);
    expect(await submit(`${ADMIN}#delete-user`, again.sid, { accountjids: ['newbie@localhost'] })).to.match(/<item-not-found /);
  });

  it('set-motd and delete-motd (offered when the moderation module is loaded) reach users coming online', async () => {
    const m = await execute(`${ADMIN}#set-motd`);
    expect(await submit(`${ADMIN}#set-motd`, m.sid, { motd: ['Welcome', 'be nice'] })).to.match(/status="completed"/);
    const u = (await rawLogin({ port: t.c2sPort, username: 'user', password: 'pw', resource: 'motd' })).client;
    u.send('<presence/>');
    await u.expect(/type="headline"[^>]*>.*<body>Welcome\nbe nice<\/body>/s);
    u.close();
    expect((await execute(`${ADMIN}#delete-motd`)).xml).to.match(/status="completed"/);
    expect(await t.server.admin.run('motd.get', { host: 'localhost' }, { via: 'socket', actor: 't', scopes: ['*'] }, 'socket')).to.deep.equal({ motd: null });
    await t.server.control.unloadModule('localhost', 'moderation');
    const items = await iq(boss, "<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>");
    expect(items).not.to.include('#set-motd');
    await t.server.control.loadModule('localhost', 'moderation');
  });

  it('runs registry commands with generated forms; cancel and unknown sessions', async () => {
    const s = await execute('urn:starling:admin:user.show');
    expect(s.xml).to.include('<field var="jid" type="jid-single"');
    const shown = await submit('urn:starling:admin:user.show', s.sid, { jid: 'user@localhost' });
    expect(shown, shown).to.match(/status="completed".*<field var="result"[^>]*>.*"jid": "user@localhost"/s);
    const c = await execute(`${ADMIN}#add-user`);
    expect(await submit(`${ADMIN}#add-user`, c.sid, {}, 'cancel')).to.match(/status="canceled"/);
    expect(await submit(`${ADMIN}#add-user`, c.sid, {})).to.match(/<bad-request .*<bad-sessionid xmlns="http:\/\/jabber.org\/protocol\/commands"\/>/s);
    const bad = await execute('urn:starling:admin:user.show');
    expect(await submit('urn:starling:admin:user.show', bad.sid, { jid: 'not valid@@' })).to.match(/<bad-request /);
  });
});
