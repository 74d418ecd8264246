// /metrics (OpenMetrics), /health and /ready over real HTTP, with values that change under real client traffic.
import { expect } from 'chai';
import { startWebServer, type WebTestServer } from '../helpers/web-server.js';
import { rawLogin } from '../helpers/login.js';

const MODULES = { disco: {}, roster: {}, presence: {}, message: {}, offline: {}, metrics: {}, muc: { lockNewRooms: false }, mam: {} };

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return NaN;
}

describe('metrics and health', function () {
  this.timeout(30_000);
  let t: WebTestServer;
  const scrape = async () => {
    const res = await fetch(`${t.httpUrl}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/openmetrics-text; version=1\.0\.0/);
    return res.text();
  };

  before(async () => {
    t = await startWebServer(MODULES, { http: { trustProxy: true } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });
  after(() => t.stop());

  it('exposes OpenMetrics text whose values follow the traffic, without JIDs', async () => {
    const before = await scrape();
    expect(before.trimEnd().endsWith('# EOF')).to.equal(true);
    expect(before).to.include('# TYPE starling_logins counter');
    expect(sample(before, 'starling_sessions', { host: 'localhost' })).to.equal(0);

    const a = await rawLogin({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'a' });
    const b = await rawLogin({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'b' });
    await rawLogin({ port: t.c2sPort, username: 'bob', password: 'wrong' }).catch(() => undefined);
    // One at a time: routing latency is sampled one stanza in flight at a time, so each of these is timed.
    for (let i = 0; i < 5; i++) {
      a.client.send(`<message to='bob@localhost/b' id='m${i}'><body>hi ${i}</body></message>`);
      await b.client.expect(new RegExp(`id="m${i}"`));
    }

    const after = await scrape();
    expect(sample(after, 'starling_sessions', { host: 'localhost' })).to.equal(2);
    expect(sample(after, 'starling_connections', { kind: 'c2s' })).to.be.at.least(2);
    expect(sample(after, 'starling_connections', { kind: 's2s' })).to.equal(0);
    expect(sample(after, 'starling_logins_total', { host: 'localhost', result: 'ok' })).to.equal(2);
    expect(sample(after, 'starling_logins_total', { host: 'localhost', result: 'failed' })).to.equal(1);
    expect(sample(after, 'starling_stanzas_received_total', { host: 'localhost', kind: 'message' })).to.equal(5);
    expect(sample(after, 'starling_stanzas_delivered_total', { host: 'localhost', kind: 'message' })).to.equal(5);
    expect(sample(after, 'starling_routing_seconds_count')).to.be.at.least(5);
    expect(sample(after, 'starling_routing_seconds_bucket', { le: '+Inf' })).to.equal(sample(after, 'starling_routing_seconds_count'));
    expect(sample(after, 'starling_memory_bytes', { kind: 'rss' })).to.be.greaterThan(0);
    expect(sample(after, 'starling_event_loop_lag_seconds', { stat: 'p99' })).to.be.at.least(0);
    expect(sample(after, 'starling_uptime_seconds')).to.be.at.least(0);
    expect(after).not.to.match(/alice|bob/);

    // Stored messages: five 1:1 messages archived on both sides; one to an offline account waits in offline storage.
    expect(sample(after, 'starling_archived_messages', { host: 'localhost' })).to.equal(10);
    expect(sample(after, 'starling_offline_messages', { host: 'localhost' })).to.equal(0);
    await t.addUser('carol', 'pw');
    a.client.send("<message to='carol@localhost' type='chat' id='off1'><body>later</body></message>");
    a.client.send("<iq type='get' to='localhost' id='sync2'><ping xmlns='urn:xmpp:ping'/></iq>");
    await a.client.expect(/id="sync2"/);
    const stored = await scrape();
    expect(sample(stored, 'starling_offline_messages', { host: 'localhost' })).to.equal(1);
    expect(sample(stored, 'starling_archived_messages', { host: 'localhost' })).to.equal(12);   // both sides again

    // Rooms and occupants of the MUC service follow joins.
    expect(sample(after, 'starling_muc_rooms', { host: 'localhost' })).to.equal(0);
    a.client.send("<presence to='metrics@conference.localhost/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    await a.client.expect(/<presence [^>]*from="metrics@conference.localhost\/alice"/);
    const withRoom = await scrape();
    expect(sample(withRoom, 'starling_muc_rooms', { host: 'localhost' })).to.equal(1);
    expect(sample(withRoom, 'starling_muc_occupants', { host: 'localhost' })).to.equal(1);
    a.client.close();
    b.client.close();
  });

  it('refuses /metrics to non-loopback clients by default', async () => {
    const res = await fetch(`${t.httpUrl}/metrics`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    expect(res.status).to.equal(403);
  });

  it('/health is live and /ready checks storage and listeners', async () => {
    const h = await fetch(`${t.httpUrl}/health`);
    expect(h.status).to.equal(200);
    expect(await h.json()).to.deep.equal({ status: 'ok' });
    const r = await fetch(`${t.httpUrl}/ready`);
    expect(r.status).to.equal(200);
    expect(await r.json()).to.deep.equal({ status: 'ready', checks: { storage: 'ok', listeners: 'ok' } });
  });
});
