// XEP-0198 resumption across transports: a session started over WebSocket (RFC 7395) whose socket is cut is resumed
// over TCP, and a TCP session is resumed over WebSocket; the stanzas sent meanwhile arrive once on the new transport.
import { expect } from 'chai';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';
import { WsClient } from '../helpers/ws-client.js';
import { authedClient, boundClient, readUntil, SM } from '../helpers/sm.js';
import type { RawClient } from '../helpers/raw-client.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const OPEN = `<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`;
const plainAuth = (user: string) => `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0pw`).toString('base64')}</auth>`;

describe('XEP-0198 resumption across transports', function () {
  this.timeout(20000);
  let t: WebTestServer;
  const closers: { close(): void }[] = [];

  beforeEach(async () => {
    t = await startWebServer({ websocket: {}, message: {}, offline: {}, presence: {}, roster: {}, sm: {} });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });

  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    await t.stop();
  });

  async function ws(): Promise<WsClient> {
    const c = await WsClient.connect(`ws://127.0.0.1:${t.httpPort}/xmpp-websocket`);
    closers.push(c);
    c.send(OPEN);
    await c.expect(/<stream:features/);
    c.send(plainAuth('alice'));
    await c.expect(/<success/);
    c.send(OPEN);
    await c.expect(/<stream:features/);
    return c;
  }

  async function bob(): Promise<RawClient> {
    const b = (await boundClient(t.c2sPort, 'bob', 'desk')).client;
    closers.push(b);
    return b;
  }

  it('WebSocket session, socket cut, resumed over TCP', async () => {
    const w = await ws();
    w.send(`<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>`);
    await w.expect(/<jid>/);
    w.send(`<enable xmlns='${SM}' resume='true'/>`);
    const id = /id=["']([^"']+)["']/.exec((await w.expect(/<enabled [^>]*\/>/))[0])![1]!;
    w.ws.terminate();   // no <close/>, no WebSocket close frame
    const b = await bob();
    b.send(`<message to='alice@localhost/web' type='chat' id='w1'><body>1</body></message>`);
    await new Promise((r) => setTimeout(r, 150));
    const r = await authedClient(t.c2sPort, 'alice');
    closers.push(r.client);
    r.client.send(`<resume xmlns='${SM}' previd='${id}' h='0'/>`);
    const text = await readUntil(r.client, /id=["']w1["']/);
    expect(text).to.match(/<resumed /);
    expect(text.match(/id=["']w1["']/g)).to.have.length(1);
  });

  it('TCP session, socket destroyed, resumed over WebSocket', async () => {
    const a = await boundClient(t.c2sPort, 'alice', 'phone');
    a.client.send(`<enable xmlns='${SM}' resume='true'/>`);
    const id = /id=["']([^"']+)["']/.exec((await a.client.expect(/<enabled [^>]*\/>/))[0])![1]!;
    a.client.close();
    await a.client.waitClosed();
    const b = await bob();
    b.send(`<message to='alice@localhost/phone' type='chat' id='t1'><body>1</body></message>`);
    await new Promise((r) => setTimeout(r, 150));
    const w = await ws();
    w.send(`<resume xmlns='${SM}' previd='${id}' h='0'/>`);
    await w.expect(/<resumed /);
    await w.expect(/<message [^>]*id=["']t1["']/);
    // The resumed session talks over the WebSocket now.
    w.send(`<message xmlns='jabber:client' to='bob@localhost/desk' id='back'><body>back</body></message>`);
    await b.expect(/id=["']back["']/);
  });
});
