// XEP-0215 external service discovery: STUN/TURN services from the configuration, with TURN
// credentials in coturn's REST-API shared-secret scheme that verify with the secret.
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { errorOf, expectResult, iq } from '../helpers/pep.js';
import { allocate, startCoturn, turnserverInstalled, type Coturn } from '../helpers/turn.js';

const NS = 'urn:xmpp:extdisco:2';
const SECRET = 'north-wind-shared-secret-0123456789';

describe('STUN/TURN discovery (XEP-0215)', function () {
  let t: TestServer;
  let alice: TestClient;

  before(async () => {
    t = await startTestServer({
      modules: {
        disco: {}, ping: {},
        extdisco: {
          services: [
            { type: 'stun', host: 'stun.example.org', port: 3478, transport: 'udp' },
            { type: 'turn', host: 'turn.example.org', port: 3478, transport: 'udp', secret: SECRET, ttlSeconds: 3600 },
            { type: 'turns', host: 'turn.example.org', port: 5349, transport: 'tcp', secret: SECRET },
          ],
        },
      },
    });
    await t.addUser('alice', 'pw');
    alice = await connectClient({ port: t.c2sPort, username: 'alice', password: 'pw' });
  });
  after(async () => {
    await alice?.stop();
    await t.stop();
  });

  it('announces urn:xmpp:extdisco:2', async () => {
    const q = expectResult(await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", 'localhost')).getChild('query')!;
    expect(q.getChildren('feature').map((f) => f.attrs.var)).to.include(NS);
  });

  it('lists the services; TURN credentials expire and verify with the shared secret (coturn use-auth-secret)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const services = expectResult(await iq(alice, 'get', `<services xmlns='${NS}'/>`, 'localhost')).getChild('services', NS)!.getChildren('service');
    expect(services.map((s) => `${s.attrs.type}:${s.attrs.host}:${s.attrs.port}`)).to.deep.equal(['stun:stun.example.org:3478', 'turn:turn.example.org:3478', 'turns:turn.example.org:5349']);
    const stun = services[0]!;
    expect(stun.attrs.username).to.equal(undefined);
    const turn = services[1]!;
    const [expiry, user] = turn.attrs.username!.split(':');
    expect(user).to.equal('alice@localhost');
    expect(Number(expiry)).to.be.within(before + 3600, before + 3602);
    expect(new Date(turn.attrs.expires!).getTime() / 1000).to.equal(Number(expiry));
    expect(turn.attrs.restricted).to.equal('1');
    // What a TURN server with static-auth-secret computes for this username:
    expect(turn.attrs.password).to.equal(createHmac('sha1', SECRET).update(turn.attrs.username!).digest('base64'));
    expect(turn.attrs.password).to.not.equal(createHmac('sha1', 'another secret').update(turn.attrs.username!).digest('base64'));
  });

  it('filters by type and hands out credentials for one service', async () => {
    const turns = expectResult(await iq(alice, 'get', `<services xmlns='${NS}' type='turns'/>`, 'localhost')).getChild('services')!.getChildren('service');
    expect(turns.map((s) => s.attrs.type)).to.deep.equal(['turns']);
    const creds = expectResult(await iq(alice, 'get', `<credentials xmlns='${NS}'><service type='turn' host='turn.example.org'/></credentials>`, 'localhost'));
    const s = creds.getChild('credentials', NS)!.getChild('service')!;
    expect(s.attrs.password).to.equal(createHmac('sha1', SECRET).update(s.attrs.username!).digest('base64'));
    const missing = await iq(alice, 'get', `<credentials xmlns='${NS}'><service type='turn' host='nope.example.org'/></credentials>`, 'localhost');
    expect(errorOf(missing).condition).to.equal('item-not-found');
  });
});

describe('TURN credentials against a real TURN server (coturn use-auth-secret)', function () {
  this.timeout(20_000);
  let t: TestServer;
  let alice: TestClient;
  let coturn: Coturn | undefined;

  before(async function () {
    // coturn comes from the distribution's package (apt-get install coturn); without it there is nothing to run.
    if (!turnserverInstalled()) {
      if (process.env.STARLING_CI) throw new Error('turnserver is missing: .ci/run installs it with apt-get install -y coturn');
      this.skip();
    }
    coturn = await startCoturn(SECRET);
    t = await startTestServer({
      modules: { disco: {}, ping: {}, extdisco: { services: [{ type: 'turn', host: '127.0.0.1', port: coturn.port, transport: 'udp', secret: SECRET, ttlSeconds: 600 }] } },
    });
    await t.addUser('alice', 'pw');
    alice = await connectClient({ port: t.c2sPort, username: 'alice', password: 'pw' });
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await coturn?.stop();
  });

  it('the credentials handed out over XMPP allocate a relay; altered ones are refused with 401', async () => {
    const s = expectResult(await iq(alice, 'get', `<services xmlns='${NS}' type='turn'/>`, 'localhost')).getChild('services')!.getChild('service')!;
    expect(await allocate(coturn!.port, s.attrs.username!, s.attrs.password!)).to.equal('allocated');
    expect(await allocate(coturn!.port, s.attrs.username!, createHmac('sha1', 'wrong secret').update(s.attrs.username!).digest('base64'))).to.equal(401);
    const [expiry, user] = s.attrs.username!.split(':');
    const longer = `${Number(expiry) + 3600}:${user}`;   // a user cannot extend its own credentials
    expect(await allocate(coturn!.port, longer, s.attrs.password!)).to.equal(401);
  });
});
