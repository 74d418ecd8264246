// XEP-0357 push notifications over real sockets, with a second account acting as the app server: enable and
// disable, a publish with the summary form when a message arrives for a session detached by stream management,
// for an inactive (XEP-0352) session, and for an account with no session (offline); nothing for what can wait;
// the body only when configured; a registration stops after an error from the app server.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { boundClient, SM } from '../helpers/sm.js';
import type { RawClient } from '../helpers/raw-client.js';

const APP = 'appserver@localhost/svc';
const OPTIONS = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='secret'><value>s3cr3t</value></field></x>";

describe('XEP-0357 push notifications', function () {
  this.timeout(20000);
  let t: TestServer;
  const clients: RawClient[] = [];
  let app: RawClient;
  let bob: RawClient;

  async function start(push: Record<string, unknown> = { includeBody: true }): Promise<void> {
    t = await startTestServer({ modules: { message: {}, offline: {}, presence: {}, roster: {}, disco: {}, ping: {}, sm: {}, csi: {}, push } });
    for (const u of ['alice', 'bob', 'appserver']) await t.addUser(u, 'pw');
    app = await bound('appserver', 'svc');
    bob = await bound('bob', 'desk');
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.stop();
  });

  async function bound(user: string, resource: string): Promise<RawClient> {
    const c = (await boundClient(t.c2sPort, user, resource)).client;
    clients.push(c);
    return c;
  }

  /** Alice on her phone with push enabled (and SM resumption when asked). */
  async function alicePhone(sm = false): Promise<RawClient> {
    const a = await bound('alice', 'phone');
    a.send(`<iq type='set' id='push1'><enable xmlns='urn:xmpp:push:0' jid='${APP}' node='node-1'>${OPTIONS}</enable></iq>`);
    await a.expect(/<iq [^>]*id=["']push1["'][^>]*>|<iq [^>]*type=["']result["'][^>]*id=["']push1["']/);
    if (sm) {
      a.send(`<enable xmlns='${SM}' resume='true'/>`);
      await a.expect(/<enabled /);
    }
    return a;
  }

  /** The next publish the app server gets: the whole IQ; answers it with `answer` (result by default). */
  async function nextPublish(answer: 'result' | 'error' = 'result'): Promise<string> {
    const m = await app.expect(/<iq [^>]*>.*?<\/iq>/s);
    const id = /id=["']([^"']+)["']/.exec(m[0])![1]!;
    const from = /from=["']([^"']+)["']/.exec(m[0])![1]!;
    app.send(answer === 'result'
      ? `<iq type='result' id='${id}' to='${from}'/>`
      : `<iq type='error' id='${id}' to='${from}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
    return m[0];
  }

  const say = (id: string, body = id) => bob.send(`<message to='alice@localhost/phone' type='chat' id='${id}'><body>${body}</body></message>`);
  const field = (iq: string, name: string) => new RegExp(`<field var=["']${name}["']><value>([^<]*)</value></field>`).exec(iq)?.[1];

  it('is announced on the account and refuses a registration without a node', async () => {
    await start();
    const a = await bound('alice', 'phone');
    a.send(`<iq type='get' id='d1' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    await a.expect(/<feature var=["']urn:xmpp:push:0["']\/>/);
    a.send(`<iq type='set' id='e1'><enable xmlns='urn:xmpp:push:0' jid='${APP}'/></iq>`);
    await a.expect(/<iq [^>]*type=["']error["'][^>]*>.*?<bad-request/s);
  });

  it('notifies the app server with the summary form and publish-options when the phone is detached by SM', async () => {
    await start();
    const a = await alicePhone(true);
    a.close();
    await a.waitClosed();
    await new Promise((r) => setTimeout(r, 100));
    say('m1', 'first');
    const iq = await nextPublish();
    expect(iq).to.match(/from=["']alice@localhost["']/);
    expect(iq).to.match(/<publish node=["']node-1["']><item><notification xmlns=["']urn:xmpp:push:0["']>/);
    expect(field(iq, 'FORM_TYPE')).to.equal('urn:xmpp:push:summary');
    expect(field(iq, 'message-count')).to.equal('1');
    expect(field(iq, 'last-message-sender')).to.equal('bob@localhost');
    expect(field(iq, 'last-message-body')).to.equal('first');
    expect(iq).to.match(/<publish-options><x xmlns=["']jabber:x:data["'] type=["']submit["']>.*?<value>s3cr3t<\/value>/s);
    say('m2', 'second');
    const iq2 = await nextPublish();
    expect(field(iq2, 'message-count')).to.equal('2');
  });

  it('notifies for an inactive (CSI) session only for what matters', async () => {
    await start();
    const a = await alicePhone();
    a.send(`<inactive xmlns='urn:xmpp:csi:0'/>`);
    bob.send(`<message to='alice@localhost/phone' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    bob.send(`<presence to='alice@localhost/phone'/>`);
    say('real', 'wake up');
    const iq = await nextPublish();
    expect(field(iq, 'last-message-body')).to.equal('wake up');
    expect(field(iq, 'message-count')).to.equal('1');
  });

  it('notifies for a message stored offline (no session) and leaves out the body by default', async () => {
    await start({});
    const a = await alicePhone();
    a.send('</stream:stream>');
    await a.waitClosed();
    await new Promise((r) => setTimeout(r, 100));
    bob.send(`<message to='alice@localhost' type='chat' id='off1'><body>secret words</body></message>`);
    const iq = await nextPublish();
    expect(field(iq, 'last-message-sender')).to.equal('bob@localhost');
    expect(iq).to.not.contain('secret words');
    expect(field(iq, 'last-message-body')).to.equal(undefined);
  });

  it('group chat messages wake the phone when they mention the user, or all of them with groupchat: all', async () => {
    await start({ includeBody: true });
    const a = await alicePhone();
    a.send(`<inactive xmlns='urn:xmpp:csi:0'/>`);
    const gc = (id: string, body: string) => bob.send(`<message to='alice@localhost/phone' type='groupchat' id='${id}'><body>${body}</body></message>`);
    gc('g1', 'lunch?');
    gc('g2', 'alice, lunch?');
    expect(field(await nextPublish(), 'last-message-body')).to.equal('alice, lunch?');
    for (const c of clients.splice(0)) c.close();
    await t.stop();
    await start({ includeBody: true, groupchat: 'all' });
    const a2 = await alicePhone();
    a2.send(`<inactive xmlns='urn:xmpp:csi:0'/>`);
    bob.send(`<message to='alice@localhost/phone' type='groupchat' id='g3'><body>lunch?</body></message>`);
    expect(field(await nextPublish(), 'last-message-body')).to.equal('lunch?');
  });

  it('stops after an error from the app server, and after disable', async () => {
    await start();
    const a = await alicePhone();
    a.send(`<inactive xmlns='urn:xmpp:csi:0'/>`);
    say('e1');
    await nextPublish('error');
    await new Promise((r) => setTimeout(r, 100));
    say('e2');
    // Re-enabled: the next notification is for e3, so nothing was published for e2.
    a.send(`<iq type='set' id='push2'><enable xmlns='urn:xmpp:push:0' jid='${APP}' node='node-1'/></iq>`);
    await a.expect(/id=["']push2["']/);
    say('e3');
    expect(field(await nextPublish(), 'last-message-body')).to.equal('e3');
    a.send(`<iq type='set' id='push3'><disable xmlns='urn:xmpp:push:0' jid='${APP}'/></iq>`);
    await a.expect(/id=["']push3["']/);
    say('e4');
    await new Promise((r) => setTimeout(r, 300));
    expect(app.buffer).to.not.contain('<iq');
  });
});
