// Federation and components under attack or failure, over real sockets: untrusted certificates with secureAuth,
// forged dialback keys, stanzas from or to domains the stream is not authenticated for, unreachable and silent
// domains (bounces in bounded time, never for errors), the bounded queue, XEP-0199 keepalives, and XEP-0114
// components (wrong secret, routing both ways).
import net from 'node:net';
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import fs from 'node:fs';
import path from 'node:path';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startFederated, testResolver, TEST_CA, type FederatedServer } from '../helpers/s2s.js';
import { CERT_DIR } from '../fixtures/make-certs.js';
import { generateSelfSigned } from '../../src/net/certs.js';
import { createHash } from 'node:crypto';

const A = { domain: 'a.example', address: '127.0.10.5' };
const B = { domain: 'b.example', address: '127.0.10.6' };
const SILENT = '127.0.10.7';
const REFUSED = '127.0.10.8';
const names = { [A.domain]: A.address, [B.domain]: B.address, 'bot.b.example': B.address, 'silent.example': SILENT, 'refused.example': REFUSED };
const caPem = fs.readFileSync(TEST_CA, 'utf8');
const certOf = (host: string) => ({ cert: fs.readFileSync(path.join(CERT_DIR, `${host}.crt`), 'utf8'), key: fs.readFileSync(path.join(CERT_DIR, `${host}.key`), 'utf8') });
const header = (from: string, to: string) => `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${to}' version='1.0'>`;

/** A raw peer server: connects to `address`:5269 as `from`, does STARTTLS (with `cert` as client certificate when
 *  given) and returns after the post-TLS features, which it also returns. */
async function rawPeer(address: string, from: string, to: string, cert?: { cert: string; key: string }): Promise<{ c: RawClient; features: string; id: string }> {
  const c = await RawClient.connect(5269, { host: address });
  c.send(header(from, to));
  await c.expect(/<stream:features>.*?<\/stream:features>/s);
  c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  await c.expect(/<proceed[^>]*\/>/);
  await c.startTls(to, { ca: caPem, ...(cert ?? {}) });
  c.send(header(from, to));
  const m = await c.expect(/<stream:stream [^>]*id='([^']+)'[^>]*>(.*?<\/stream:features>)/s);
  return { c, id: m[1]!, features: m[2]! };
}

describe('s2s failures, attacks and components', function () {
  this.timeout(30_000);
  let a: FederatedServer;
  let b: FederatedServer;
  let alice: TestClient;
  let bob: TestClient;
  let silent: net.Server;
  const silentSockets = new Set<net.Socket>();
  let componentPort = 0;

  before(async () => {
    // A server that accepts TCP and never says a word.
    silent = net.createServer((s) => {
      silentSockets.add(s);
      s.on('close', () => silentSockets.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(5269, SILENT, r));
    a = await startFederated(A.domain, A.address, { secureAuth: false, connectTimeoutSeconds: 2, queueSize: 2, keepaliveSeconds: 0.5 }, testResolver(names));
    b = await startFederated(B.domain, B.address, { secureAuth: true, caFiles: [TEST_CA] }, testResolver(names), {
      listen: [
        { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'starttls' },
        { service: 's2s', address: B.address, port: 5269 },
        { service: 'component', address: '127.0.0.1', port: 0 },
      ],
      components: { 'bot.b.example': { secret: 's3cret' }, 'offline.b.example': { secret: 'x' } },
    });
    componentPort = b.server.addresses().find((x) => x.service === 'component')!.port;
    await a.addUser('alice', 'secret');
    await b.addUser('bob', 'secret');
    alice = await connectClient({ port: a.c2sPort, domain: A.domain, username: 'alice', password: 'secret', resource: 'r' });
    bob = await connectClient({ port: b.c2sPort, domain: B.domain, username: 'bob', password: 'secret', resource: 'r' });
  });

  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await a?.stop();
    await b?.stop();
    for (const s of silentSockets) s.destroy();
    await new Promise((r) => silent?.close(r));
  });

  describe('incoming streams', () => {
    it('offers SASL EXTERNAL for a trusted certificate and accepts it (control)', async () => {
      const { c, features } = await rawPeer(B.address, A.domain, B.domain, certOf(A.domain));
      expect(features).to.match(/<mechanism>EXTERNAL<\/mechanism>/);
      c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>`);
      await c.expect(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
      c.close();
    });

    it('refuses an untrusted certificate when secureAuth is on: no EXTERNAL, and dialback is refused', async () => {
      const { c, features } = await rawPeer(B.address, A.domain, B.domain, generateSelfSigned(A.domain));
      expect(features).to.not.match(/EXTERNAL/);
      c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>`);
      await c.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/>/);
      c.send(`<db:result from='${A.domain}' to='${B.domain}'>0123456789abcdef</db:result>`);
      await c.expect(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await c.waitClosed();
    });

    it('answers a forged dialback key with type=invalid and keeps the domain unauthenticated', async () => {
      // A (secureAuth off) asks B, the authoritative server of b.example, on a separate connection; B made no such key.
      const { c } = await rawPeer(A.address, B.domain, A.domain, generateSelfSigned(B.domain));
      c.send(`<db:result from='${B.domain}' to='${A.domain}'>${'ab'.repeat(32)}</db:result>`);
      await c.expect(/<db:result from="a.example" to="b.example" type="invalid"\/>/, 10_000);
      c.send(`<message from='bob@${B.domain}/r' to='alice@${A.domain}/r' type='chat'><body>forged</body></message>`);
      await c.expect(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await c.waitClosed();
      await new Promise((r) => setTimeout(r, 200));
      expect(alice.received.some((s) => s.getChildText('body') === 'forged')).to.equal(false);
    });

    it('closes the stream on a stanza from a domain not authenticated on it (invalid-from)', async () => {
      const { c } = await rawPeer(B.address, A.domain, B.domain, certOf(A.domain));
      c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>`);
      await c.expect(/<success/);
      c.send(header(A.domain, B.domain));
      await c.expect(/<stream:features\/>|<stream:features>.*?<\/stream:features>/s);
      c.send(`<message from='alice@${A.domain}/r' to='bob@${B.domain}/r' type='chat'><body>genuine</body></message>`);
      await bob.waitFor((s) => s.getChildText('body') === 'genuine');
      c.send(`<message from='mallory@evil.example/x' to='bob@${B.domain}/r' type='chat'><body>spoofed</body></message>`);
      await c.expect(/<stream:error><invalid-from xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await c.waitClosed();
      expect(bob.received.some((s) => s.getChildText('body') === 'spoofed')).to.equal(false);
    });

    it('authenticates several domain pairs on one stream (dialback piggybacking, XEP-0220 §2.4)', async () => {
      // The certificate (a.example, *.a.example) proves both domains, so B answers without a DNS round trip.
      const { c } = await rawPeer(B.address, A.domain, B.domain, certOf(A.domain));
      c.send(`<db:result from='${A.domain}' to='${B.domain}'>${'00'.repeat(32)}</db:result>`);
      await c.expect(/<db:result from="b.example" to="a.example" type="valid"\/>/);
      c.send(`<db:result from='conference.${A.domain}' to='${B.domain}'>${'00'.repeat(32)}</db:result>`);
      await c.expect(/<db:result from="b.example" to="conference.a.example" type="valid"\/>/);
      c.send(`<message from='alice@${A.domain}/r' to='bob@${B.domain}/r' type='chat'><body>pair one</body></message>`);
      c.send(`<message from='room@conference.${A.domain}/nick' to='bob@${B.domain}/r' type='groupchat'><body>pair two</body></message>`);
      await bob.waitFor((s) => s.getChildText('body') === 'pair one');
      await bob.waitFor((s) => s.getChildText('body') === 'pair two');
      // A domain the certificate does not cover stays out (secureAuth is on at B).
      c.send(`<db:result from='other.example' to='${B.domain}'>${'00'.repeat(32)}</db:result>`);
      await c.expect(/<stream:error><not-authorized/);
      await c.waitClosed();
    });

    it('answers host-unknown for a domain we do not serve (header and stanza)', async () => {
      const c = await RawClient.connect(5269, { host: B.address });
      c.send(header(A.domain, 'elsewhere.example'));
      await c.expect(/<stream:error><host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await c.waitClosed();
      const { c: d } = await rawPeer(B.address, A.domain, B.domain, certOf(A.domain));
      d.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>`);
      await d.expect(/<success/);
      d.send(header(A.domain, B.domain));
      await d.expect(/<stream:features/);
      d.send(`<message from='alice@${A.domain}/r' to='x@elsewhere.example' type='chat'><body>x</body></message>`);
      await d.expect(/<stream:error><host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await d.waitClosed();
    });

    it('applies the strict parser and the c2s limits to server streams', async () => {
      const bad = await RawClient.connect(5269, { host: A.address });
      bad.send(`${header(B.domain, A.domain)}<db:result from='b.example' to='a.example'><!-- comment --></db:result>`);
      await bad.expect(/<stream:error><restricted-xml xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await bad.waitClosed();
      const big = await RawClient.connect(5269, { host: A.address });
      big.send(`${header(B.domain, A.domain)}<db:result from='b.example' to='a.example'>${'a'.repeat(20_000)}</db:result>`);
      await big.expect(/<stream:error><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await big.waitClosed();
      const old = await RawClient.connect(5269, { host: A.address });
      old.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='b.example' to='a.example'>`);
      await old.expect(/<stream:error><unsupported-version xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await old.waitClosed();
      const wrongNs = await RawClient.connect(5269, { host: A.address });
      wrongNs.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='a.example' version='1.0'>`);
      await wrongNs.expect(/<stream:error><invalid-namespace xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await wrongNs.waitClosed();
    });

    it('requires STARTTLS before dialback or stanzas', async () => {
      const c = await RawClient.connect(5269, { host: A.address });
      c.send(header(B.domain, A.domain));
      await c.expect(/<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls><\/stream:features>/);
      c.send(`<db:result from='${B.domain}' to='${A.domain}'>abcd</db:result>`);
      await c.expect(/<stream:error><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await c.waitClosed();
    });
  });

  describe('outgoing delivery failures', () => {
    const bounce = (id: string) => alice.waitFor((s) => s.name === 'message' && s.attrs.id === id && s.attrs.type === 'error', 10_000);
    const condition = (s: { getChild(n: string): { children: unknown[] } | undefined }) =>
      (s.getChild('error')!.children.find((c) => typeof c !== 'string') as { name: string }).name;

    it('bounces remote-server-not-found for a refused connection and for an unknown domain', async () => {
      await alice.xmpp.send(xml('message', { to: 'x@refused.example', id: 'refused', type: 'chat' }, xml('body', {}, 'x')));
      expect(condition(await bounce('refused'))).to.equal('remote-server-not-found');
      await alice.xmpp.send(xml('message', { to: 'x@nxdomain.example', id: 'nx', type: 'chat' }, xml('body', {}, 'x')));
      expect(condition(await bounce('nx'))).to.equal('remote-server-not-found');
    });

    it('never bounces an error', async () => {
      await alice.xmpp.send(xml('message', { to: 'x@refused.example', id: 'err1', type: 'error' }, xml('error', { type: 'cancel' }, xml('gone', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
      await alice.xmpp.send(xml('message', { to: 'x@refused.example', id: 'after-err', type: 'chat' }, xml('body', {}, 'x')));
      await bounce('after-err');
      expect(alice.received.filter((s) => s.attrs.id === 'err1')).to.have.length(0);
    });

    it('bounces remote-server-timeout for a silent server, and resource-constraint past the queue bound', async () => {
      for (const id of ['q1', 'q2', 'q3']) await alice.xmpp.send(xml('message', { to: 'x@silent.example', id, type: 'chat' }, xml('body', {}, id)));
      expect(condition(await bounce('q3'))).to.equal('resource-constraint');
      expect(condition(await bounce('q1'))).to.equal('remote-server-timeout');
      expect(condition(await bounce('q2'))).to.equal('remote-server-timeout');
    });

    it('keeps a quiet outgoing stream alive with XEP-0199 pings that the peer answers', async () => {
      await alice.xmpp.send(xml('message', { to: 'bob@b.example/r', type: 'chat' }, xml('body', {}, 'keepalive')));
      await bob.waitFor((s) => s.getChildText('body') === 'keepalive');
      await new Promise((r) => setTimeout(r, 2000));
      const out = a.server.federation!.snapshot().outgoing.find((o) => o.remote === B.domain)!;
      expect(out.ready).to.equal(true);
      expect(out.pings).to.be.greaterThan(0);
      expect(out.pongs).to.be.greaterThan(0);
    });
  });

  describe('external components (XEP-0114)', () => {
    const openComponent = async (domain: string) => {
      const c = await RawClient.connect(componentPort);
      c.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'>`);
      const m = await c.expect(/<stream:stream [^>]*id='([^']+)'[^>]*>/);
      return { c, id: m[1]! };
    };
    const handshake = (id: string, secret: string) => createHash('sha1').update(id + secret).digest('hex');

    it('refuses a wrong secret', async () => {
      const { c, id } = await openComponent('bot.b.example');
      c.send(`<handshake>${handshake(id, 'wrong')}</handshake>`);
      await c.expect(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await c.waitClosed();
    });

    it('refuses an unknown component domain', async () => {
      const { c } = await openComponent('nobody.b.example');
      await c.expect(/<stream:error><host-unknown/);
      await c.waitClosed();
    });

    it('bounces service-unavailable for a configured component that is not connected', async () => {
      await bob.xmpp.send(xml('message', { to: 'offline.b.example', id: 'comp-off', type: 'chat' }, xml('body', {}, 'x')));
      const e = await bob.waitFor((s) => s.attrs.id === 'comp-off');
      expect(e.getChild('error')!.getChild('service-unavailable')).to.not.equal(undefined);
    });

    it('routes stanzas both ways, locally and across federation, and checks the from domain', async () => {
      const { c, id } = await openComponent('bot.b.example');
      c.send(`<handshake>${handshake(id, 's3cret')}</handshake>`);
      await c.expect(/<handshake\/>/);
      await bob.xmpp.send(xml('message', { to: 'echo@bot.b.example', type: 'chat' }, xml('body', {}, 'to the bot')));
      await c.expect(/<message [^>]*to="echo@bot.b.example"[^>]*>.*?to the bot/s);
      c.send(`<message from='echo@bot.b.example' to='bob@b.example/r' type='chat'><body>from the bot</body></message>`);
      await bob.waitFor((s) => s.getChildText('body') === 'from the bot' && s.attrs.from === 'echo@bot.b.example');
      c.send(`<message from='echo@bot.b.example' to='alice@a.example/r' type='chat'><body>bot over s2s</body></message>`);
      await alice.waitFor((s) => s.getChildText('body') === 'bot over s2s' && s.attrs.from === 'echo@bot.b.example', 10_000);
      // One connection per component domain.
      const second = await openComponent('bot.b.example');
      second.c.send(`<handshake>${handshake(second.id, 's3cret')}</handshake>`);
      await second.c.expect(/<stream:error><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await second.c.waitClosed();
      c.send(`<message from='bob@b.example' to='alice@a.example/r' type='chat'><body>impersonation</body></message>`);
      await c.expect(/<stream:error><invalid-from/);
      await c.waitClosed();
    });
  });
});
