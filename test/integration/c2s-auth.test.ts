// TLS and SASL over real sockets with exact bytes: STARTTLS, direct TLS, every mechanism,
// channel binding, and the failures RFC 6120 §5–6 prescribe.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectSecure, saslAuth, rawLogin } from '../helpers/login.js';
import { b64 } from '../helpers/scram-client.js';

describe('c2s: TLS and SASL', function () {
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
    await t.addUser('alice', 'wonderland');
    await t.addUser('bob', 'builder');
  });
  after(async () => t.stop());

  describe('STARTTLS', () => {
    it('offers only required STARTTLS before TLS', async () => {
      const c = await RawClient.connect(t.c2sPort);
      c.open();
      const header = await c.expect(/<stream:stream [^>]*>/);
      expect(header[0]).to.match(/from='localhost'/).and.match(/version='1.0'/).and.match(/xmlns='jabber:client'/);
      const f = await c.expect(/<stream:features>.*?<\/stream:features>/s);
      expect(f[0]).to.include("<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"><required/></starttls>");
      expect(f[0]).not.to.include('mechanisms');
      c.close();
    });

    it('refuses <auth/> before TLS with encryption-required', async () => {
      const c = await RawClient.connect(t.c2sPort);
      c.open();
      await c.expect(/<\/stream:features>/);
      c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64('\0alice\0wonderland')}</auth>`);
      await c.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><encryption-required\/>/);
      c.close();
    });

    it('offers every mechanism and XEP-0440 channel-binding types after TLS', async () => {
      const { client, features } = await connectSecure({ port: t.c2sPort });
      for (const m of ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']) {
        expect(features).to.include(`<mechanism>${m}</mechanism>`);
      }
      expect(features).to.match(/<sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0">.*<channel-binding type="tls-exporter"\/>/);
      expect(features).not.to.include('starttls');
      client.close();
    });

    it('answers a second <starttls/> with <failure/> and closes', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      await client.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/><\/stream:stream>/);
      await client.waitClosed();
    });
  });

  describe('direct TLS (XEP-0368)', () => {
    it('negotiates ALPN xmpp-client and offers SASL at once', async () => {
      const c = await RawClient.connect(t.tlsPort, { tls: true, alpn: ['xmpp-client'] });
      expect(c.tlsSocket!.alpnProtocol).to.equal('xmpp-client');
      c.open();
      const f = await c.expect(/<stream:features>.*?<\/stream:features>/s);
      expect(f[0]).to.include('<mechanism>SCRAM-SHA-1</mechanism>');
      expect(f[0]).not.to.include('starttls');
      c.close();
    });

    it('uses TLS 1.2 or newer', async () => {
      const c = await RawClient.connect(t.tlsPort, { tls: true });
      expect(['TLSv1.2', 'TLSv1.3']).to.include(c.tlsSocket!.getProtocol());
      c.close();
    });
  });

  describe('mechanisms', () => {
    const cases: [string, 'tls-exporter' | 'tls-server-end-point' | undefined][] = [
      ['SCRAM-SHA-1', undefined], ['SCRAM-SHA-256', undefined],
      ['SCRAM-SHA-1-PLUS', 'tls-exporter'], ['SCRAM-SHA-256-PLUS', 'tls-exporter'],
      ['SCRAM-SHA-256-PLUS', 'tls-server-end-point'], ['PLAIN', undefined],
    ];
    for (const [mechanism, cbType] of cases) {
      for (const directTls of [false, true]) {
        it(`${mechanism}${cbType ? ` (${cbType})` : ''} over ${directTls ? 'direct TLS' : 'STARTTLS'}`, async () => {
          const { client, jid } = await rawLogin({ port: directTls ? t.tlsPort : t.c2sPort, directTls, username: 'alice', password: 'wonderland', mechanism: mechanism as 'PLAIN', cbType });
          expect(jid).to.match(/^alice@localhost\/.+/);
          client.close();
        });
      }
    }

    it('tls-server-end-point binds to the certificate of the host the client named (second host, both ports)', async () => {
      // The binding data is cached per host certificate: a client of a.example must be bound to a.example's
      // certificate, not the first host's.
      const s = await startTestServer({}, ['localhost', 'a.example']);
      try {
        await s.addUser('carol', 'secret', 'a.example');
        for (const directTls of [false, true]) {
          const { client, jid } = await rawLogin({ port: directTls ? s.tlsPort : s.c2sPort, directTls, host: 'a.example', username: 'carol', password: 'secret', mechanism: 'SCRAM-SHA-256-PLUS', cbType: 'tls-server-end-point' });
          expect(jid).to.match(/^carol@a\.example\//);
          client.close();
        }
      } finally {
        await s.stop();
      }
    });

    it('accepts a username that needs SASLprep/case folding (ALICE)', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      const r = await saslAuth(client, { port: 0, username: 'ALICE', password: 'wonderland', mechanism: 'SCRAM-SHA-256' });
      expect(r.ok).to.equal(true);
      client.close();
    });
  });

  describe('failures', () => {
    it('wrong password and unknown user get the same not-authorized answer', async () => {
      const answers: string[] = [];
      for (const [username, password] of [['alice', 'wrong'], ['nosuchuser', 'wrong']] as const) {
        for (const mechanism of ['SCRAM-SHA-1', 'PLAIN'] as const) {
          const { client } = await connectSecure({ port: t.c2sPort });
          const r = await saslAuth(client, { port: 0, username, password, mechanism });
          expect(r.ok).to.equal(false);
          answers.push(r.answer);
          client.close();
        }
      }
      expect(answers[0]).to.include('<not-authorized/>');
      expect(answers[0]).to.equal(answers[2]);
      expect(answers[1]).to.equal(answers[3]);
    });

    it('an unknown user gets a stable salt (no enumeration by salt)', async () => {
      const salts: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { client } = await connectSecure({ port: t.c2sPort });
        client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${b64('n,,n=ghost,r=abcdefghijklmnop')}</auth>`);
        const m = await client.expect(/<challenge[^>]*>([^<]+)<\/challenge>/);
        salts.push(Buffer.from(m[1]!, 'base64').toString().split(',').find((p) => p.startsWith('s='))!);
        client.close();
      }
      expect(salts[0]).to.equal(salts[1]);
    });

    it('rejects an unknown mechanism with invalid-mechanism', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5'/>");
      await client.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><invalid-mechanism\/>/);
      client.close();
    });

    it('rejects data that is not base64 with incorrect-encoding', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>not*base64!</auth>");
      await client.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><incorrect-encoding\/>/);
      client.close();
    });

    it('answers <abort/> with <aborted/>', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${b64('n,,n=alice,r=abcdefghijklmnop')}</auth>`);
      await client.expect(/<challenge/);
      client.send("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
      await client.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><aborted\/>/);
      client.close();
    });

    it('sends an empty challenge when <auth/> has no initial response', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
      await client.expect(/<challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
      client.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64('\0alice\0wonderland')}</response>`);
      await client.expect(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
      client.close();
    });

    it('closes the stream after too many failures', async () => {
      const s = await startTestServer({ auth: { maxFailures: 2, failureDelayMs: 1 } });
      try {
        await s.addUser('carol', 'secret');
        const { client } = await connectSecure({ port: s.c2sPort });
        for (let i = 0; i < 2; i++) {
          const r = await saslAuth(client, { port: 0, username: 'carol', password: 'bad', mechanism: 'PLAIN' });
          expect(r.ok).to.equal(false);
        }
        await client.expect(/<stream:error><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
        await client.waitClosed();
        // The address is now throttled: even the right password is refused for the window.
        const again = await connectSecure({ port: s.c2sPort });
        const r = await saslAuth(again.client, { port: 0, username: 'carol', password: 'secret', mechanism: 'PLAIN' });
        expect(r.answer).to.include('<temporary-auth-failure/>');
        again.client.close();
      } finally {
        await s.stop();
      }
    });

    it('-PLUS with channel-binding data of another connection fails', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      const other = await connectSecure({ port: t.c2sPort });
      // Bind to the other connection's TLS session: a man in the middle would look like this.
      const r = await saslAuth(client, { port: 0, username: 'alice', password: 'wonderland', mechanism: 'SCRAM-SHA-256-PLUS' }).catch((e) => ({ ok: false, answer: String(e) }));
      expect(r.ok).to.equal(true);   // sanity: own binding works
      client.close();
      const { ScramClient, clientChannelBinding, unb64 } = await import('../helpers/scram-client.js');
      const third = await connectSecure({ port: t.c2sPort });
      const scram = new ScramClient({ username: 'alice', password: 'wonderland', algo: 'SHA-256', cb: 'tls-exporter', cbData: clientChannelBinding(other.client.tlsSocket!, 'tls-exporter') });
      third.client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256-PLUS'>${b64(scram.first())}</auth>`);
      const ch = await third.client.expect(/<challenge[^>]*>([^<]+)<\/challenge>/);
      third.client.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(scram.final(unb64(ch[1]!)))}</response>`);
      await third.client.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/>/);
      third.client.close();
      other.client.close();
    });
  });
});
