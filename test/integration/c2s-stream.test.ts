// RFC 6120 stream-level behaviour and every malformed input of the foundation issue, each a named
// test against the real server: the right stream error, then the connection closes.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectSecure, rawLogin } from '../helpers/login.js';

const STREAM_ERR = (cond: string) => new RegExp(`<stream:error><${cond} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>.*?</stream:error></stream:stream>`, 's');
const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

describe('c2s: stream errors and limits', function () {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ limits: { stanzaBytes: 20_000 } });
    await t.addUser('alice', 'wonderland');
  });
  after(async () => t.stop());

  async function expectStreamError(input: string | Buffer | (string | Buffer)[], condition: string, opts: { secure?: boolean } = {}): Promise<string> {
    const c = opts.secure ? (await connectSecure({ port: t.c2sPort })).client : await RawClient.connect(t.c2sPort);
    for (const part of Array.isArray(input) ? input : [input]) c.send(part);
    const m = await c.expect(STREAM_ERR(condition));
    await c.waitClosed();
    return m[0];
  }

  describe('stream header', () => {
    it('host-unknown for a host we do not serve (header sent first)', async () => {
      const c = await RawClient.connect(t.c2sPort);
      c.open('not-here.example');
      await c.expect(/<stream:stream [^>]*>/);
      await c.expect(STREAM_ERR('host-unknown'));
      await c.waitClosed();
    });
    it('host-unknown without a to attribute', () =>
      expectStreamError("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>", 'host-unknown'));
    it('invalid-namespace for a wrong default namespace', () =>
      expectStreamError("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>", 'invalid-namespace'));
    it('invalid-namespace for a wrong stream namespace', () =>
      expectStreamError("<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='localhost' version='1.0'>", 'invalid-namespace'));
    it('unsupported-version without version 1.x', () =>
      expectStreamError("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='2.0'>", 'unsupported-version'));
    it('accepts an XML declaration and answers with our own header', async () => {
      const c = await RawClient.connect(t.c2sPort);
      c.send(HEADER);
      const h = await c.expect(/<\?xml version='1.0'\?><stream:stream [^>]*>/);
      expect(h[0]).to.match(/ id='[0-9a-f]{24}'/);
      c.close();
    });
  });

  describe('restricted XML (RFC 6120 §11.1)', () => {
    it('restricted-xml for a DOCTYPE', () => expectStreamError(`<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>${HEADER.slice(21)}`, 'restricted-xml'));
    it('restricted-xml for billion laughs entity declarations', () =>
      expectStreamError(`<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>${HEADER.slice(21)}<message>&lol2;</message>`, 'restricted-xml'));
    it('restricted-xml for a comment', () => expectStreamError([HEADER, '<!-- hello -->'], 'restricted-xml'));
    it('restricted-xml for a processing instruction', () => expectStreamError([HEADER, '<?foo bar?>'], 'restricted-xml'));
    it('not-well-formed for invalid UTF-8', () => expectStreamError([HEADER, Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e])], 'not-well-formed'));
    it('not-well-formed for an illegal character (U+0001)', () => expectStreamError([HEADER, '<message>\u0001</message>'], 'not-well-formed'));
    it('not-well-formed for an undefined entity', () => expectStreamError([HEADER, '<message>&foo;</message>'], 'not-well-formed'));
    it('not-well-formed for a mismatched end tag', () => expectStreamError([HEADER, '<message></presence>'], 'not-well-formed'));
    it('not-well-formed for an unbound prefix', () => expectStreamError([HEADER, '<foo:bar/>'], 'not-well-formed'));
  });

  describe('limits', () => {
    it('policy-violation with <stanza-too-big/> above 10 000 bytes before auth', async () => {
      const err = await expectStreamError([HEADER, `<message><body>${'x'.repeat(12_000)}</body></message>`], 'policy-violation');
      expect(err).to.include('<stanza-too-big xmlns="urn:xmpp:errors"/>');
    });

    it('policy-violation for an unterminated huge attribute, without buffering it', async () => {
      const chunk = 'a'.repeat(64 * 1024);
      await expectStreamError([HEADER, "<message to='", chunk, chunk, chunk], 'policy-violation');
    });

    it('policy-violation for a depth bomb', () => expectStreamError([HEADER, '<a>'.repeat(5000)], 'policy-violation'));

    it('allows larger stanzas after auth, up to the configured limit', async () => {
      const { client } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'big' });
      client.send(`<message to='alice@localhost/big' id='big1'><body>${'y'.repeat(15_000)}</body></message>`);
      await client.expect(/<message [^>]*id="big1"[^>]*>/);
      client.send(`<message to='alice@localhost/big'><body>${'y'.repeat(25_000)}</body></message>`);
      await client.expect(STREAM_ERR('policy-violation'));
      await client.waitClosed();
    });
  });

  describe('connection limits', () => {
    it('refuses connections over the per-address limit with policy-violation', async () => {
      const s = await startTestServer({ limits: { maxConnectionsPerIp: 2 } });
      try {
        const first = await RawClient.connect(s.c2sPort);
        const second = await RawClient.connect(s.c2sPort);
        const third = await RawClient.connect(s.c2sPort);
        await third.expect(STREAM_ERR('policy-violation'));
        await third.waitClosed();
        first.close();
        await new Promise((r) => setTimeout(r, 100));
        const fourth = await RawClient.connect(s.c2sPort);
        fourth.open();
        await fourth.expect(/<stream:features>/);
        second.close();
        fourth.close();
      } finally {
        await s.stop();
      }
    });

    it('refuses new connections when too many are unauthenticated', async () => {
      const s = await startTestServer({ limits: { maxUnauthenticated: 1 } });
      try {
        const first = await RawClient.connect(s.c2sPort);
        const second = await RawClient.connect(s.c2sPort);
        await second.expect(STREAM_ERR('resource-constraint'));
        first.close();
      } finally {
        await s.stop();
      }
    });
  });

  describe('order of negotiation', () => {
    it('not-authorized for a stanza before authentication', () =>
      expectStreamError([HEADER, "<message to='alice@localhost'><body>hi</body></message>"], 'not-authorized'));
    it('not-authorized for a stanza after auth but before bind', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      const { saslAuth } = await import('../helpers/login.js');
      await saslAuth(client, { port: 0, username: 'alice', password: 'wonderland' });
      client.open();
      await client.expect(/<\/stream:features>/);
      client.send("<message to='alice@localhost'><body>hi</body></message>");
      await client.expect(STREAM_ERR('not-authorized'));
    });
    it('unsupported-stanza-type for an unknown element in jabber:client', () =>
      expectStreamError([HEADER, '<foo/>'], 'unsupported-stanza-type'));
  });

  describe('keepalive and close', () => {
    it('accepts whitespace keepalives between stanzas', async () => {
      const { client } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'ws' });
      client.send('   \n  ');
      client.send("<iq type='get' to='localhost' id='k1'><ping xmlns='urn:xmpp:ping'/></iq>");
      await client.expect(/<iq [^>]*id="k1"/);
      client.close();
    });

    it('answers the client closing tag with its own and closes', async () => {
      const { client } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'bye' });
      client.send('</stream:stream>');
      await client.expect(/<\/stream:stream>/);
      await client.waitClosed();
    });

    it('closes an unauthenticated connection after the auth timeout', async () => {
      const s = await startTestServer({ limits: { authTimeoutSeconds: 0.3 } });
      try {
        const c = await RawClient.connect(s.c2sPort);
        c.open();
        await c.expect(STREAM_ERR('connection-timeout'), 3000);
        await c.waitClosed();
      } finally {
        await s.stop();
      }
    });

    it('sends whitespace keepalives to an idle client', async () => {
      const s = await startTestServer({ limits: { keepaliveSeconds: 0.3 } });
      try {
        await s.addUser('alice', 'wonderland');
        const { client } = await rawLogin({ port: s.c2sPort, username: 'alice', password: 'wonderland' });
        client.buffer = '';
        await client.expect(/^ +$/, 3000);
        client.close();
      } finally {
        await s.stop();
      }
    });

    it('sends system-shutdown to connected clients when the server stops', async () => {
      const s = await startTestServer();
      await s.addUser('alice', 'wonderland');
      const { client } = await rawLogin({ port: s.c2sPort, username: 'alice', password: 'wonderland' });
      const stopping = s.stop();
      await client.expect(STREAM_ERR('system-shutdown'));
      client.send('</stream:stream>');
      await client.waitClosed();
      await stopping;
    });
  });
});
