// XEP-0077 In-Band Registration over real sockets: off unless enabled; registration before
// authentication with its rules and rate limit; password change and account deletion afterwards.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSecure, rawLogin, saslAuth } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const NS = 'jabber:iq:register';

const answer = async (c: RawClient, id: string) => (await c.expect(new RegExp(`<iq [^>]*id="${id}"[^>]*?(?:/>|>.*?</iq>)`, 's')))[0];
const registerXml = (id: string, username: string, password: string) =>
  `<iq type='set' id='${id}'><query xmlns='${NS}'><username>${username}</username><password>${password}</password></query></iq>`;

async function canLogin(port: number, username: string, password: string): Promise<boolean> {
  const { client } = await connectSecure({ port });
  try {
    return (await saslAuth(client, { port, username, password })).ok;
  } finally {
    client.close();
  }
}

describe('in-band registration (XEP-0077)', function () {
  describe('when the module is not enabled', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ modules: { disco: {}, ping: {} } });
    });
    after(() => t.stop());

    it('offers no registration feature and closes a pre-auth IQ with not-authorized', async () => {
      const { client, features } = await connectSecure({ port: t.c2sPort });
      expect(features).to.not.include('iq-register');
      client.send(`<iq type='get' id='r0'><query xmlns='${NS}'/></iq>`);
      await client.expect(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
      await client.waitClosed();
    });
  });

  describe('when enabled', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({
        modules: {
          disco: {}, ping: {}, blocking: {},
          register: { username: { minLength: 3 }, password: { minLength: 6 }, rateLimit: { registrations: 100 } },
        },
      });
      await t.addUser('taken', 'secret1');
    });
    after(() => t.stop());

    it('advertises the stream feature after TLS and returns the fields and a data form', async () => {
      const { client, features } = await connectSecure({ port: t.c2sPort });
      try {
        expect(features).to.include('<register xmlns="http://jabber.org/features/iq-register"/>');
        client.send(`<iq type='get' id='g1'><query xmlns='${NS}'/></iq>`);
        const r = await answer(client, 'g1');
        expect(r).to.include('type="result"').and.include('<instructions>').and.include('<username/>').and.include('<password/>');
        expect(r).to.include('<x xmlns="jabber:x:data" type="form">').and.include('<value>jabber:iq:register</value>')
          .and.include('var="username"').and.include('var="password"');
      } finally {
        client.close();
      }
    });

    it('registers an account that can then log in (on the same stream and on a new one)', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      try {
        client.send(registerXml('s1', 'Newbie', 'fresh-pass'));
        expect(await answer(client, 's1')).to.match(/<iq type="result" id="s1"/);
        // One registration per stream.
        client.send(registerXml('s2', 'another', 'fresh-pass'));
        expect(await answer(client, 's2')).to.include('type="error"').and.include('<not-acceptable');
        const auth = await saslAuth(client, { port: t.c2sPort, username: 'newbie', password: 'fresh-pass' });
        expect(auth.ok).to.equal(true);
      } finally {
        client.close();
      }
      const { client: c2, jid } = await rawLogin({ port: t.c2sPort, username: 'newbie', password: 'fresh-pass', resource: 'r' });
      c2.close();
      expect(jid).to.equal('newbie@localhost/r');
    });

    it('accepts the data form instead of the legacy fields', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      try {
        client.send(`<iq type='set' id='x1'><query xmlns='${NS}'><x xmlns='jabber:x:data' type='submit'>`
          + `<field var='FORM_TYPE'><value>jabber:iq:register</value></field>`
          + `<field var='username'><value>formuser</value></field><field var='password'><value>form-pass</value></field></x></query></iq>`);
        expect(await answer(client, 'x1')).to.include('type="result"');
      } finally {
        client.close();
      }
      expect(await canLogin(t.c2sPort, 'formuser', 'form-pass')).to.equal(true);
    });

    it('answers conflict for an existing username and leaves that account alone', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      try {
        client.send(registerXml('c1', 'TAKEN', 'hijacked'));
        expect(await answer(client, 'c1')).to.include('type="error"').and.include('<conflict');
      } finally {
        client.close();
      }
      expect(await canLogin(t.c2sPort, 'taken', 'secret1')).to.equal(true);
    });

    it('answers not-acceptable for bad or missing fields', async () => {
      const { client } = await connectSecure({ port: t.c2sPort });
      try {
        const cases: [string, string, string][] = [
          ['b1', 'ab', 'long-enough'],           // shorter than minLength 3
          ['b2', 'with space', 'long-enough'],   // not a valid localpart
          ['b3', 'emoji☃', 'long-enough'],       // outside the default pattern
          ['b4', 'admin', 'long-enough'],        // reserved
          ['b5', 'shortpw', '12345'],            // password shorter than 6
          ['b6', 'nopass', ''],                  // empty password
        ];
        for (const [id, u, p] of cases) {
          client.send(registerXml(id, u, p));
          expect(await answer(client, id), id).to.include('type="error"').and.include('<not-acceptable');
        }
        client.send(`<iq type='set' id='b7'><query xmlns='${NS}'><password>long-enough</password></query></iq>`);
        expect(await answer(client, 'b7')).to.include('<not-acceptable');
        client.send(`<iq type='set' id='b8'><query xmlns='${NS}'><remove/></query></iq>`);
        expect(await answer(client, 'b8')).to.include('<unexpected-request');
      } finally {
        client.close();
      }
      expect(await canLogin(t.c2sPort, 'shortpw', '12345')).to.equal(false);
    });

    it('changes the password of the logged-in user only', async () => {
      await t.addUser('changer', 'old-pass');
      const { client } = await rawLogin({ port: t.c2sPort, username: 'changer', password: 'old-pass', resource: 'r' });
      try {
        client.send(`<iq type='get' to='localhost' id='p0'><query xmlns='${NS}'/></iq>`);
        expect(await answer(client, 'p0')).to.include('<registered/>').and.include('<username>changer</username>');
        client.send(`<iq type='set' to='localhost' id='p1'><query xmlns='${NS}'><username>taken</username><password>stolen1</password></query></iq>`);
        expect(await answer(client, 'p1')).to.include('type="error"').and.include('<forbidden');
        client.send(`<iq type='set' to='localhost' id='p2'><query xmlns='${NS}'><username>changer</username><password/></query></iq>`);
        expect(await answer(client, 'p2')).to.include('<bad-request');
        client.send(`<iq type='set' to='localhost' id='p3'><query xmlns='${NS}'><username>changer</username><password>tiny</password></query></iq>`);
        expect(await answer(client, 'p3')).to.include('<not-acceptable');
        client.send(`<iq type='set' to='localhost' id='p4'><query xmlns='${NS}'><username>changer</username><password>new-pass</password></query></iq>`);
        expect(await answer(client, 'p4')).to.match(/<iq type="result"[^>]*id="p4"/);
      } finally {
        client.close();
      }
      expect(await canLogin(t.c2sPort, 'changer', 'old-pass')).to.equal(false);
      expect(await canLogin(t.c2sPort, 'changer', 'new-pass')).to.equal(true);
      expect(await canLogin(t.c2sPort, 'taken', 'secret1')).to.equal(true);
    });

    it('cancels: the result comes before the stream closes, the account and its data are gone', async () => {
      await t.addUser('leaver', 'bye-bye');
      const { client } = await rawLogin({ port: t.c2sPort, username: 'leaver', password: 'bye-bye', resource: 'one' });
      const { client: other } = await rawLogin({ port: t.c2sPort, username: 'leaver', password: 'bye-bye', resource: 'two' });
      // Some stored data: a blocklist entry.
      client.send("<iq type='set' id='k1'><block xmlns='urn:xmpp:blocking'><item jid='spam@example.org'/></block></iq>");
      await answer(client, 'k1');
      client.send(`<iq type='set' id='rm0'><query xmlns='${NS}'><remove/><username>leaver</username></query></iq>`);
      expect(await answer(client, 'rm0')).to.include('<bad-request');

      client.send(`<iq type='set' id='rm1'><query xmlns='${NS}'><remove/></query></iq>`);
      const rest = await client.expect(/<iq [^>]*id="rm1"[^>]*\/>(.*)<\/stream:stream>/s);
      expect(rest[0]).to.match(/^<iq type="result"/);
      expect(rest[1]).to.include('<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
      await client.waitClosed();
      await other.expect(/<stream:error><not-authorized/);
      await other.waitClosed();
      expect(await canLogin(t.c2sPort, 'leaver', 'bye-bye')).to.equal(false);

      // Registering the name again starts from nothing: the old blocklist was purged.
      const { client: reg } = await connectSecure({ port: t.c2sPort });
      reg.send(registerXml('rr1', 'leaver', 'new-life'));
      expect(await answer(reg, 'rr1')).to.include('type="result"');
      reg.close();
      const { client: again } = await rawLogin({ port: t.c2sPort, username: 'leaver', password: 'new-life', resource: 'r' });
      try {
        again.send("<iq type='get' id='k2'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
        expect(await answer(again, 'k2')).to.include('<blocklist xmlns="urn:xmpp:blocking"/>');
      } finally {
        again.close();
      }
    });
  });

  describe('rate limit', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ modules: { register: { rateLimit: { registrations: 2, windowSeconds: 600 } } } });
    });
    after(() => t.stop());

    it('refuses more than the allowed registrations per address with resource-constraint', async () => {
      const results: string[] = [];
      for (const name of ['first', 'second', 'third']) {
        const { client } = await connectSecure({ port: t.c2sPort });
        client.send(registerXml('l1', name, 'password-1'));
        results.push(await answer(client, 'l1'));
        client.close();
      }
      expect(results[0]).to.include('type="result"');
      expect(results[1]).to.include('type="result"');
      expect(results[2]).to.include('type="error"').and.include('<resource-constraint').and.include('type="wait"');
      expect(await canLogin(t.c2sPort, 'third', 'password-1')).to.equal(false);
    });
  });
});
