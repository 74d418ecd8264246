// Resource binding, routing between sessions, IQ rules and the first modules, over raw sockets.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

describe('c2s: binding and stanzas', function () {
  let t: TestServer;
  let alice: RawClient;
  let aliceJid: string;
  let bob: RawClient;
  let bobJid: string;

  before(async () => {
    t = await startTestServer();
    await t.addUser('alice', 'wonderland');
    await t.addUser('bob', 'builder');
    ({ client: alice, jid: aliceJid } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'laptop' }));
    ({ client: bob, jid: bobJid } = await rawLogin({ port: t.tlsPort, directTls: true, username: 'bob', password: 'builder', resource: 'phone' }));
  });
  after(async () => {
    alice.close();
    bob.close();
    await t.stop();
  });

  describe('resource binding', () => {
    it('binds the requested resource', () => {
      expect(aliceJid).to.equal('alice@localhost/laptop');
      expect(bobJid).to.equal('bob@localhost/phone');
    });

    it('generates a resource when none is asked for', async () => {
      const { client, jid } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland' });
      expect(jid).to.match(/^alice@localhost\/starling-[0-9a-f]{12}$/);
      client.close();
    });

    it('replaces the old session on conflict; the old one gets a conflict stream error', async () => {
      const first = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'dup' });
      const second = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'dup' });
      expect(second.jid).to.equal('alice@localhost/dup');
      await first.client.expect(/<stream:error><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>.*<\/stream:error><\/stream:stream>/s);
      await first.client.waitClosed();
      // The new session is the one that receives.
      bob.send("<message to='alice@localhost/dup' type='chat' id='d1'><body>to the new one</body></message>");
      await second.client.expect(/<message[^>]*id="d1"[^>]*>.*to the new one/s);
      second.client.close();
    });

    it('rejects a second bind with not-allowed', async () => {
      alice.send("<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
      await alice.expect(/<iq type="error" id="b2"[^>]*>.*<not-allowed/s);
    });

    it('answers the legacy session IQ with a result', async () => {
      alice.send("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
      await alice.expect(/<iq type="result" id="s1"/);
    });
  });

  describe('routing', () => {
    it('delivers a message to a full JID with from stamped by the server', async () => {
      alice.send("<message to='bob@localhost/phone' type='chat' id='m1'><body>Hi Bob ✓</body></message>");
      const m = await bob.expect(/<message [^>]*id="m1"[^>]*>.*?<\/message>/s);
      expect(m[0]).to.include('from="alice@localhost/laptop"').and.include('<body>Hi Bob ✓</body>');
    });

    it('overwrites a from that names the sender bare JID', async () => {
      alice.send("<message from='alice@localhost' to='bob@localhost/phone' id='m2'><body>x</body></message>");
      const m = await bob.expect(/<message [^>]*id="m2"[^>]*>/);
      expect(m[0]).to.include('from="alice@localhost/laptop"');
    });

    it('answers a message to an offline user with service-unavailable (until offline storage exists)', async () => {
      alice.send("<message to='nobody@localhost' type='chat' id='m3'><body>x</body></message>");
      const m = await alice.expect(/<message [^>]*id="m3"[^>]*>.*?<\/message>/s);
      expect(m[0]).to.include('type="error"').and.include('<service-unavailable');
    });

    it('answers a malformed to with jid-malformed', async () => {
      alice.send("<message to='a@b@c/' id='m4'><body>x</body></message>");
      const m = await alice.expect(/<message [^>]*id="m4"[^>]*>.*?<\/message>/s);
      expect(m[0]).to.include('<jid-malformed');
    });

    it('answers a remote domain with remote-server-not-found while federation is off', async () => {
      alice.send("<message to='someone@elsewhere.example' id='m5'><body>x</body></message>");
      const m = await alice.expect(/<message [^>]*id="m5"[^>]*>.*?<\/message>/s);
      expect(m[0]).to.include('<remote-server-not-found');
    });

    it('never answers an error with an error', async () => {
      alice.send("<message to='nobody@localhost' type='error' id='m6'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
      alice.send("<iq type='get' id='after-m6' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
      await alice.expect(/<iq [^>]*id="after-m6"/);
      expect(alice.buffer).not.to.include('m6');
    });

    it('delivers an IQ to a full JID and routes the result back', async () => {
      alice.send("<iq type='get' to='bob@localhost/phone' id='q1'><query xmlns='jabber:iq:version'/></iq>");
      await bob.expect(/<iq [^>]*id="q1"[^>]*>/);
      bob.send("<iq type='result' to='alice@localhost/laptop' id='q1'><query xmlns='jabber:iq:version'><name>bot</name></query></iq>");
      const r = await alice.expect(/<iq [^>]*id="q1"[^>]*>.*?<\/iq>/s);
      expect(r[0]).to.include('from="bob@localhost/phone"').and.include('<name>bot</name>');
    });

    it('answers an IQ to an offline full JID with service-unavailable', async () => {
      alice.send("<iq type='get' to='bob@localhost/gone' id='q2'><ping xmlns='urn:xmpp:ping'/></iq>");
      await alice.expect(/<iq [^>]*id="q2"[^>]*>.*<service-unavailable/s);
    });

    it('refuses a spoofed from with an invalid-from stream error', async () => {
      const { client } = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'spoofer' });
      client.send("<message from='bob@localhost/phone' to='bob@localhost/phone'><body>I am Bob</body></message>");
      await client.expect(/<stream:error><invalid-from xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await client.waitClosed();
      expect(bob.buffer).not.to.include('I am Bob');
    });
  });

  describe('IQ rules', () => {
    it('answers an unknown namespace with service-unavailable', async () => {
      alice.send("<iq type='get' to='localhost' id='i1'><query xmlns='urn:example:nothing'/></iq>");
      const r = await alice.expect(/<iq [^>]*id="i1"[^>]*>.*?<\/iq>/s);
      expect(r[0]).to.include('type="error"').and.include('<service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    });

    it('answers a get with two children with bad-request', async () => {
      alice.send("<iq type='get' to='localhost' id='i2'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/></iq>");
      await alice.expect(/<iq [^>]*id="i2"[^>]*>.*<bad-request/s);
    });

    it('answers an IQ without id or with a bad type with bad-request', async () => {
      alice.send("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
      await alice.expect(/<iq [^>]*type="error"[^>]*>.*<bad-request/s);
      alice.send("<iq type='fetch' to='localhost' id='i3'><ping xmlns='urn:xmpp:ping'/></iq>");
      await alice.expect(/<iq [^>]*id="i3"[^>]*>.*<bad-request/s);
    });

    it('does not answer a result sent to the server', async () => {
      alice.send("<iq type='result' to='localhost' id='i4'/>");
      alice.send("<iq type='get' to='localhost' id='i5'><ping xmlns='urn:xmpp:ping'/></iq>");
      await alice.expect(/<iq [^>]*id="i5"/);
      expect(alice.buffer).not.to.include('i4');
    });
  });

  describe('first modules', () => {
    it('XEP-0199: answers a ping to the server', async () => {
      alice.send("<iq type='get' to='localhost' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
      const r = await alice.expect(/<iq [^>]*id="p1"[^>]*\/>/);
      expect(r[0]).to.include('type="result"').and.include('from="localhost"').and.include('to="alice@localhost/laptop"');
    });

    it('XEP-0030: lists identity and the features of loaded modules', async () => {
      alice.send("<iq type='get' to='localhost' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
      const r = await alice.expect(/<iq [^>]*id="d1"[^>]*>.*?<\/iq>/s);
      expect(r[0]).to.include('<identity category="server" type="im" name="Starling"/>');
      for (const f of ['urn:xmpp:ping', 'jabber:iq:version', 'urn:xmpp:time', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items']) {
        expect(r[0]).to.include(`<feature var="${f}"/>`);
      }
      alice.send("<iq type='get' to='localhost' id='d2'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
      // The default modules announce their services as items, the MUC service (modules/muc) among them.
      await alice.expect(/<iq [^>]*id="d2"[^>]*><query xmlns="http:\/\/jabber.org\/protocol\/disco#items">(?:(?!<\/query>).)*<item jid="conference.localhost" name="Chatrooms"\/>.*?<\/query>/s);
      alice.send("<iq type='get' to='localhost' id='d3'><query xmlns='http://jabber.org/protocol/disco#info' node='nope'/></iq>");
      await alice.expect(/<iq [^>]*id="d3"[^>]*>.*<item-not-found/s);
    });

    it('XEP-0092: reports name and version but not the OS by default', async () => {
      alice.send("<iq type='get' to='localhost' id='v1'><query xmlns='jabber:iq:version'/></iq>");
      const r = await alice.expect(/<iq [^>]*id="v1"[^>]*>.*?<\/iq>/s);
      expect(r[0]).to.match(/<name>Starling<\/name><version>\d+\.\d+\.\d+<\/version><\/query>/);
    });

    it('XEP-0202: reports UTC time', async () => {
      alice.send("<iq type='get' to='localhost' id='t1'><time xmlns='urn:xmpp:time'/></iq>");
      const r = await alice.expect(/<iq [^>]*id="t1"[^>]*>.*?<\/iq>/s);
      const utc = r[0].match(/<utc>([^<]+)<\/utc>/)![1]!;
      expect(r[0]).to.include('<tzo>+00:00</tzo>');
      expect(Math.abs(Date.parse(utc) - Date.now())).to.be.below(5000);
    });
  });
});
