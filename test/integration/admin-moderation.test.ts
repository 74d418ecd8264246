// The moderation module with real clients: body length, content filters (host: reject; room: drop), rate limits,
// registration closed / by invitation (XEP-0401), abuse reports (XEP-0377) and the message of the day.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSecure, rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const OWNER = { via: 'socket' as const, actor: 'test', scopes: ['*'] };
const BASE = { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, offline: {}, blocking: {} };

async function login(t: TestServer, user: string, resource = 'r'): Promise<RawClient> {
  return (await rawLogin({ port: t.c2sPort, username: user, password: 'pw', resource })).client;
}

describe('moderation: content and length', function () {
  this.timeout(30_000);
  let t: TestServer;
  let a: RawClient;
  let b: RawClient;

  before(async () => {
    t = await startTestServer({
      modules: {
        ...BASE,
        moderation: {
          maxBodyChars: 10,
          filter: { words: ['spam'], patterns: ['buy\\s+now'], text: 'no advertising here' },
          rooms: { 'lounge@conference.localhost': { words: ['secret'], action: 'drop' } },
        },
      },
    });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    a = await login(t, 'alice');
    b = await login(t, 'bob');
  });
  after(async () => {
    a.close();
    b.close();
    await t.stop();
  });

  it('refuses a body over maxBodyChars with policy-violation; one at the limit goes through', async () => {
    a.send("<message to='bob@localhost/r' id='long'><body>12345678901</body></message>");
    const err = (await a.expect(/<message [^>]*id="long".*?<\/message>/s))[0];
    expect(err).to.include('type="error"');
    expect(err).to.match(/<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><text [^>]*>the message body is longer than 10 characters<\/text>/);
    a.send("<message to='bob@localhost/r' id='ok10'><body>1234567890</body></message>");
    await b.expect(/id="ok10"/);
  });

  it('rejects filtered words (whole words, any case) and patterns with the configured text', async () => {
    a.send("<message to='bob@localhost/r' id='f1'><body>SPAM!</body></message>");
    expect((await a.expect(/<message [^>]*id="f1".*?<\/message>/s))[0]).to.match(/<policy-violation .*no advertising here/s);
    a.send("<message to='bob@localhost/r' id='f2'><body>buy   now</body></message>");
    expect((await a.expect(/<message [^>]*id="f2".*?<\/message>/s))[0]).to.match(/<policy-violation /);
    a.send("<message to='bob@localhost/r' id='f3'><body>spammer</body></message>");
    await b.expect(/id="f3"/);
  });

  it('drops messages to a room that match its filter, silently', async () => {
    a.send("<message to='lounge@conference.localhost' type='groupchat' id='d1'><body>a secret</body></message>");
    a.send("<iq type='get' to='localhost' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
    // Everything received up to the ping's answer: no error for the dropped message.
    const got = (await a.expect(/^[\s\S]*?<iq [^>]*id="p1"[^>]*\/>/))[0];
    expect(got).to.match(/<iq [^>]*type="result"[^>]*id="p1"|<iq [^>]*id="p1"[^>]*type="result"/);
    expect(got).not.to.include('id="d1"');
    const stats = await t.server.admin.run('moderation.stats', { host: 'localhost' }, OWNER, 'socket');
    expect(stats).to.deep.equal({ rejected: 3, dropped: 1, throttled: 0 });
  });
});

describe('moderation: rate limits', function () {
  this.timeout(30_000);
  let t: TestServer;

  before(async () => {
    t = await startTestServer({
      modules: { ...BASE, moderation: { rateLimit: { account: { stanzasPerSecond: 0.01, burstStanzas: 5 }, ip: { bytesPerSecond: 1, burstBytes: 40_000 } } } },
    });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });
  after(() => t.stop());

  it('throttles an account past its stanza burst with policy-violation (wait); another account is not affected', async () => {
    const a = await login(t, 'alice');
    const b = await login(t, 'bob');
    for (let i = 0; i < 8; i++) a.send(`<message to='bob@localhost/r' id='m${i}'><body>${i}</body></message>`);
    const err = (await a.expect(/<message [^>]*id="m5".*?<\/message>/s))[0];
    expect(err).to.match(/<error type="wait"><policy-violation [^>]*\/><text [^>]*>rate limit exceeded: slow down/);
    await a.expect(/<message [^>]*id="m7".*?<policy-violation/s);
    await b.expect(/id="m4"/);
    b.send("<message to='alice@localhost/r' id='fromb'><body>still fine</body></message>");
    await a.expect(/id="fromb"/);
    a.close();
    b.close();
  });

  it('throttles an address past its byte burst', async () => {
    const b = await login(t, 'bob', 'bytes');
    const big = 'x'.repeat(15_000);
    for (let i = 0; i < 4; i++) b.send(`<message to='alice@localhost' id='big${i}'><body>${big}</body></message>`);
    const first = (await b.expect(/^[\s\S]*?<message [^>]*id="big2".*?<\/message>/s))[0];
    expect(first).not.to.match(/id="big[01]"/);
    expect(first).to.match(/<policy-violation .*rate limit exceeded/s);
    b.close();
  });
});

describe('moderation: registration, reports, message of the day', function () {
  this.timeout(30_000);
  let t: TestServer;

  async function register(user: string, token?: string): Promise<string> {
    const { client } = await connectSecure({ port: t.c2sPort });
    try {
      if (token !== undefined) {
        client.send(`<iq type='set' id='pa'><preauth xmlns='urn:xmpp:pars:0' token='${token}'/></iq>`);
        const pa = (await client.expect(/<iq [^>]*id="pa"[^>]*(?:\/>|>.*?<\/iq>)/s))[0];
        if (!pa.includes('type="result"')) return pa;
      }
      client.send(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${user}</username><password>a long password</password></query></iq>`);
      return (await client.expect(/<iq [^>]*id="reg"[^>]*(?:\/>|>.*?<\/iq>)/s))[0];
    } finally {
      client.close();
    }
  }

  before(async () => {
    t = await startTestServer({ modules: { ...BASE, register: {}, moderation: { registration: 'invite', motd: 'welcome to the test server' } } });
    await t.addUser('alice', 'pw');
  });
  after(() => t.stop());

  it('invite-only registration: refused without an invitation, accepted once with one, then the link is used up', async () => {
    const refused = await register('eve');
    expect(refused, refused).to.match(/type="error".*<not-allowed .*needs an invitation/s);
    expect(await register('eve', 'A'.repeat(32))).to.match(/<item-not-found /);
    const inv = await t.server.admin.run('invite.create', { host: 'localhost', uses: 1 }, OWNER, 'socket') as { token: string; uri: string; id: string };
    expect(inv.uri).to.equal(`xmpp:localhost?register;preauth=${inv.token}`);
    const accepted = await register('eve', inv.token);
    expect(accepted, accepted).to.match(/type="result"/);
    expect(await t.server.storage.accounts.get('localhost', 'eve')).not.to.equal(null);
    expect(await register('mallory', inv.token)).to.match(/<item-not-found /);
    const list = await t.server.admin.run('invite.list', { host: 'localhost' }, OWNER, 'socket') as { invites: unknown[] };
    expect(list.invites).to.deep.equal([]);
    const two = await t.server.admin.run('invite.create', { host: 'localhost', uses: 2 }, OWNER, 'socket') as { token: string; id: string };
    await t.server.admin.run('invite.revoke', { host: 'localhost', id: two.id }, OWNER, 'socket');
    expect(await register('mallory', two.token)).to.match(/<item-not-found /);
  });

  it('collects XEP-0377 reports sent with a block into the admin queue (the block still happens)', async () => {
    const a = await login(t, 'alice');
    a.send("<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='spammer@evil.example'><report xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'><text xml:lang='en'>sells pills</text></report></item></block></iq>");
    await a.expect(/<iq [^>]*id="b1"[^>]*type="result"|<iq [^>]*type="result"[^>]*id="b1"/);
    const r = await t.server.admin.run('report.list', { host: 'localhost' }, OWNER, 'socket') as { reports: { id: string; reporter: string; reported: string; reason: string; text: string }[] };
    expect(r.reports).to.have.length(1);
    expect(r.reports[0]).to.include({ reporter: 'alice@localhost', reported: 'spammer@evil.example', reason: 'urn:xmpp:reporting:spam', text: 'sells pills' });
    a.send("<iq type='get' id='bl'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    await a.expect(/<item jid="spammer@evil.example"\/>/);
    await t.server.admin.run('report.dismiss', { host: 'localhost', id: r.reports[0]!.id }, OWNER, 'socket');
    expect(await t.server.admin.run('report.list', { host: 'localhost' }, OWNER, 'socket')).to.deep.equal({ reports: [] });
    a.close();
  });

  it('sends the message of the day when a session comes online; motd.set replaces it', async () => {
    const a = await login(t, 'alice', 'm1');
    a.send('<presence/>');
    await a.expect(/<message [^>]*type="headline"[^>]*>.*<body>welcome to the test server<\/body>/s);
    a.close();
    await t.server.admin.run('motd.set', { host: 'localhost', text: 'maintenance tonight' }, OWNER, 'socket');
    const b = await login(t, 'alice', 'm2');
    b.send('<presence/>');
    await b.expect(/<body>maintenance tonight<\/body>/);
    b.close();
    expect(await t.server.admin.run('motd.clear', { host: 'localhost' }, OWNER, 'socket')).to.deep.equal({ motd: 'welcome to the test server' });
  });
});

describe('moderation: closed registration', function () {
  this.timeout(30_000);
  it('refuses in-band registration with not-allowed', async () => {
    const t = await startTestServer({ modules: { ...BASE, register: {}, moderation: { registration: 'closed' } } });
    try {
      const { client } = await connectSecure({ port: t.c2sPort });
      client.send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>zed</username><password>pw</password></query></iq>");
      expect((await client.expect(/<iq [^>]*id="reg".*?<\/iq>/s))[0]).to.match(/<not-allowed .*registration is closed/s);
      client.close();
      expect(await t.server.storage.accounts.get('localhost', 'zed')).to.equal(null);
    } finally {
      await t.stop();
    }
  });
});
