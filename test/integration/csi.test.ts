// XEP-0352 client state indication over real sockets: what waits while the client is inactive, presence
// coalesced per sender, the order kept when an urgent stanza or <active/> releases the rest, the limit, and
// held stanzas surviving a lost connection under stream management.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authedClient, boundClient, readUntil, SM } from '../helpers/sm.js';
import type { RawClient } from '../helpers/raw-client.js';

const CSI = 'urn:xmpp:csi:0';
const MODULES = { message: {}, offline: {}, presence: {}, roster: {}, disco: {}, ping: {}, sm: {}, csi: { maxHeld: 5 } };

describe('XEP-0352 client state indication', function () {
  this.timeout(20000);
  let t: TestServer;
  const open: RawClient[] = [];

  beforeEach(async () => {
    t = await startTestServer({ modules: MODULES });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });

  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await t.stop();
  });

  async function bound(user: string, resource: string): Promise<{ client: RawClient; jid: string }> {
    const r = await boundClient(t.c2sPort, user, resource);
    open.push(r.client);
    return r;
  }

  /** Sends from bob and waits until the server has routed it (a ping round trip after it). */
  let pingId = 0;
  async function routed(b: RawClient, xml: string): Promise<void> {
    const id = `ping${++pingId}`;
    b.send(`${xml}<iq type='get' to='localhost' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await b.expect(new RegExp(`id=["']${id}["']`));
  }

  /** The stanzas (name + id) in a piece of stream text, in order. */
  const stanzas = (text: string) => [...text.matchAll(/<(message|presence|iq)\b[^>]*?\bid=["']([^"']+)["']/g)].map((m) => `${m[1]}:${m[2]}`);

  it('is advertised after authentication', async () => {
    const r = await authedClient(t.c2sPort, 'alice');
    open.push(r.client);
    expect(r.features).to.match(/<csi xmlns=["']urn:xmpp:csi:0["']\/>/);
  });

  it('holds presence and payload-only messages while inactive, coalesces presence, and releases everything in order with a body', async () => {
    const a = await bound('alice', 'phone');
    const b = (await bound('bob', 'desk')).client;
    a.client.send(`<inactive xmlns='${CSI}'/>`);
    await routed(b, `<presence to='${a.jid}' id='p1'><show>away</show></presence>`);
    await routed(b, `<message to='${a.jid}' type='chat' id='cs1'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    await routed(b, `<presence to='${a.jid}' id='p2'><show>dnd</show></presence>`);
    await routed(b, `<message to='${a.jid}' type='chat' id='rcpt'><received xmlns='urn:xmpp:receipts' id='x'/></message>`);
    await new Promise((r) => setTimeout(r, 150));
    expect(a.client.buffer).to.not.match(/<(message|presence)\b/);
    b.send(`<message to='${a.jid}' type='chat' id='body1'><body>hello</body></message>`);
    const text = await readUntil(a.client, /id=["']body1["']/);
    expect(stanzas(text)).to.deep.equal(['message:cs1', 'presence:p2', 'message:rcpt', 'message:body1']);
  });

  it('group chat messages wait unless they mention the user; IQs go out at once with what waited', async () => {
    const a = await bound('alice', 'phone');
    const b = (await bound('bob', 'desk')).client;
    a.client.send(`<inactive xmlns='${CSI}'/>`);
    await routed(b, `<message to='${a.jid}' type='groupchat' id='g1'><body>lunch anyone?</body></message>`);
    await routed(b, `<message to='${a.jid}' type='groupchat' id='g2'><body>malice aforethought</body></message>`);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.client.buffer).to.not.contain('<message');
    b.send(`<message to='${a.jid}' type='groupchat' id='g3'><body>what do you think, Alice?</body></message>`);
    expect(stanzas(await readUntil(a.client, /id=["']g3["']/))).to.deep.equal(['message:g1', 'message:g2', 'message:g3']);
    await routed(b, `<presence to='${a.jid}' id='p3'/>`);
    b.send(`<iq type='get' to='${a.jid}' id='v1'><query xmlns='jabber:iq:version'/></iq>`);
    expect(stanzas(await readUntil(a.client, /id=["']v1["']/))).to.deep.equal(['presence:p3', 'iq:v1']);
  });

  it('<active/> releases what waited, and nothing waits afterwards', async () => {
    const a = await bound('alice', 'phone');
    const b = (await bound('bob', 'desk')).client;
    a.client.send(`<inactive xmlns='${CSI}'/>`);
    await routed(b, `<presence to='${a.jid}' id='q1'/>`);
    await routed(b, `<presence to='${a.jid}' id='q2' type='unavailable'/>`);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.client.buffer).to.not.contain('<presence');
    a.client.send(`<active xmlns='${CSI}'/>`);
    expect(stanzas(await readUntil(a.client, /id=["']q2["']/))).to.deep.equal(['presence:q2']);
    await routed(b, `<presence to='${a.jid}' id='q3'/>`);
    await readUntil(a.client, /id=["']q3["']/);
  });

  it('more than maxHeld waiting stanzas are sent anyway, in order', async () => {
    const a = await bound('alice', 'phone');
    const b = (await bound('bob', 'desk')).client;
    a.client.send(`<inactive xmlns='${CSI}'/>`);
    const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
    for (const id of ids) await routed(b, `<message to='${a.jid}' type='chat' id='${id}'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    expect(stanzas(await readUntil(a.client, /id=["']s6["']/))).to.deep.equal(ids.map((i) => `message:${i}`));
  });

  it('what waited when the connection died is resent after stream management resumption', async () => {
    const a = await bound('alice', 'phone');
    a.client.send(`<enable xmlns='${SM}' resume='true'/><inactive xmlns='${CSI}'/>`);
    const id = /id=["']([^"']+)["']/.exec((await a.client.expect(/<enabled [^>]*\/>/))[0])![1]!;
    const b = (await bound('bob', 'desk')).client;
    await routed(b, `<presence to='${a.jid}' id='w1'/>`);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.client.buffer).to.not.contain('<presence');
    a.client.close();
    await a.client.waitClosed();
    const r = await authedClient(t.c2sPort, 'alice');
    open.push(r.client);
    r.client.send(`<resume xmlns='${SM}' previd='${id}' h='0'/>`);
    expect(stanzas(await readUntil(r.client, /id=["']w1["']/))).to.deep.equal(['presence:w1']);
  });
});
