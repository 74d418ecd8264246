// Federation between two Starling instances over real sockets: each on its own loopback address and port 5269, names
// resolved by a test-only resolver. Certificates (SASL EXTERNAL, XEP-0178) with the test CA as the only extra trust
// anchor, then dialback (XEP-0220) when the certificates are not trusted.
import fs from 'node:fs';
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { startFederated, testResolver, TEST_CA, type FederatedServer } from '../helpers/s2s.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { startTestServer } from '../helpers/server.js';

const A = { domain: 'a.example', address: '127.0.10.1' };
const B = { domain: 'b.example', address: '127.0.10.2' };
const dns = () => testResolver({ [A.domain]: A.address, [`conference.${A.domain}`]: A.address, [B.domain]: B.address });

async function login(t: FederatedServer, user: string): Promise<TestClient> {
  return connectClient({ port: t.c2sPort, domain: t.domain, username: user, password: 'secret', resource: 'r' });
}

const MODULES = {
  modules: {
    disco: {}, ping: {}, version: {}, time: {}, roster: {}, presence: {}, message: {}, offline: {},
    vcard: {}, private: {}, last: {}, blocking: {}, mam: {}, pep: {}, muc: {},
  },
};

async function pair(s2sA: Record<string, unknown>, s2sB: Record<string, unknown>) {
  const a = await startFederated(A.domain, A.address, s2sA, dns(), MODULES);
  const b = await startFederated(B.domain, B.address, s2sB, dns(), MODULES);
  await a.addUser('alice', 'secret');
  await b.addUser('bob', 'secret');
  return { a, b };
}

function federationSuite(name: string, s2sA: Record<string, unknown>, s2sB: Record<string, unknown>, expectedAuth: string) {
  describe(name, function () {
    this.timeout(30_000);
    let a: FederatedServer;
    let b: FederatedServer;
    let alice: TestClient;
    let bob: TestClient;

    before(async () => {
      ({ a, b } = await pair(s2sA, s2sB));
      alice = await login(a, 'alice');
      bob = await login(b, 'bob');
    });
    after(async () => {
      await alice?.stop();
      await bob?.stop();
      await a?.stop();
      await b?.stop();
    });

    it('delivers messages both ways', async () => {
      await alice.xmpp.send(xml('message', { to: 'bob@b.example/r', type: 'chat', id: 'm1' }, xml('body', {}, 'hello from a')));
      const m = await bob.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'hello from a', 10_000);
      expect(m.attrs.from).to.equal('alice@a.example/r');
      await bob.xmpp.send(xml('message', { to: 'alice@a.example/r', type: 'chat', id: 'm2' }, xml('body', {}, 'hello from b')));
      const back = await alice.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'hello from b', 10_000);
      expect(back.attrs.from).to.equal('bob@b.example/r');
      const outA = a.server.federation!.snapshot().outgoing.find((o) => o.remote === B.domain);
      expect(outA?.auth).to.equal(expectedAuth);
      const inB = b.server.federation!.snapshot().incoming.find((i) => i.pairs.includes('a.example->b.example'));
      expect(inB?.methods, 'B has an authenticated incoming stream from A').to.deep.equal([expectedAuth]);
    });

    it('answers XEP-0199 pings to the remote server and to a remote user, both ways', async () => {
      await alice.xmpp.send(xml('iq', { to: 'b.example', type: 'get', id: 'p1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      const r1 = await alice.waitFor((s) => s.name === 'iq' && s.attrs.id === 'p1', 10_000);
      expect(r1.attrs.type).to.equal('result');
      expect(r1.attrs.from).to.equal('b.example');
      await bob.xmpp.send(xml('iq', { to: 'a.example', type: 'get', id: 'p2' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      const r2 = await bob.waitFor((s) => s.name === 'iq' && s.attrs.id === 'p2', 10_000);
      expect(r2.attrs.type).to.equal('result');
    });

    it('runs a presence subscription across servers (RFC 6121)', async () => {
      await alice.xmpp.send(xml('presence', {}));
      await bob.xmpp.send(xml('presence', {}));
      await alice.xmpp.send(xml('presence', { to: 'bob@b.example', type: 'subscribe' }));
      const req = await bob.waitFor((s) => s.name === 'presence' && s.attrs.type === 'subscribe', 10_000);
      expect(req.attrs.from).to.equal('alice@a.example');
      await bob.xmpp.send(xml('presence', { to: 'alice@a.example', type: 'subscribed' }));
      await alice.waitFor((s) => s.name === 'presence' && s.attrs.type === 'subscribed' && s.attrs.from === 'bob@b.example', 10_000);
      // Bob's current presence follows the approval (RFC 6121 §3.1.5).
      await alice.waitFor((s) => s.name === 'presence' && s.attrs.type === undefined && s.attrs.from === 'bob@b.example/r', 10_000);
    });

    it('serves vCard, PEP and MAM across servers', async () => {
      const iq = async (c: TestClient, id: string, attrs: Record<string, string>, payload: ReturnType<typeof xml>) => {
        await c.xmpp.send(xml('iq', { id, ...attrs }, payload));
        const r = await c.waitFor((s) => s.name === 'iq' && s.attrs.id === id, 10_000);
        expect(r.attrs.type, r.toString()).to.equal('result');
        return r;
      };
      // vCard (XEP-0054) of a remote user.
      await iq(bob, 'v1', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Bob Remote')));
      const card = await iq(alice, 'v2', { type: 'get', to: 'bob@b.example' }, xml('vCard', { xmlns: 'vcard-temp' }));
      expect(card.getChild('vCard', 'vcard-temp')?.getChildText('FN')).to.equal('Bob Remote');
      // PEP (XEP-0163): alice is subscribed to bob's presence, so she may read his presence-access node.
      const NICK = 'http://jabber.org/protocol/nick';
      await iq(bob, 'n1', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
        xml('publish', { node: NICK }, xml('item', { id: 'current' }, xml('nick', { xmlns: NICK }, 'Bobby')))));
      const items = await iq(alice, 'n2', { type: 'get', to: 'bob@b.example' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NICK })));
      expect(items.toString()).to.contain('Bobby');
      // MAM (XEP-0313): the message that came over s2s is in bob's archive.
      await bob.xmpp.send(xml('iq', { type: 'set', id: 'mam1' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q1' })));
      const fin = await bob.waitFor((s) => s.name === 'iq' && s.attrs.id === 'mam1', 10_000);
      expect(fin.attrs.type).to.equal('result');
      const archived = bob.received.filter((s) => s.name === 'message' && s.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'q1');
      expect(archived.map((m) => m.toString()).join('\n')).to.contain('hello from a');
    });

    it('adds a second local domain to the existing stream with dialback (piggybacking)', async () => {
      // The MUC service at conference.a.example answers bob: a new domain pair (conference.a.example, b.example).
      await bob.xmpp.send(xml('iq', { to: 'conference.a.example', type: 'get', id: 'd1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const info = await bob.waitFor((s) => s.name === 'iq' && s.attrs.id === 'd1', 10_000);
      expect(info.attrs.type).to.equal('result');
      const toB = a.server.federation!.snapshot().outgoing.filter((o) => o.remote === B.domain);
      expect(toB, 'one outgoing stream to b.example').to.have.length(1);
      expect(toB[0]!.locals).to.have.members(['a.example', 'conference.a.example']);
      const inB = b.server.federation!.snapshot().incoming.find((i) => i.pairs.includes('conference.a.example->b.example'));
      expect(inB?.pairs).to.have.members(['a.example->b.example', 'conference.a.example->b.example']);
      expect(inB?.methods).to.deep.equal(expectedAuth === 'EXTERNAL' ? ['EXTERNAL', 'dialback+certificate'] : ['dialback', 'dialback']);
    });

    it('bounces a message to an unknown user on the remote server with service-unavailable', async () => {
      await alice.xmpp.send(xml('message', { to: 'nobody@b.example', type: 'chat', id: 'm3' }, xml('body', {}, 'x')));
      const err = await alice.waitFor((s) => s.name === 'message' && s.attrs.id === 'm3', 10_000);
      expect(err.attrs.type).to.equal('error');
    });
  });
}

describe('s2s: SRV, direct TLS (XEP-0368), idle timeout and the connection limit', function () {
  this.timeout(30_000);
  let a: FederatedServer;
  let b: FederatedServer;
  let alice: TestClient;
  let bob: TestClient;
  const resolver = testResolver({ [A.domain]: A.address, 'xmpp.b.example': B.address }, {
    '_xmpps-server._tcp.b.example': [{ name: 'xmpp.b.example', port: 5270, priority: 0, weight: 0 }],
  });

  before(async () => {
    a = await startFederated(A.domain, A.address, { secureAuth: true, caFiles: [TEST_CA], idleTimeoutSeconds: 1 }, resolver);
    // B is reachable only through its SRV record: direct TLS on 5270, no 5269 listener.
    b = await startFederated(B.domain, B.address, { secureAuth: true, caFiles: [TEST_CA], maxConnections: 2 }, dns(), {
      listen: [
        { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'starttls' },
        { service: 's2s', address: B.address, port: 5270, tls: 'direct' },
      ],
    });
    await a.addUser('alice', 'secret');
    await b.addUser('bob', 'secret');
    alice = await login(a, 'alice');
    bob = await login(b, 'bob');
  });
  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await a?.stop();
    await b?.stop();
  });

  it('follows _xmpps-server to a direct-TLS port and authenticates with the certificate', async () => {
    await alice.xmpp.send(xml('message', { to: 'bob@b.example/r', type: 'chat' }, xml('body', {}, 'over direct TLS')));
    await bob.waitFor((s) => s.getChildText('body') === 'over direct TLS', 10_000);
    expect(resolver.srvQueries).to.include('_xmpps-server._tcp.b.example');
    expect(a.server.federation!.snapshot().outgoing.find((o) => o.remote === B.domain)?.auth).to.equal('EXTERNAL');
  });

  it('closes an idle outgoing stream and opens a new one for the next stanza', async () => {
    const deadline = Date.now() + 8000;
    while (a.server.federation!.snapshot().outgoing.some((o) => o.remote === B.domain) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(a.server.federation!.snapshot().outgoing.filter((o) => o.remote === B.domain)).to.have.length(0);
    await alice.xmpp.send(xml('message', { to: 'bob@b.example/r', type: 'chat' }, xml('body', {}, 'after idle')));
    await bob.waitFor((s) => s.getChildText('body') === 'after idle', 10_000);
  });

  it('refuses incoming connections past s2s.maxConnections with resource-constraint', async () => {
    const tls = await import('node:tls');
    const open = () => new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
      const s = tls.connect({ host: B.address, port: 5270, servername: B.domain, ca: fs.readFileSync(TEST_CA), ALPNProtocols: ['xmpp-server'] }, () => resolve(s));
      s.once('error', reject);
    });
    const socks = [await open(), await open(), await open()];
    const third = socks[2]!;
    let got = '';
    third.on('data', (d) => (got += d));
    third.write("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='a.example' to='b.example' version='1.0'>");
    const deadline = Date.now() + 5000;
    while (!got.includes('</stream:stream>') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of socks) s.destroy();
    expect(got).to.match(/<resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
  });
});

describe('s2s over real DNS (s2s.dnsServers)', function () {
  this.timeout(30_000);
  it('finds the peer through its _xmpp-server SRV record and A record, with Node\'s resolver', async () => {
    const dnsServer = await startDnsServer({
      srv: { '_xmpp-server._tcp.b.example': [{ priority: 10, weight: 5, port: 5269, target: 'xmpp.b.example' }] },
      a: { 'xmpp.b.example': B.address },
    });
    // A has no injected resolver: it asks the test DNS server. B answers with certificates, so it needs no lookup.
    const a = await startTestServer({
      listen: [{ service: 'c2s', address: '127.0.0.1', port: 0, tls: 'starttls' }, { service: 's2s', address: A.address, port: 5269 }],
      s2s: { secureAuth: true, caFiles: [TEST_CA], dnsServers: [dnsServer.server] },
    }, [A.domain]);
    const b = await startFederated(B.domain, B.address, { secureAuth: true, caFiles: [TEST_CA] }, dns());
    try {
      await a.addUser('alice', 'secret');
      await b.addUser('bob', 'secret');
      const alice = await connectClient({ port: a.c2sPort, domain: A.domain, username: 'alice', password: 'secret', resource: 'r' });
      const bob = await login(b, 'bob');
      await alice.xmpp.send(xml('message', { to: 'bob@b.example/r', type: 'chat' }, xml('body', {}, 'found by SRV')));
      await bob.waitFor((s) => s.getChildText('body') === 'found by SRV', 10_000);
      expect(dnsServer.queries).to.include.members(['_xmpp-server._tcp.b.example', '_xmpps-server._tcp.b.example', 'xmpp.b.example']);
      await alice.stop();
      await bob.stop();
    } finally {
      await a.stop();
      await b.stop();
      await dnsServer.close();
    }
  });
});

describe('s2s between two Starlings', () => {
  federationSuite('with certificates (SASL EXTERNAL, s2s.secureAuth on)',
    { secureAuth: true, caFiles: [TEST_CA] }, { secureAuth: true, caFiles: [TEST_CA] }, 'EXTERNAL');
  federationSuite('with dialback (certificates not trusted, s2s.secureAuth off)',
    { secureAuth: false }, { secureAuth: false }, 'dialback');
});
