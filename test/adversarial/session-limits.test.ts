// limits.maxSessionsPerAccount: an account may bind only so many resources at once; one more is refused with
// resource-constraint (RFC 6120 §7.6.2.1), while replacing an existing resource and binding after a logout still work.
import { expect } from 'chai';
import { connectSecure, rawLogin, saslAuth } from '../helpers/login.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('sessions per account', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ limits: { maxSessionsPerAccount: 2 } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });
  after(() => t.stop());

  /** Authenticates and asks to bind `resource`; returns the server's answer to the bind IQ. */
  async function tryBind(resource: string): Promise<{ answer: string; close(): void }> {
    const { client } = await connectSecure({ port: t.c2sPort });
    expect((await saslAuth(client, { port: t.c2sPort, username: 'alice', password: 'pw' })).ok).to.equal(true);
    client.open('localhost');
    await client.expect(/<stream:features>.*?<\/stream:features>/s);
    client.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const m = await client.expect(/<iq\b[^>]*id="b"[^>]*>.*?<\/iq>/s);
    return { answer: m[0], close: () => client.close() };
  }

  it('refuses a third resource with resource-constraint (type wait), not a stream error', async () => {
    const one = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'one' });
    const two = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'two' });
    const three = await tryBind('three');
    expect(three.answer).to.match(/type="error"/);
    expect(three.answer).to.match(/<error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
    // Other accounts are not affected.
    const bob = await rawLogin({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'one' });
    three.close();
    bob.client.close();

    // Binding a resource that is already bound replaces it (kick-old) even at the limit.
    const again = await tryBind('two');
    expect(again.answer).to.match(/<jid>alice@localhost\/two<\/jid>/);
    await two.client.expect(/<conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);

    // After a logout there is room again.
    one.client.send('</stream:stream>');
    await one.client.waitClosed();
    const four = await tryBind('four');
    expect(four.answer).to.match(/<jid>alice@localhost\/four<\/jid>/);
    four.close();
    again.close();
  });
});
