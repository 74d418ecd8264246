// Federation tests: Starling instances on their own loopback addresses (port 5269 each, as in production), with a
// test-only DNS (an injected resolver that knows the test names and, optionally, SRV records).
import type dns from 'node:dns';
import path from 'node:path';
import type { SrvResolver } from '../../src/s2s/index.js';
import { CERT_DIR } from '../fixtures/make-certs.js';
import { startTestServer, type TestServer } from './server.js';

export const TEST_CA = path.join(CERT_DIR, 'ca.crt');

/** A resolver for the test names: A records from `addresses`, SRV records from `srv`; everything else NXDOMAIN. */
export function testResolver(addresses: Record<string, string>, srv: Record<string, dns.SrvRecord[]> = {}): SrvResolver & { srvQueries: string[] } {
  const srvQueries: string[] = [];
  const nx = (name: string) => Object.assign(new Error(`queryXXX ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return {
    srvQueries,
    async resolveSrv(name) {
      srvQueries.push(name);
      const r = srv[name];
      if (!r) throw nx(name);
      return r;
    },
    async addresses(host) {
      if (/^[\d.]+$/.test(host) || host.includes(':')) return [host];
      const a = addresses[host];
      if (!a) throw nx(host);
      return [a];
    },
  };
}

export interface FederatedServer extends TestServer {
  domain: string;
  address: string;
}

/** A Starling serving `domain` with an s2s listener on address:5269 (plus c2s on 127.0.0.1 ephemeral ports). */
export async function startFederated(domain: string, address: string, s2s: Record<string, unknown>, resolver: SrvResolver, extra: Record<string, unknown> = {}): Promise<FederatedServer> {
  const t = await startTestServer({
    listen: [
      { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'starttls' },
      { service: 's2s', address, port: 5269 },
    ],
    s2s,
    ...extra,
  }, [domain], { resolver });
  return Object.assign(t, { domain, address });
}
