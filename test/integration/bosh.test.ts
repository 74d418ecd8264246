// BOSH (XEP-0124 with the XEP-0206 XMPP profile) over real HTTP: session creation, SASL and restart, messaging with a
// TCP client, rid ordering, replay and windows, long polling and hold, pause, inactivity, terminate, errors, CORS.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { xml } from '@xmpp/client';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';
import { attr, BoshClient, post } from '../helpers/bosh-client.js';

const CREATE = (extra = '') =>
  `<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' rid='100' to='localhost' wait='2' hold='1' ver='1.6' xmpp:version='1.0'${extra}/>`;

describe('XMPP over BOSH (XEP-0124, XEP-0206)', function () {
  let t: WebTestServer;
  let url: string;
  const tcpClients: TestClient[] = [];

  /** Waits until the server has this many client sessions (the c2s side of BOSH sessions comes and goes). */
  const sessionsBecome = async (n: number, timeoutMs = 4000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (t.server.sessionCount() !== n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} sessions, have ${t.server.sessionCount()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  before(async () => {
    t = await startWebServer({ bosh: { maxWait: 30, inactivity: 1, maxPause: 3, maxBodyBytes: 50_000 }, ping: {} }, {
      // A held BOSH request outlives the request timeout: it only covers receiving the request.
      http: { requestTimeoutSeconds: 1, headersTimeoutSeconds: 1 },
    });
    url = `${t.httpUrl}/http-bind`;
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });
  afterEach(async () => {
    for (const c of tcpClients.splice(0)) await c.stop();
  });
  after(async () => {
    await t.stop();
  });

  it('creates a session: sid, wait, hold, requests, inactivity, authid, xmpp:version, restartlogic and the features', async () => {
    const res = await post(url, CREATE(" xml:lang='en'").replace("wait='2'", "wait='3600'").replace("hold='1'", "hold='5'"));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/xml; charset=utf-8');
    const body = res.body;
    expect(attr(body, 'sid')).to.match(/^[A-Za-z0-9_-]{24}$/);
    expect(attr(body, 'wait'), 'capped to maxWait').to.equal('30');
    expect(attr(body, 'hold'), 'capped to maxHold').to.equal('1');
    expect(attr(body, 'requests')).to.equal('2');
    expect(attr(body, 'inactivity')).to.equal('1');
    expect(attr(body, 'maxpause')).to.equal('3');
    expect(attr(body, 'ver')).to.equal('1.6');
    expect(attr(body, 'from')).to.equal('localhost');
    expect(attr(body, 'authid')).to.match(/^[0-9a-f]{24}$/);
    expect(attr(body, 'xmpp:version')).to.equal('1.0');
    expect(attr(body, 'xmpp:restartlogic')).to.equal('true');
    expect(body).to.match(/^<body xmlns='http:\/\/jabber\.org\/protocol\/httpbind' xmlns:stream='http:\/\/etherx\.jabber\.org\/streams'/);
    expect(body).to.include("xmlns:xmpp='urn:xmpp:xbosh'");
    expect(body).to.match(/<stream:features><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">.*<mechanism>PLAIN<\/mechanism>/s);
    expect(body, 'no channel binding over BOSH').to.not.include('-PLUS');
  });

  it('serves polling sessions (hold=0): every request is answered at once', async () => {
    const b = new BoshClient(url);
    const created = await b.create({ hold: '0' });
    expect(attr(created, 'hold')).to.equal('0');
    expect(attr(created, 'authid')).to.match(/^[0-9a-f]{24}$/);
    const started = Date.now();
    expect(await b.request()).to.match(/^<body [^>]*\/>$|<stream:features>/);
    expect(await b.request()).to.equal("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'/>");
    expect(Date.now() - started).to.be.below(1000);
    await b.request('', { type: 'terminate' });
  });

  it('logs in (SASL, restart, bind) and exchanges messages with a TCP client both ways', async () => {
    const b = new BoshClient(url);
    expect(await b.login('alice', 'pw', 'bosh')).to.equal('alice@localhost/bosh');
    const tcp = await connectClient({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'tcp' });
    tcpClients.push(tcp);

    // Held (nothing to answer yet) until the next request comes: that is the long poll below.
    const sent = b.request("<message xmlns='jabber:client' to='bob@localhost/tcp' type='chat' id='b1'><body>hello over BOSH</body></message>");
    const got = await tcp.waitFor((el: Element) => el.name === 'message' && el.attrs.id === 'b1');
    expect(got.attrs.from).to.equal('alice@localhost/bosh');
    expect(got.getChildText('body')).to.equal('hello over BOSH');

    // A long poll is answered as soon as something arrives for the session.
    const poll = b.request();
    await sent;
    await tcp.xmpp.send(xml('message', { to: 'alice@localhost/bosh', type: 'chat', id: 't1' }, xml('body', {}, 'hello over TCP')));
    const answer = await poll;
    expect(answer).to.match(/<message [^>]*xmlns="jabber:client"[^>]*>/);
    expect(answer).to.include('id="t1"').and.to.include('from="bob@localhost/tcp"').and.to.include('<body>hello over TCP</body>');
    await b.request('', { type: 'terminate' });
  });

  it('answers a repeated rid with the same response, and an unknown or out-of-window rid with item-not-found', async () => {
    const b = new BoshClient(url);
    await b.login('alice', 'pw', 'replay');
    const rid = ++b.rid;
    const first = await b.requestRaw("<iq xmlns='jabber:client' type='get' id='r1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", {}, rid);
    expect(first.body).to.match(/<iq [^>]*id="r1"/);
    // The client lost the answer and resends the same request: it gets the buffered answer, not a second ping.
    const again = await b.requestRaw("<iq xmlns='jabber:client' type='get' id='r1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", {}, rid);
    expect(again.body).to.equal(first.body);
    // Too old to be buffered (the buffer holds 'requests' = 2 answers).
    const old = await b.requestRaw('', {}, rid - 3);
    expect(old.body).to.equal("<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>");
    expect(await b.request()).to.include("condition='item-not-found'");

    const c = new BoshClient(url);
    await c.login('alice', 'pw', 'window');
    const ahead = await c.requestRaw('', {}, c.rid + 3);   // the window is 'requests' = 2 past the last rid
    expect(ahead.body).to.include("type='terminate'").and.to.include("condition='item-not-found'");
    const unknown = await post(url, "<body xmlns='http://jabber.org/protocol/httpbind' sid='nosuchsession' rid='5'/>");
    expect(unknown.body).to.equal("<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>");
  });

  it('forwards payloads in rid order even when the requests arrive out of order', async () => {
    const b = new BoshClient(url);
    await b.login('alice', 'pw', 'order');
    const tcp = await connectClient({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'order' });
    tcpClients.push(tcp);
    const msg = (id: string) => `<message xmlns='jabber:client' to='bob@localhost/order' id='${id}'><body>${id}</body></message>`;
    const base = b.rid;
    const second = b.requestRaw(msg('m2'), {}, base + 2);
    await new Promise((r) => setTimeout(r, 100));
    const first = b.requestRaw(msg('m1'), {}, base + 1);
    b.rid = base + 2;
    const m1 = await tcp.waitFor((el: Element) => el.name === 'message');
    const m2 = await tcp.waitFor((el: Element) => el.name === 'message');
    expect([m1.attrs.id, m2.attrs.id]).to.deep.equal(['m1', 'm2']);
    await b.request('', { type: 'terminate' });
    await Promise.all([first, second]);
  });

  it('holds a request for up to wait seconds, and answers the held one when a new request comes (hold=1)', async () => {
    const b = new BoshClient(url);
    await b.login('alice', 'pw', 'hold');
    const started = Date.now();
    const held = b.request();
    const empty = await held;
    const waited = Date.now() - started;
    expect(empty).to.equal("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'/>");
    expect(waited, 'wait=2 s, more than the 1 s request timeout').to.be.within(1800, 3500);

    const first = b.request();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const second = b.request("<iq xmlns='jabber:client' type='get' id='h1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    expect(await first).to.equal("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'/>");
    expect(Date.now() - t0).to.be.below(1000);
    const pong = await second;
    expect(pong).to.match(/<iq [^>]*id="h1"/);
    await b.request('', { type: 'terminate' });
  });

  it('terminates a client making more simultaneous requests than allowed (policy-violation)', async () => {
    const b = new BoshClient(url);
    await b.login('alice', 'pw', 'greedy');
    const base = b.rid;
    const held = b.requestRaw('', {}, base + 1);
    await new Promise((r) => setTimeout(r, 100));
    const later = b.requestRaw('', {}, base + 3);   // within the window, but a third request at once
    const third = b.requestRaw('', {}, base + 2);
    const answers = await Promise.all([held, later, third]);
    expect(answers.map((a) => a.body).join('\n')).to.include("condition='policy-violation'");
  });

  it('drops a session after the inactivity period, and keeps it through a pause', async () => {
    const before = t.server.sessionCount();
    const b = new BoshClient(url);
    await b.login('alice', 'pw', 'idle');
    expect(t.server.sessionCount()).to.equal(before + 1);
    // pause='3' (maxpause): answered at once, and the session outlives the 1 s inactivity period.
    const paused = await b.request('', { pause: '3' });
    expect(paused).to.equal("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'/>");
    await new Promise((r) => setTimeout(r, 1500));
    expect(t.server.sessionCount()).to.equal(before + 1);
    expect(await b.request("<iq xmlns='jabber:client' type='get' id='i1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")).to.include('id="i1"');
    // Back to the normal inactivity (1 s) after the next request: no request for longer, and it is gone.
    await sessionsBecome(before, 3000);
    expect(await b.request()).to.include("condition='item-not-found'");
  });

  it('terminates on request: payloads are delivered, the answer is type=terminate, the session is gone', async () => {
    const tcp = await connectClient({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'term' });
    tcpClients.push(tcp);
    const before = t.server.sessionCount();
    const b = new BoshClient(url);
    await b.login('alice', 'pw', 'term');
    const bye = await b.request("<message xmlns='jabber:client' to='bob@localhost/term' id='last'><body>bye</body></message>", { type: 'terminate' });
    expect(bye).to.match(/^<body xmlns='http:\/\/jabber\.org\/protocol\/httpbind' [^>]*type='terminate'/);
    expect(bye).to.not.include('condition=');
    await tcp.waitFor((el: Element) => el.attrs.id === 'last');
    await sessionsBecome(before);
    expect(await b.request()).to.include("condition='item-not-found'");
  });

  it('ends the session with remote-stream-error (the stream error inside) or host-unknown', async () => {
    const b = new BoshClient(url);
    await b.create();
    // A stanza before authentication is a stream error.
    const answer = await b.request("<message xmlns='jabber:client' to='bob@localhost'><body>x</body></message>");
    expect(answer).to.match(/^<body [^>]*type='terminate' condition='remote-stream-error'>/);
    expect(answer).to.match(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    expect(answer).to.include("xmlns:stream='http://etherx.jabber.org/streams'");

    const unknown = await post(url, CREATE().replace("to='localhost'", "to='elsewhere.example'"));
    expect(unknown.body).to.match(/type='terminate' condition='host-unknown'/);
  });

  it('answers malformed requests with bad-request, a missing to with improper-addressing, an oversize body with 413', async () => {
    for (const bad of ['<body xmlns="http://jabber.org/protocol/httpbind" rid="1"', '<wrong xmlns="http://jabber.org/protocol/httpbind" rid="1" to="localhost"/>', 'not xml', "<body xmlns='http://jabber.org/protocol/httpbind' rid='1' to='localhost'/><body/>", `<!DOCTYPE body><body xmlns='http://jabber.org/protocol/httpbind' rid='1' to='localhost'/>`]) {
      const res = await post(url, bad);
      expect(res.body, bad).to.equal("<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='bad-request'/>");
    }
    expect((await post(url, CREATE().replace(" rid='100'", ''))).body).to.include("condition='bad-request'");
    expect((await post(url, CREATE().replace(" to='localhost'", ''))).body).to.include("condition='improper-addressing'");
    const big = await post(url, `<body xmlns='http://jabber.org/protocol/httpbind' rid='1' to='localhost'>${'<a/>'.repeat(20_000)}</body>`);
    expect(big.status).to.equal(413);
    expect(big.body).to.include('larger than 50000 bytes');
  });

  it('answers CORS preflights for allowed origins and refuses other origins (403)', async () => {
    const same = `http://127.0.0.1:${t.httpPort}`;
    const pre = await fetch(url, { method: 'OPTIONS', headers: { Origin: same, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
    expect(pre.status).to.equal(204);
    expect(pre.headers.get('access-control-allow-origin')).to.equal(same);
    expect(pre.headers.get('access-control-allow-methods')).to.equal('POST, OPTIONS');
    expect(pre.headers.get('access-control-allow-headers')).to.equal('Content-Type');
    const foreign = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(foreign.status).to.equal(403);
    expect(foreign.headers.get('access-control-allow-origin')).to.equal(null);
    const post2 = await post(url, CREATE(), { Origin: 'https://evil.example' });
    expect(post2.status).to.equal(403);
    const get = await fetch(url);
    expect(get.status).to.equal(405);
    expect(get.headers.get('allow')).to.equal('OPTIONS, POST');
  });
});

describe('BOSH with origins: ["*"] and without loopback counted as encrypted', function () {
  let t: WebTestServer;
  before(async () => {
    t = await startWebServer({ bosh: { origins: ['*'] } }, { http: { secureLoopback: false } });
  });
  after(async () => {
    await t.stop();
  });

  it('allows any origin with Access-Control-Allow-Origin: *', async () => {
    const res = await post(`${t.httpUrl}/http-bind`, CREATE(), { Origin: 'https://client.example' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(res.body, 'plain HTTP is not encrypted here: no SASL').to.not.include('<mechanism>');
  });

  it('terminates a TLS session whose sid shows up on a plain connection (policy-violation)', async () => {
    const b = new BoshClient(`https://localhost:${t.httpsPort}/http-bind`);
    const created = await b.create();
    expect(created).to.include('<mechanism>PLAIN</mechanism>');
    const plain = new BoshClient(`${t.httpUrl}/http-bind`, b.rid);
    plain.sid = b.sid;
    expect(await plain.request()).to.include("condition='policy-violation'");
    expect(await b.request()).to.include("condition='item-not-found'");
  });
});
