// A real client library (@xmpp/client, SCRAM-SHA-1) logs in over STARTTLS and direct TLS and chats;
// two virtual hosts with their own certificates (SNI) serve one server.
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';

describe('@xmpp/client against Starling', function () {
  let t: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    t = await startTestServer();
    await t.addUser('alice', 'wonderland');
    await t.addUser('bob', 'builder');
  });
  after(async () => {
    for (const c of clients) await c.stop();
    await t.stop();
  });

  it('logs in over STARTTLS and over direct TLS, and the two accounts chat', async () => {
    const alice = await connectClient({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'web' });
    const bob = await connectClient({ port: t.tlsPort, directTls: true, username: 'bob', password: 'builder', resource: 'cli' });
    clients.push(alice, bob);
    expect(alice.jid).to.equal('alice@localhost/web');
    expect(bob.jid).to.equal('bob@localhost/cli');

    await alice.xmpp.send(xml('message', { to: bob.jid, type: 'chat', id: 'hello1' }, xml('body', {}, 'Hello Bob')));
    const got = await bob.waitFor((el) => el.is('message') && el.attrs.id === 'hello1');
    expect(got.attrs.from).to.equal('alice@localhost/web');
    expect(got.getChildText('body')).to.equal('Hello Bob');

    await bob.xmpp.send(xml('message', { to: alice.jid, type: 'chat', id: 'hello2' }, xml('body', {}, 'Hi Alice')));
    const reply = await alice.waitFor((el) => el.attrs.id === 'hello2');
    expect(reply.getChildText('body')).to.equal('Hi Alice');
  });

  it('pings the server and reads disco#info with the iq caller', async () => {
    const c = await connectClient({ port: t.c2sPort, username: 'alice', password: 'wonderland', resource: 'iq' });
    clients.push(c);
    const pong = await c.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }), 'localhost');
    expect(pong).to.equal(undefined);   // an empty result
    const info = await c.xmpp.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'localhost');
    expect(info.getChildren('feature').map((f) => f.attrs.var)).to.include('urn:xmpp:ping');
  });

  it('fails cleanly with a wrong password', async () => {
    let error: Error | null = null;
    try {
      clients.push(await connectClient({ port: t.c2sPort, username: 'alice', password: 'nope' }));
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message ?? '').to.match(/not-authorized/);
  });
});

describe('virtual hosts (multi-tenancy)', function () {
  let t: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    t = await startTestServer({}, ['a.example', 'b.example']);
    await t.addUser('ann', 'pw-a', 'a.example');
    await t.addUser('ben', 'pw-b', 'b.example');
  });
  after(async () => {
    for (const c of clients) await c.stop();
    await t.stop();
  });

  it('serves each host with its own certificate (SNI) and routes between hosts', async () => {
    const ann = await connectClient({ port: t.c2sPort, domain: 'a.example', username: 'ann', password: 'pw-a', resource: 'r' });
    const ben = await connectClient({ port: t.c2sPort, domain: 'b.example', username: 'ben', password: 'pw-b', resource: 'r' });
    clients.push(ann, ben);
    const annSocket = (ann.xmpp as unknown as { socket: { socket: import('node:tls').TLSSocket } }).socket.socket;
    const benSocket = (ben.xmpp as unknown as { socket: { socket: import('node:tls').TLSSocket } }).socket.socket;
    expect(annSocket.getPeerX509Certificate()!.subject).to.include('CN=a.example');
    expect(benSocket.getPeerX509Certificate()!.subject).to.include('CN=b.example');

    await ann.xmpp.send(xml('message', { to: 'ben@b.example/r', type: 'chat', id: 'x1' }, xml('body', {}, 'across hosts')));
    const got = await ben.waitFor((el) => el.attrs.id === 'x1');
    expect(got.attrs.from).to.equal('ann@a.example/r');
  });

  it('keeps accounts apart: ann cannot log in on b.example', async () => {
    let error: Error | null = null;
    try {
      clients.push(await connectClient({ port: t.c2sPort, domain: 'b.example', username: 'ann', password: 'pw-a' }));
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message ?? '').to.match(/not-authorized/);
  });
});
