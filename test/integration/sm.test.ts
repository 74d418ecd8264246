// XEP-0198 stream management over real sockets: acknowledgements, resumption after the client's socket is
// destroyed without a closing handshake (every unacknowledged message arrives again exactly once), the resume
// timeout (the messages are then in offline storage), a new binding of the same resource, a server restart,
// and the negative cases (wrong id, h too high, out-of-order and repeated requests).
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authedClient, boundClient, messageIds, readUntil, SM } from '../helpers/sm.js';
import type { RawClient } from '../helpers/raw-client.js';

const MODULES = { message: {}, offline: {}, presence: {}, roster: {}, disco: {}, sm: { resumeTimeoutSeconds: 30, requestEvery: 100 } };

describe('XEP-0198 stream management', function () {
  this.timeout(20000);
  let t: TestServer;
  const open: RawClient[] = [];
  const track = <T extends { client: RawClient }>(r: T): T => {
    open.push(r.client);
    return r;
  };

  async function start(sm: Record<string, unknown> = {}, dataDir?: string, limits: Record<string, number> = {}): Promise<void> {
    t = await startTestServer({ modules: { ...MODULES, sm: { ...MODULES.sm, ...sm } }, limits }, ['localhost'], { dataDir });
    if (!dataDir) {
      await t.addUser('alice', 'pw');
      await t.addUser('bob', 'pw');
    }
  }

  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await t?.stop();
  });

  /** Alice bound as 'phone' with SM enabled (resumable unless told otherwise). */
  async function aliceWithSm(resume = true): Promise<{ client: RawClient; jid: string; id: string }> {
    const a = track(await boundClient(t.c2sPort, 'alice', 'phone'));
    a.client.send(`<enable xmlns='${SM}'${resume ? " resume='true'" : ''}/>`);
    const m = await a.client.expect(/<enabled [^>]*\/>/);
    const id = /id=["']([^"']+)["']/.exec(m[0])?.[1] ?? '';
    return { ...a, id };
  }

  async function bobSends(to: string, ids: string[]): Promise<RawClient> {
    const b = track(await boundClient(t.c2sPort, 'bob', 'desk'));
    for (const id of ids) b.client.send(`<message to='${to}' type='chat' id='${id}'><body>${id}</body></message>`);
    return b.client;
  }

  /** Asks for an ack and returns the server's h. */
  async function serverH(c: RawClient): Promise<number> {
    c.send(`<r xmlns='${SM}'/>`);
    const m = await c.expect(/<a xmlns=["']urn:xmpp:sm:3["'] h=["'](\d+)["']\/>/);
    return Number(m[1]);
  }

  /** Resumes on a new connection; returns the client and the text it read through <resumed/>. */
  async function resume(id: string, h: number): Promise<{ client: RawClient; resumed: string }> {
    const r = track(await authedClient(t.c2sPort, 'alice'));
    expect(r.features).to.contain(`<sm xmlns="${SM}"`);
    r.client.send(`<resume xmlns='${SM}' previd='${id}' h='${h}'/>`);
    const m = await r.client.expect(/<(resumed|failed)\b[^>]*?(\/>|>.*?<\/failed>)/s);
    return { client: r.client, resumed: m[0] };
  }

  it('advertises sm:3 after authentication, enables with and without resumption, and counts handled stanzas', async () => {
    await start();
    const r = track(await authedClient(t.c2sPort, 'alice'));
    expect(r.features).to.match(/<sm xmlns=["']urn:xmpp:sm:3["']/);
    const plain = await aliceWithSm(false);
    expect(plain.id).to.equal('');
    plain.client.send(`<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq><message to='bob@localhost' id='x'><body>hi</body></message>`);
    expect(await serverH(plain.client)).to.equal(2);
    const res = await aliceWithSm(true);
    expect(res.id).to.match(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('drops acknowledged stanzas and resends exactly the unacknowledged ones after the socket is destroyed', async () => {
    await start();
    const a = await aliceWithSm();
    await bobSends(a.jid, ['m1', 'm2', 'm3']);
    await a.client.expect(/id=["']m3["']/);
    a.client.send(`<a xmlns='${SM}' h='2'/>`);   // the client handled m1 and m2
    await serverH(a.client);                       // the ack was processed
    a.client.close();                              // no </stream:stream>: the connection just dies
    await a.client.waitClosed();
    const b = await bobSends(a.jid, ['m4', 'm5']);
    await new Promise((r) => setTimeout(r, 200));
    const { client, resumed } = await resume(a.id, 2);
    expect(resumed).to.match(new RegExp(`<resumed xmlns=["']${SM}["'] previd=["']${a.id}["'] h=["']0["']\\/>`));
    b.send(`<message to='${a.jid}' type='chat' id='m6'><body>m6</body></message>`);
    const text = await readUntil(client, /id=["']m6["']/);
    expect(messageIds(resumed + text)).to.deep.equal(['m3', 'm4', 'm5', 'm6']);
    // The resumed session is the same bound session: stanzas from it still come from the phone resource.
    client.send(`<message to='bob@localhost/desk' id='back'><body>back</body></message>`);
    await b.expect(/from=["']alice@localhost\/phone["'][^>]*id=["']back["']|id=["']back["'][^>]*from=["']alice@localhost\/phone["']/);
    // Counting goes on across the resumption: 6 stanzas were sent to the phone, and it has sent one.
    client.send(`<a xmlns='${SM}' h='6'/>`);
    expect(await serverH(client)).to.equal(1);
  });

  /** Logs in again as alice on another resource, sends presence and returns the text up to message `lastId`. */
  async function offlineDelivery(lastId: string): Promise<string> {
    const c = track(await boundClient(t.c2sPort, 'alice', 'laptop')).client;
    c.send('<presence/>');
    return readUntil(c, new RegExp(`id=["']${lastId}["']`));
  }

  it('after the resume timeout, unacknowledged messages are in offline storage and the id is gone', async () => {
    await start({ resumeTimeoutSeconds: 1 });
    const a = await aliceWithSm();
    await bobSends(a.jid, ['m1', 'm2']);
    await a.client.expect(/id=["']m2["']/);
    a.client.send(`<a xmlns='${SM}' h='1'/>`);
    await serverH(a.client);
    a.client.close();
    await a.client.waitClosed();
    const b = track(await boundClient(t.c2sPort, 'bob', 'desk2')).client;
    b.send(`<message to='${a.jid}' type='chat' id='m3'><body>m3</body></message>`);
    await new Promise((r) => setTimeout(r, 1800));
    const late = await resume(a.id, 1);
    expect(late.resumed).to.match(/<failed xmlns=["']urn:xmpp:sm:3["']><item-not-found xmlns=["']urn:ietf:params:xml:ns:xmpp-stanzas["']\/><\/failed>/);
    const text = await offlineDelivery('m3');
    expect(messageIds(text)).to.deep.equal(['m2', 'm3']);
    expect(text).to.contain('Offline Storage');
  });

  it('a session with SM but without resumption hands its unacknowledged messages to offline storage when the socket dies', async () => {
    await start();
    const a = await aliceWithSm(false);
    await bobSends(a.jid, ['n1', 'n2', 'n3']);
    await a.client.expect(/id=["']n3["']/);
    a.client.send(`<a xmlns='${SM}' h='2'/>`);
    await serverH(a.client);
    a.client.close();
    await a.client.waitClosed();
    await new Promise((r) => setTimeout(r, 200));
    expect(messageIds(await offlineDelivery('n3'))).to.deep.equal(['n3']);
  });

  it('unacknowledged MAM results are not turned into offline messages (the query belonged to the session that ended)', async () => {
    t = await startTestServer({ modules: { ...MODULES, mam: {} } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    const b = await bobSends('alice@localhost', ['h1']);   // alice is offline: offline storage and her archive
    await new Promise((r) => setTimeout(r, 200));
    const a = await aliceWithSm(false);
    a.client.send("<iq type='set' id='q1'><query xmlns='urn:xmpp:mam:2' queryid='mq'/></iq>");
    await a.client.expect(/<iq [^>]*id=["']q1["'][^>]*type=["']result["']|<iq [^>]*type=["']result["'][^>]*id=["']q1["']/);
    a.client.close();   // the result message was never acknowledged
    await a.client.waitClosed();
    await new Promise((r) => setTimeout(r, 200));
    b.send("<message to='alice@localhost' type='chat' id='h2'><body>h2</body></message>");
    await new Promise((r) => setTimeout(r, 200));
    const delivered = await offlineDelivery('h2');
    expect(delivered).to.not.contain('urn:xmpp:mam:2');
    expect(messageIds(delivered)).to.deep.equal(['h1', 'h2']);
  });

  it('with another resource online, an unacknowledged message is bounced rather than delivered twice', async () => {
    await start({ resumeTimeoutSeconds: 1 });
    const laptop = track(await boundClient(t.c2sPort, 'alice', 'laptop')).client;
    laptop.send('<presence/>');
    const a = await aliceWithSm();
    a.client.close();
    await a.client.waitClosed();
    const b = await bobSends(a.jid, ['x1']);
    const err = await b.expect(/<message [^>]*type=["']error["'][^>]*>.*?<\/message>/s, 4000);
    expect(err[0]).to.match(/id=["']x1["']/);
    expect(err[0]).to.contain('<recipient-unavailable');
    expect(laptop.buffer).to.not.match(/<message [^>]*id=["']x1["']/);
  });

  it('with another resource online, an archived unacknowledged message is left to the archive (no bounce, no copy)', async () => {
    t = await startTestServer({ modules: { ...MODULES, mam: {}, sm: { ...MODULES.sm, resumeTimeoutSeconds: 1 } } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    const laptop = track(await boundClient(t.c2sPort, 'alice', 'laptop')).client;
    laptop.send('<presence/>');
    const a = await aliceWithSm();
    const b = await bobSends(a.jid, ['y1']);
    const got = await a.client.expect(/<message [^>]*id=["']y1["'].*?<\/message>/s);
    expect(got[0]).to.match(/<stanza-id xmlns=["']urn:xmpp:sid:0["'] by=["']alice@localhost["']/);
    a.client.close();
    await a.client.waitClosed();
    await new Promise((r) => setTimeout(r, 1800));
    b.send(`<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const seen = await readUntil(b, /id=["']sync["']/);
    expect(seen).to.not.match(/<message [^>]*type=["']error["']/);
    expect(laptop.buffer).to.not.match(/<message [^>]*id=["']y1["']/);
  });

  it('a clean close with unacknowledged messages also stores them, and bounces an unanswered IQ', async () => {
    await start();
    const a = await aliceWithSm();
    const b = await bobSends(a.jid, ['c1']);
    b.send(`<iq type='get' to='${a.jid}' id='q1'><query xmlns='jabber:iq:version'/></iq>`);
    await a.client.expect(/id=["']q1["']/);
    a.client.send('</stream:stream>');
    await b.expect(/<iq [^>]*type=["']error["'][^>]*>.*?service-unavailable/s);
    expect(messageIds(await offlineDelivery('c1'))).to.deep.equal(['c1']);
  });

  it('a new binding of the same resource replaces the detached session; its unacknowledged messages are not lost', async () => {
    await start();
    const a = await aliceWithSm();
    await bobSends(a.jid, ['r1']);
    await a.client.expect(/id=["']r1["']/);
    a.client.close();
    await a.client.waitClosed();
    await new Promise((r) => setTimeout(r, 100));
    const again = track(await boundClient(t.c2sPort, 'alice', 'phone')).client;
    again.send('<presence/>');
    const text = await readUntil(again, /id=["']r1["']/);
    expect(messageIds(text)).to.deep.equal(['r1']);
    const late = await resume(a.id, 0);
    expect(late.resumed).to.contain('item-not-found');
  });

  it('resuming while the old connection still looks alive takes the session over from it', async () => {
    await start();
    const a = await aliceWithSm();
    await bobSends(a.jid, ['o1']);
    await a.client.expect(/id=["']o1["']/);
    const { client, resumed } = await resume(a.id, 0);
    expect(resumed).to.contain('<resumed');
    await readUntil(client, /id=["']o1["']/);
    await a.client.waitClosed();
    expect(await serverH(client)).to.equal(0);
  });

  it('a server restart while the session is detached keeps the unacknowledged messages', async () => {
    await start();
    const a = await aliceWithSm();
    await bobSends(a.jid, ['s1', 's2']);
    await a.client.expect(/id=["']s2["']/);
    a.client.close();
    await a.client.waitClosed();
    await new Promise((r) => setTimeout(r, 100));
    const dir = t.dataDir;
    for (const c of open.splice(0)) c.close();
    await t.stop(true);
    await start({}, dir);
    const late = await resume(a.id, 0);
    expect(late.resumed).to.contain('item-not-found');
    expect(messageIds(await offlineDelivery('s2'))).to.deep.equal(['s1', 's2']);
  });

  it('a connection that idles out is presumed dead: the session detaches and can be resumed', async () => {
    await start({}, undefined, { idleTimeoutSeconds: 0.6, keepaliveSeconds: 0.3 });
    const a = await aliceWithSm();
    // Alice goes silent (a phone whose network vanished): the server gives up on the connection, not on the session.
    const m = await a.client.expect(/<stream:error><connection-timeout /, 5000);
    expect(m[0]).to.contain('connection-timeout');
    await a.client.waitClosed();
    const b = await bobSends(a.jid, ['i1']);
    await new Promise((r) => setTimeout(r, 100));
    const { client, resumed } = await resume(a.id, 0);
    expect(resumed).to.contain('<resumed');
    await readUntil(client, /id=["']i1["']/);
    b.close();
  });

  describe('refusals', () => {
    it('resume with an unknown id, or with the id of another account: item-not-found', async () => {
      await start();
      const a = await aliceWithSm();
      expect((await resume('not-an-id', 0)).resumed).to.contain('item-not-found');
      const bob = track(await authedClient(t.c2sPort, 'bob')).client;
      bob.send(`<resume xmlns='${SM}' previd='${a.id}' h='0'/>`);
      await bob.expect(/<failed xmlns=["']urn:xmpp:sm:3["']><item-not-found/);
      // Alice's session is untouched.
      expect(await serverH(a.client)).to.equal(0);
    });

    it('an ack with h higher than what was sent ends the stream with undefined-condition and handled-count-too-high', async () => {
      await start();
      const a = await aliceWithSm();
      await bobSends(a.jid, ['h1']);
      await a.client.expect(/id=["']h1["']/);
      a.client.send(`<a xmlns='${SM}' h='5'/>`);
      const m = await a.client.expect(/<stream:error>.*?<\/stream:error>/s);
      expect(m[0]).to.contain('<undefined-condition xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
      expect(m[0]).to.match(/<handled-count-too-high xmlns=["']urn:xmpp:sm:3["'] h=["']5["'] send-count=["']1["']\/>/);
      await a.client.waitClosed();
      // The stanza it did not acknowledge is not lost.
      expect(messageIds(await offlineDelivery('h1'))).to.deep.equal(['h1']);
    });

    it('a resume with h higher than what was sent fails and leaves the session resumable', async () => {
      await start();
      const a = await aliceWithSm();
      a.client.close();
      await a.client.waitClosed();
      const r = await resume(a.id, 3);
      expect(r.resumed).to.match(/<failed [^>]*><undefined-condition [^>]*\/><handled-count-too-high [^>]*h=["']3["'] send-count=["']0["']\/><\/failed>/);
      expect((await resume(a.id, 0)).resumed).to.contain('<resumed');
    });

    it('enable twice, enable before binding, resume after binding, r and a before enabling: unexpected-request', async () => {
      await start();
      const pre = track(await authedClient(t.c2sPort, 'alice')).client;
      pre.send(`<enable xmlns='${SM}'/>`);
      await pre.expect(/<failed xmlns=["']urn:xmpp:sm:3["']><unexpected-request/);
      const bare = track(await boundClient(t.c2sPort, 'alice', 'x')).client;
      bare.send(`<r xmlns='${SM}'/>`);
      await bare.expect(/<failed xmlns=["']urn:xmpp:sm:3["']><unexpected-request/);
      bare.send(`<a xmlns='${SM}' h='0'/>`);
      await bare.expect(/<failed xmlns=["']urn:xmpp:sm:3["']><unexpected-request/);
      const a = await aliceWithSm();
      a.client.send(`<enable xmlns='${SM}' resume='true'/>`);
      await a.client.expect(/<failed xmlns=["']urn:xmpp:sm:3["']><unexpected-request/);
      a.client.send(`<resume xmlns='${SM}' previd='${a.id}' h='0'/>`);
      await a.client.expect(/<failed xmlns=["']urn:xmpp:sm:3["']><unexpected-request/);
      expect(await serverH(a.client)).to.equal(0);
    });
  });
});
