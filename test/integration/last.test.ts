// XEP-0012 Last Activity over real sockets. A small test module stands in for the roster (bob has a
// presence subscription to alice and dave; carol to nobody), so these tests do not depend on it.
import { expect } from 'chai';
import { z } from 'zod';
import { defineModule } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { RawClient } from '../helpers/raw-client.js';
import { RawSessions } from '../helpers/raw-sessions.js';

const NS = 'jabber:iq:last';

/** Called with the full JID of every session that ends (after the last module saw it end). */
const unbindListeners = new Set<(jid: string) => void>();
const nextUnbind = (jid: string) => new Promise<void>((resolve) => {
  const f = (j: string) => {
    if (j !== jid) return;
    unbindListeners.delete(f);
    resolve();
  };
  unbindListeners.add(f);
});

const rosterStub = defineModule({
  name: 'roster_stub',
  description: 'test helper: presence subscriptions',
  options: z.object({ subscribers: z.record(z.string(), z.array(z.string())).default({}) }).strict(),
  setup(ctx) {
    const subscribers = ctx.options.subscribers;
    const entry = (jid: string) => ({ jid, groups: [], subscription: 'from', ask: false, approved: false, pendingIn: false, hidden: false });
    (ctx.provide as (name: string, svc: unknown) => void)('roster', {
      items: async (user: string) => new Map((subscribers[user] ?? []).map((c) => [c, entry(c)])),
      item: async (user: string, c: string) => ((subscribers[user] ?? []).includes(c) ? entry(c) : null),
    });
    ctx.hook('resource-unbind', ({ session }) => {
      for (const f of [...unbindListeners]) f(session.jid!.full());
    }, -100);
  },
});

describe('last (XEP-0012)', function () {
  let t: TestServer;
  const raw = new RawSessions(() => t.c2sPort, { idPrefix: 'l' });
  let bob: RawClient;
  let carol: RawClient;

  const login = (username: string, resource: string) => raw.login(username, resource);
  const iq = (c: RawClient, to: string | null, payload = `<query xmlns='${NS}'/>`) => raw.iq(c, 'get', payload, to);
  const seconds = (answer: string): number => {
    const m = answer.match(/<query xmlns="jabber:iq:last" seconds="(\d+)"/);
    if (!m) throw new Error(`no seconds in ${answer}`);
    return Number(m[1]);
  };
  let started: [number, number] = [0, 0];
  const start = async (dataDir?: string) => {
    const t0 = Date.now();
    t = await startTestServer({
      modules: { disco: {}, last: {}, register: { allowRegistration: false }, roster_stub: { subscribers: { alice: ['bob@localhost'], dave: ['bob@localhost'] } } },
    }, ['localhost'], { extraModules: [rosterStub], dataDir });
    started = [t0, Date.now()];
  };

  before(async () => {
    await start();
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await t.addUser(u, 'pw');
    bob = await login('bob', 'b');
    carol = await login('carol', 'c');
  });
  after(async () => {
    raw.closeAll();
    await t.stop();
  });

  it('announces jabber:iq:last and answers the server uptime', async () => {
    bob.send("<iq type='get' to='localhost' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    expect((await bob.expect(/<iq [^>]*id="d1".*?<\/iq>/s))[0]).to.include(`<feature var="${NS}"/>`);
    const up = await iq(bob, 'localhost');
    expect(up).to.match(new RegExp(`<iq type="result" id="l\\d+" to="bob@localhost/b" from="localhost"><query xmlns="${NS}" seconds="\\d+"/></iq>`));
    const now = Date.now();
    expect(seconds(up)).to.be.within(Math.floor((now - started[1]) / 1000), Math.ceil((now - started[0]) / 1000));
  });

  it('answers 0 for a connected user to the user and to a subscribed contact, forbidden to others', async () => {
    const alice = await login('alice', 'home');
    expect(seconds(await iq(bob, 'alice@localhost'))).to.equal(0);
    expect(seconds(await iq(alice, null))).to.equal(0);
    const refused = await iq(carol, 'alice@localhost');
    expect(refused).to.include('type="error"').and.include('<error type="auth"><forbidden').and.not.include('seconds');
    // An unknown account gets the same answer, so accounts cannot be probed.
    expect(await iq(carol, 'nobody@localhost')).to.include('<forbidden');
    const gone = nextUnbind('alice@localhost/home');
    alice.close();
    await gone;
  });

  it('answers the seconds since logout with the status of the unavailable presence', async () => {
    const alice = await login('alice', 'home');
    alice.send("<presence type='unavailable'><status xml:lang='fr'>En route</status><status>Heading Home</status></presence>");
    const gone = nextUnbind('alice@localhost/home');
    alice.send('</stream:stream>');
    await gone;
    const answer = await iq(bob, 'alice@localhost');
    expect(answer).to.match(new RegExp(`<query xmlns="${NS}" seconds="\\d+">Heading Home</query>`));
    expect(seconds(answer)).to.be.at.most(1);
    expect(await iq(carol, 'alice@localhost')).to.include('<forbidden').and.not.include('Heading');
  });

  it('records an abrupt disconnect, without the status of an earlier unavailable presence', async () => {
    const alice = await login('alice', 'home');
    alice.send("<presence type='unavailable'><status>brb</status></presence>");
    alice.send('<presence/>');
    expect(seconds(await iq(alice, null))).to.equal(0);
    const gone = nextUnbind('alice@localhost/home');
    alice.socket.destroy();
    await gone;
    const answer = await iq(bob, 'alice@localhost');
    expect(answer).to.match(new RegExp(`<query xmlns="${NS}" seconds="\\d+"/>`));
  });

  it('answers item-not-found for a contact who never logged out', async () => {
    expect(await iq(bob, 'dave@localhost')).to.include('type="error"').and.include('<item-not-found');
  });

  it('refuses a query to a full JID without a subscription and delivers it with one (§4)', async () => {
    const dave = await login('dave', 'desk');
    const refused = await iq(carol, 'dave@localhost/desk');
    expect(refused).to.include('<forbidden');
    bob.send(`<iq type='get' id='full1' to='dave@localhost/desk'><query xmlns='${NS}'/></iq>`);
    const delivered = (await dave.expect(/<iq [^>]*id="full1"[^>]*>.*?<\/iq>/s))[0];
    expect(delivered).to.include('from="bob@localhost/b"');
    expect(dave.buffer).to.not.include('carol');
    dave.send(`<iq type='result' id='full1' to='bob@localhost/b'><query xmlns='${NS}' seconds='42'/></iq>`);
    expect((await bob.expect(/<iq [^>]*id="full1"[^>]*>.*?<\/iq>/s))[0]).to.include('seconds="42"');
    // Other IQs to the resource are not affected.
    carol.send("<iq type='get' id='full2' to='dave@localhost/desk'><ping xmlns='urn:xmpp:ping'/></iq>");
    expect((await dave.expect(/<iq [^>]*id="full2"[^>]*>/))[0]).to.include('from="carol@localhost/c"');
    dave.close();
  });

  it('writes nothing back for an account deleted while its session was open', async () => {
    const erin = await login('erin', 'e');
    const gone = nextUnbind('erin@localhost/e');
    erin.send("<iq type='set' id='rm1'><query xmlns='jabber:iq:register'><remove/></query></iq>");
    await erin.expect(/<iq [^>]*id="rm1"/);
    await gone;
    await iq(bob, 'localhost');   // a round trip: the server has finished with the ended session
    expect(await t.server.storage.accounts.get('localhost', 'erin')).to.equal(null);
    expect(await t.server.storage.open('localhost', 'last', 'keyval').get('erin')).to.equal(null);
  });

  it('keeps the last logout across a server restart', async () => {
    raw.closeAll();
    await t.stop(true);
    await start(t.dataDir);
    bob = await login('bob', 'b');
    carol = await login('carol', 'c');
    const answer = await iq(bob, 'alice@localhost');
    expect(answer).to.match(new RegExp(`<query xmlns="${NS}" seconds="\\d+"/>`));
  });
});

describe('last (XEP-0012) with the roster and presence modules', function () {
  let t: TestServer;
  const raw = new RawSessions(() => t.c2sPort);
  const login = (username: string, resource: string) => raw.login(username, resource);
  const iq = (c: RawClient, to: string) => raw.iq(c, 'get', `<query xmlns='${NS}'/>`, to);

  before(async () => {
    t = await startTestServer({ modules: { roster: {}, presence: {}, last: {} } });
    for (const u of ['alice', 'bob', 'carol']) await t.addUser(u, 'pw');
  });
  after(async () => {
    raw.closeAll();
    await t.stop();
  });

  it('answers a contact whose subscription the user approved, and only that contact', async () => {
    const alice = await login('alice', 'home');
    const bob = await login('bob', 'b');
    const carol = await login('carol', 'c');
    alice.send('<presence/>');
    bob.send('<presence/>');   // subscription answers are delivered to available resources only
    bob.send("<presence to='alice@localhost' type='subscribe'/>");
    await alice.expect(/<presence [^>]*type="subscribe"[^>]*\/>/);
    alice.send("<presence to='bob@localhost' type='subscribed'/>");
    await bob.expect(/<presence [^>]*type="subscribed"[^>]*\/>/);
    expect(await iq(bob, 'alice@localhost')).to.match(/<query xmlns="jabber:iq:last" seconds="0"\/>/);
    expect(await iq(carol, 'alice@localhost')).to.include('<forbidden');
    // Alice is not subscribed to bob's presence: she may not see his.
    expect(await iq(alice, 'bob@localhost')).to.include('<forbidden');
    alice.send("<presence type='unavailable'><status>gone fishing</status></presence>");
    await bob.expect(/<presence [^>]*type="unavailable"[^>]*>/);
    // The server unbinds the session before it answers the stream close.
    alice.send('</stream:stream>');
    await alice.expect(/<\/stream:stream>/);
    const answer = await iq(bob, 'alice@localhost');
    expect(answer).to.match(/<query xmlns="jabber:iq:last" seconds="\d+">gone fishing<\/query>/);
  });
});
