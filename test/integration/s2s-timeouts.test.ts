// Federation timers and the outgoing certificate policy, against a scripted peer server (a real TLS socket speaking
// just enough XMPP): an incoming stream that never authenticates is closed; a peer that stops answering XEP-0199
// keepalive pings is dropped; with secureAuth on, an outgoing stream to a peer whose certificate does not verify
// is refused and what waited for it bounces.
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startFederated, testResolver, TEST_CA, type FederatedServer } from '../helpers/s2s.js';
import { CERT_DIR } from '../fixtures/make-certs.js';
import { generateSelfSigned } from '../../src/net/certs.js';

const T = { domain: 'a.example', address: '127.0.10.9' };
const PEER = '127.0.10.10';
const testCert = { cert: fs.readFileSync(path.join(CERT_DIR, 'b.example.crt'), 'utf8'), key: fs.readFileSync(path.join(CERT_DIR, 'b.example.key'), 'utf8') };
const selfSigned = generateSelfSigned('evil.example');

/** One accepted connection of the scripted peer: what it read, and a way to wait for a pattern. */
class PeerConn {
  text = '';
  /** Everything read since the TLS upgrade (never consumed). */
  all = '';
  closed = false;
  #wake: (() => void)[] = [];
  constructor(public socket: net.Socket) {
    this.#attach(socket);
  }
  #attach(s: net.Socket) {
    s.on('data', (d) => {
      this.text += d.toString('utf8');
      this.all += d.toString('utf8');
      for (const w of this.#wake.splice(0)) w();
    });
    s.on('close', () => {
      this.closed = true;
      for (const w of this.#wake.splice(0)) w();
    });
    s.on('error', () => undefined);
  }
  async expect(re: RegExp, ms = 8000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.text.match(re);
      if (m) {
        this.text = this.text.slice((m.index ?? 0) + m[0].length);
        return m;
      }
      if (this.closed || Date.now() > deadline) throw new Error(`waiting for ${re}; got ${this.text.slice(0, 400)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.#wake.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  send(s: string) {
    this.socket.write(s);
  }
  async startTls(pair: { cert: string; key: string }) {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = new tls.TLSSocket(raw, { isServer: true, cert: pair.cert, key: pair.key });
    await new Promise<void>((r) => secure.once('secure', () => r()));
    this.socket = secure;
    this.text = '';
    this.all = '';
    this.#attach(secure);
  }
}

const peerHeader = (from: string, id: string) => `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' id='${id}' version='1.0'>`;

/** Plays the receiving server up to an authenticated stream (STARTTLS, then SASL EXTERNAL accepted). */
async function playReceivingServer(c: PeerConn, domain: string, pair: { cert: string; key: string }) {
  await c.expect(/<stream:stream[^>]*>/);
  c.send(peerHeader(domain, 'p1') + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>");
  await c.expect(/<starttls[^>]*\/>/);
  c.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  await c.startTls(pair);
  await c.expect(/<stream:stream[^>]*>/);
  c.send(peerHeader(domain, 'p2') + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms></stream:features>");
}

describe('s2s timers and the outgoing certificate policy', function () {
  this.timeout(30_000);
  let t: FederatedServer;
  let alice: TestClient;
  let peer: net.Server;
  const conns: PeerConn[] = [];
  let nextConn: ((c: PeerConn) => void) | null = null;

  before(async () => {
    peer = net.createServer((s) => {
      const c = new PeerConn(s);
      conns.push(c);
      nextConn?.(c);
    });
    await new Promise<void>((r) => peer.listen(5269, PEER, r));
    t = await startFederated(T.domain, T.address,
      { secureAuth: true, caFiles: [TEST_CA], authTimeoutSeconds: 1, keepaliveSeconds: 0.5, pingTimeoutSeconds: 1 },
      testResolver({ 'b.example': PEER, 'evil.example': PEER }));
    await t.addUser('alice', 'secret');
    alice = await connectClient({ port: t.c2sPort, domain: T.domain, username: 'alice', password: 'secret', resource: 'r' });
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    for (const c of conns) c.socket.destroy();
    await new Promise((r) => peer?.close(r));
  });

  const accepted = () => new Promise<PeerConn>((resolve) => {
    nextConn = (c) => {
      nextConn = null;
      resolve(c);
    };
  });

  it('closes an incoming stream that does not authenticate in time (connection-timeout)', async () => {
    const c = await RawClient.connect(5269, { host: T.address });
    c.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='b.example' to='a.example' version='1.0'>");
    await c.expect(/<stream:error><connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/, 8000);
    await c.waitClosed();
  });

  it('drops an outgoing stream whose peer stops answering keepalive pings', async () => {
    const next = accepted();
    await alice.xmpp.send(xml('message', { to: 'bob@b.example', type: 'chat' }, xml('body', {}, 'hello')));
    const c = await next;
    await playReceivingServer(c, 'b.example', testCert);
    await c.expect(/<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="EXTERNAL">/);
    c.send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    await c.expect(/<stream:stream[^>]*>/);
    c.send(peerHeader('b.example', 'p3') + '<stream:features/>');
    await c.expect(/<message [^>]*>.*?hello.*?<\/message>/s);
    // The stream is quiet: a ping comes, nobody answers, the stream is closed.
    await c.expect(/<iq [^>]*type="get"[^>]*><ping xmlns="urn:xmpp:ping"\/><\/iq>/, 5000);
    await c.expect(/<stream:error><connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/, 5000);
    expect(t.server.federation!.snapshot().outgoing.filter((o) => o.remote === 'b.example' && o.ready)).to.have.length(0);
  });

  it('with secureAuth on, refuses a peer whose certificate does not verify and bounces the stanza', async () => {
    const next = accepted();
    await alice.xmpp.send(xml('message', { to: 'mallory@evil.example', type: 'chat', id: 'evil' }, xml('body', {}, 'x')));
    const c = await next;
    await playReceivingServer(c, 'evil.example', selfSigned);
    await c.expect(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    const bounce = await alice.waitFor((s) => s.attrs.id === 'evil' && s.attrs.type === 'error', 10_000);
    expect(bounce.getChild('error')!.getChild('remote-server-not-found')).to.not.equal(undefined);
    expect(c.all).to.not.match(/<auth|<db:result|mallory/);
  });
});
