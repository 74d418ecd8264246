// Federation building blocks without sockets: SRV ordering and fallback (RFC 2782, XEP-0368), static routes,
// dialback keys (XEP-0185), and certificate chains against the trust anchors (XEP-0178).
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { orderSrv, parseRoute, resolveTargets, ServiceUnavailable } from '../../src/s2s/resolve.js';
import { DialbackKeys } from '../../src/s2s/dialback.js';
import { TrustStore } from '../../src/s2s/trust.js';
import { generateSelfSigned } from '../../src/net/certs.js';
import { testResolver } from '../helpers/s2s.js';
import { CERT_DIR, ensureTestCerts } from '../fixtures/make-certs.js';

const srv = (name: string, port: number, priority: number, weight: number) => ({ name, port, priority, weight });

describe('s2s resolution', () => {
  it('falls back to the domain on 5269 when there are no SRV records, after asking for both services', async () => {
    const r = testResolver({});
    expect(await resolveTargets('example.org', {}, r)).to.deep.equal([{ host: 'example.org', port: 5269, directTls: false }]);
    expect(r.srvQueries).to.have.members(['_xmpps-server._tcp.example.org', '_xmpp-server._tcp.example.org']);
  });

  it('merges _xmpps-server (direct TLS) and _xmpp-server records by priority', async () => {
    const r = testResolver({}, {
      '_xmpps-server._tcp.example.org': [srv('tls.example.org', 5270, 5, 0)],
      '_xmpp-server._tcp.example.org': [srv('b.example.org', 5269, 20, 0), srv('a.example.org', 5269, 10, 0)],
    });
    const t = await resolveTargets('example.org', {}, r);
    expect(t).to.deep.equal([
      { host: 'tls.example.org', port: 5270, directTls: true },
      { host: 'a.example.org', port: 5269, directTls: false },
      { host: 'b.example.org', port: 5269, directTls: false },
    ]);
  });

  it('treats a lone "." target as "no service" (RFC 2782)', async () => {
    const r = testResolver({}, { '_xmpp-server._tcp.example.org': [srv('.', 0, 0, 0)] });
    let err: unknown;
    try {
      await resolveTargets('example.org', {}, r);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ServiceUnavailable);
  });

  it('uses a static route before DNS', async () => {
    const r = testResolver({});
    expect(await resolveTargets('example.org', { 'example.org': '10.1.2.3:5999' }, r)).to.deep.equal([{ host: '10.1.2.3', port: 5999, directTls: false }]);
    expect(r.srvQueries).to.deep.equal([]);
    expect(parseRoute('[::1]:5270')).to.deep.equal({ host: '::1', port: 5270, directTls: false });
    expect(parseRoute('xmpp.example.org')).to.deep.equal({ host: 'xmpp.example.org', port: 5269, directTls: false });
  });

  it('orders equal priorities by weight (RFC 2782 weighted draw)', () => {
    const records = [srv('light', 1, 0, 10), srv('heavy', 1, 0, 90)];
    let heavyFirst = 0;
    for (let i = 0; i < 100; i++) {
      const r = (i + 0.5) / 100;   // an even spread of draws instead of Math.random
      if (orderSrv(records, () => r)[0]!.name === 'heavy') heavyFirst++;
    }
    expect(heavyFirst).to.be.within(85, 93);
    expect(orderSrv([srv('x', 1, 2, 0), srv('y', 1, 1, 0)]).map((s) => s.name)).to.deep.equal(['y', 'x']);
  });
});

describe('dialback keys (XEP-0185)', () => {
  const keys = new DialbackKeys(Buffer.from('server secret'));
  it('verifies its own keys and nothing else', () => {
    const k = keys.make('b.example', 'a.example', 'stream1');
    expect(k).to.match(/^[0-9a-f]{64}$/);
    expect(keys.check('b.example', 'a.example', 'stream1', k)).to.equal(true);
    expect(keys.check('b.example', 'a.example', 'stream2', k)).to.equal(false);
    expect(keys.check('c.example', 'a.example', 'stream1', k)).to.equal(false);
    expect(keys.check('b.example', 'a.example', 'stream1', 'forged')).to.equal(false);
    expect(new DialbackKeys(Buffer.from('other')).check('b.example', 'a.example', 'stream1', k)).to.equal(false);
  });
});

describe('s2s trust store (XEP-0178 chains)', () => {
  ensureTestCerts();
  const ca = fs.readFileSync(path.join(CERT_DIR, 'ca.crt'), 'utf8');
  const leaf = new X509Certificate(fs.readFileSync(path.join(CERT_DIR, 'a.example.crt'))).raw;

  it('accepts a chain to a configured anchor and refuses it without that anchor', () => {
    expect(new TrustStore([ca]).verify([leaf])).to.equal(true);
    expect(new TrustStore([]).verify([leaf])).to.equal(false);
  });

  it('refuses a self-signed certificate unless it is itself configured (pinned) as an anchor', () => {
    const self = generateSelfSigned('a.example');
    const raw = new X509Certificate(self.cert).raw;
    expect(new TrustStore([ca]).verify([raw])).to.equal(false);
    expect(new TrustStore([self.cert]).verify([raw])).to.equal(true);
  });

  it('refuses a chain whose leaf was not signed by the anchor it names', () => {
    const other = generateSelfSigned('Starling Test CA');   // same subject as the test CA, different key
    expect(new TrustStore([other.cert]).verify([leaf])).to.equal(false);
  });

  it('refuses an expired chain', () => {
    expect(new TrustStore([ca]).verify([leaf], new Date(Date.now() + 100 * 365 * 24 * 3600 * 1000))).to.equal(false);
  });
});
