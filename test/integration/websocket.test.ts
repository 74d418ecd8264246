// XMPP over WebSocket (RFC 7395) over real sockets: @xmpp/client as browsers use it, and a raw `ws` client for the
// exact framing, the upgrade checks (subprotocol, Origin), frame limits and the encryption policy.
import os from 'node:os';
import { expect } from 'chai';
import type { Element } from 'ltx';
import { xml } from '@xmpp/client';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { connectWsClient, type WsXmppClient } from '../helpers/ws-xmpp-client.js';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WsClient } from '../helpers/ws-client.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const OPEN = `<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`;
const plainAuth = (user: string, pw: string) =>
  `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${pw}`).toString('base64')}</auth>`;

describe('XMPP over WebSocket (RFC 7395)', function () {
  let t: WebTestServer;
  const open: { close(): void }[] = [];
  const stoppable: (TestClient | WsXmppClient)[] = [];
  const url = () => `ws://127.0.0.1:${t.httpPort}/xmpp-websocket`;

  const connect = async (o: Parameters<typeof WsClient.connect>[1] = {}): Promise<WsClient> => {
    const c = await WsClient.connect(url(), o);
    open.push(c);
    return c;
  };

  /** Logs in over a raw WebSocket (PLAIN: loopback counts as encrypted) and binds. */
  const wsLogin = async (user: string, resource: string): Promise<WsClient> => {
    const c = await connect();
    c.send(OPEN);
    await c.expect(/<stream:features/);
    c.send(plainAuth(user, 'pw'));
    await c.expect(/<success/);
    c.send(OPEN);
    await c.expect(/<stream:features/);
    c.send(`<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    await c.expect(/<jid>/);
    return c;
  };

  before(async () => {
    t = await startWebServer({ websocket: {}, ping: {} }, {
      limits: { unauthedStanzaBytes: 2000, stanzaBytes: 20_000, closeTimeoutSeconds: 1 },
    });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    for (const c of stoppable.splice(0)) await c.stop();
  });
  after(async () => {
    await t.stop();
  });

  it('logs in with @xmpp/client and exchanges messages with a TCP client both ways', async () => {
    const ws = await connectWsClient({ url: url(), username: 'alice', password: 'pw', resource: 'web' });
    stoppable.push(ws);
    const tcp = await connectClient({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'tcp' });
    stoppable.push(tcp);
    expect(ws.jid).to.equal('alice@localhost/web');

    await ws.xmpp.send(xml('message', { to: 'bob@localhost/tcp', type: 'chat', id: 'w1' }, xml('body', {}, 'hello over WebSocket')));
    const got = await tcp.waitFor((el: Element) => el.name === 'message' && el.attrs.id === 'w1');
    expect(got.attrs.from).to.equal('alice@localhost/web');
    expect(got.getChildText('body')).to.equal('hello over WebSocket');

    await tcp.xmpp.send(xml('message', { to: 'alice@localhost/web', type: 'chat', id: 't1' }, xml('body', {}, 'hello over TCP')));
    const back = await ws.waitFor((el: Element) => el.name === 'message' && el.attrs.id === 't1');
    expect(back.attrs.from).to.equal('bob@localhost/tcp');
    expect(back.getChildText('body')).to.equal('hello over TCP');
  });

  it('frames every element on its own: <open/> answers, namespaces on each frame, a new <open/> after SASL', async () => {
    const c = await connect({ deflate: true });
    expect(c.ws.protocol).to.equal('xmpp');
    expect(c.ws.extensions, 'no per-message compression').to.equal('');
    c.send(OPEN);
    const first = await c.next();
    expect(first).to.match(/^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' [^>]*\/>$/);
    expect(first).to.match(/ from='localhost'/).and.to.match(/ version='1\.0'/);
    const id1 = /\bid='([^']+)'/.exec(first)![1];
    const features = await c.next();
    expect(features).to.match(/^<stream:features xmlns:stream="http:\/\/etherx\.jabber\.org\/streams">.*<\/stream:features>$/s);
    expect(features).to.include('<mechanism>SCRAM-SHA-1</mechanism>');
    expect(features, 'no channel binding over WebSocket').to.not.include('-PLUS');
    expect(features).to.not.include('starttls');

    c.send(plainAuth('alice', 'pw'));
    expect(await c.next()).to.equal('<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>');
    // Stream restart (RFC 7395 §3.3.3): the client opens again and gets a new stream id and the bind feature.
    c.send(OPEN);
    const second = await c.next();
    expect(second).to.match(/^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' /);
    expect(/\bid='([^']+)'/.exec(second)![1]).to.not.equal(id1);
    expect(await c.next()).to.match(/^<stream:features xmlns:stream=[^>]*><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/);
    c.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>");
    const bound = await c.next();
    expect(bound).to.match(/^<iq [^>]*xmlns="jabber:client"/).and.to.include('<jid>alice@localhost/raw</jid>');
    c.send("<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    expect(await c.next()).to.match(/^<iq (?=[^>]*type="result")(?=[^>]*id="p1")(?=[^>]*xmlns="jabber:client")[^>]*\/>$/);
  });

  it('answers <close/> with <close/> and lets the client close the WebSocket (§3.6)', async () => {
    const c = await wsLogin('alice', 'closing');
    c.send(`<close xmlns='${FRAMING}'/>`);
    expect(await c.next()).to.equal(`<close xmlns='${FRAMING}'/>`);
    c.ws.close(1000);
    expect(await c.waitClosed()).to.equal(1000);
  });

  it('sends a stream error as <stream:error/> with its namespace declaration, then <close/>', async () => {
    const c = await connect();
    c.send(`<open xmlns='${FRAMING}' to='elsewhere.example' version='1.0'/>`);
    expect(await c.next()).to.match(/^<open /);
    expect(await c.next()).to.match(/^<stream:error xmlns:stream="http:\/\/etherx\.jabber\.org\/streams"><host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    expect(await c.next()).to.equal(`<close xmlns='${FRAMING}'/>`);
    // The client never answers: the server closes the WebSocket after the close timeout (1 s here).
    expect(await c.waitClosed(4000)).to.equal(1000);
  });

  it('refuses an upgrade that does not ask for the xmpp subprotocol (501)', async () => {
    for (const protocols of [[], ['mqtt'], ['xmpp-v2', 'chat']]) {
      const err = await WsClient.connect(url(), { protocols }).then(() => null, (e: { status?: number; body?: string }) => e);
      expect(err, JSON.stringify(protocols)).to.include({ status: 501 });
      expect(err!.body).to.include("subprotocol 'xmpp' is required");
    }
    // Offered among others, xmpp is chosen.
    const c = await connect({ protocols: ['chat', 'xmpp'] });
    expect(c.ws.protocol).to.equal('xmpp');
  });

  it('refuses pages from another origin (403) and accepts pages from the same host', async () => {
    const err = await WsClient.connect(url(), { origin: 'https://evil.example' }).then(() => null, (e: { status?: number }) => e);
    expect(err).to.include({ status: 403 });
    const nul = await WsClient.connect(url(), { origin: 'null' }).then(() => null, (e: { status?: number }) => e);
    expect(nul).to.include({ status: 403 });
    const same = await connect({ origin: `http://127.0.0.1:${t.httpPort}` });
    same.send(OPEN);
    await same.expect(/<stream:features/);
  });

  it('closes the stream with policy-violation on a frame over the pre-auth limit, and with 1009 over the frame limit', async () => {
    const c = await connect();
    c.send(OPEN);
    await c.expect(/<stream:features/);
    c.send(`<iq xmlns='jabber:client' type='get' id='big'><query xmlns='jabber:iq:version'>${'x'.repeat(3000)}</query></iq>`);
    const err = await c.expect(/<stream:error[^>]*>.*<\/stream:error>/s);
    expect(err[0]).to.include('<policy-violation');
    expect(await c.next()).to.equal(`<close xmlns='${FRAMING}'/>`);

    const d = await wsLogin('alice', 'big');
    d.send(`<message xmlns='jabber:client' to='bob@localhost'><body>${'y'.repeat(25_000)}</body></message>`);
    expect(await d.waitClosed()).to.equal(1009);
  });

  it('refuses binary frames with close code 1003', async () => {
    const c = await connect();
    c.send(Buffer.from(OPEN), true);
    expect(await c.waitClosed()).to.equal(1003);
    expect(c.frames).to.deep.equal([]);
  });

  it('answers a plain GET of the endpoint with 426 Upgrade Required', async () => {
    const res = await fetch(`${t.httpUrl}/xmpp-websocket`);
    expect(res.status).to.equal(426);
    expect(await res.text()).to.include('XMPP over WebSocket');
  });

  it('serves wss:// on the HTTPS listener with the host certificate', async () => {
    const c = await WsClient.connect(`wss://localhost:${t.httpsPort}/xmpp-websocket`);
    open.push(c);
    c.send(OPEN);
    const features = await c.expect(/<stream:features.*<\/stream:features>/s);
    expect(features[0]).to.include('<mechanism>PLAIN</mechanism>');
  });
});

describe('XMPP over WebSocket and auth.requireEncryption', function () {
  const open: WsClient[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  /** Opens a stream and returns the features frame. */
  const features = async (wsUrl: string, headers?: Record<string, string>): Promise<{ c: WsClient; features: string }> => {
    const c = await WsClient.connect(wsUrl, { headers });
    open.push(c);
    c.send(OPEN);
    const m = await c.expect(/<stream:features.*?<\/stream:features>|<stream:features[^>]*\/>/s);
    return { c, features: m[0] };
  };

  it('plain ws:// that does not count as encrypted offers no SASL and refuses <auth/>; wss:// does', async () => {
    const t = await startWebServer({ websocket: {} }, { http: { secureLoopback: false } });
    try {
      await t.addUser('alice', 'pw');
      const plain = await features(`ws://127.0.0.1:${t.httpPort}/xmpp-websocket`);
      expect(plain.features).to.not.include('mechanism');
      plain.c.send(plainAuth('alice', 'pw'));
      expect(await plain.c.next()).to.match(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><encryption-required\/>/);
      const secure = await features(`wss://localhost:${t.httpsPort}/xmpp-websocket`);
      expect(secure.features).to.include('<mechanism>SCRAM-SHA-1</mechanism>');
    } finally {
      for (const c of open.splice(0)) c.close();
      await t.stop();
    }
  });

  it('plain ws:// from an address that is not loopback is not encrypted (default listener options)', async function () {
    const lan = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!lan) this.skip();
    const t: TestServer = await startTestServer({
      modules: { websocket: { origins: ['*'] } },
      listen: [{ service: 'http', address: lan!.address, port: 0, tls: 'none' }],
    });
    try {
      const port = t.server.addresses()[0]!.port;
      const plain = await features(`ws://${lan!.address}:${port}/xmpp-websocket`);
      expect(plain.features).to.not.include('mechanism');
    } finally {
      for (const c of open.splice(0)) c.close();
      await t.stop();
    }
  });

  it('behind a trusted proxy on loopback, X-Forwarded-Proto decides', async () => {
    const t = await startWebServer({ websocket: {} }, { http: { trustProxy: true } });
    try {
      const wsUrl = `ws://127.0.0.1:${t.httpPort}/xmpp-websocket`;
      expect((await features(wsUrl, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' })).features).to.include('<mechanism>');
      expect((await features(wsUrl, { 'X-Forwarded-Proto': 'http' })).features).to.not.include('<mechanism>');
      expect((await features(wsUrl)).features, 'no header: plain').to.not.include('<mechanism>');
    } finally {
      for (const c of open.splice(0)) c.close();
      await t.stop();
    }
  });
});
