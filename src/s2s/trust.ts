// Peer certificates (XEP-0178, RFC 6125): the chain must verify against the trust anchors (Node's CA store, the
// system bundle when present, and s2s.caFiles) and name the domain, checked with Node's own checkServerIdentity.
// The chain is checked here with X509Certificate (signature, issuer, validity, CA flag), the same way for both
// directions: a TLSSocket accepting STARTTLS outside a tls.Server never computes `authorized` itself.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import type { PeerTls } from './socket.js';

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

/** PEM certificates trusted for s2s: Node's store, the first system bundle found, and the configured files. */
export function loadTrustAnchors(caFiles: readonly string[]): string[] {
  const anchors = [...tls.rootCertificates];
  const system = SYSTEM_BUNDLES.find((f) => fs.existsSync(f));
  if (system) anchors.push(fs.readFileSync(system, 'utf8'));
  for (const f of caFiles) {
    try {
      anchors.push(fs.readFileSync(f, 'utf8'));
    } catch (err) {
      throw new Error(`s2s.caFiles: cannot read ${f}: ${(err as Error).message}`);
    }
  }
  return anchors;
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The anchors as parsed certificates (unparseable entries are skipped). */
export class TrustStore {
  readonly #anchors: X509Certificate[] = [];

  constructor(pems: readonly string[]) {
    for (const bundle of pems) {
      for (const pem of splitPem(bundle)) {
        try {
          this.#anchors.push(new X509Certificate(pem));
        } catch { /* not a certificate we can use */ }
      }
    }
  }

  get size(): number {
    return this.#anchors.length;
  }

  /** Whether the presented chain (leaf first) leads to an anchor, every link signed by the next and in date. */
  verify(chain: readonly Buffer[], now = new Date()): boolean {
    if (chain.length === 0) return false;
    let cert: X509Certificate;
    let presented: X509Certificate[];
    try {
      cert = new X509Certificate(chain[0]!);
      presented = chain.slice(1).map((c) => new X509Certificate(c));
    } catch {
      return false;
    }
    const inDate = (c: X509Certificate) => new Date(c.validFrom) <= now && now <= new Date(c.validTo);
    const signs = (issuer: X509Certificate, c: X509Certificate) => issuer.ca && c.checkIssued(issuer) && c.verify(issuer.publicKey);
    for (let depth = 0; depth < 10; depth++) {
      if (!inDate(cert)) return false;
      // A certificate that is itself an anchor is trusted (OpenSSL does the same: a pinned self-signed peer certificate).
      if (this.#anchors.some((a) => a.fingerprint256 === cert.fingerprint256)) return true;
      const anchor = this.#anchors.find((a) => signs(a, cert));
      if (anchor) return inDate(anchor);
      const next = presented.find((p) => p.fingerprint256 !== cert.fingerprint256 && signs(p, cert));
      if (!next) return false;
      cert = next;
    }
    return false;
  }
}

export type CertStatus = 'valid' | 'untrusted' | 'name-mismatch' | 'none';

/** Whether TLS proved the peer is `domain`: a chain to our anchors and a DNS name (wildcards included) for it. */
export function certStatus(peer: PeerTls | null, domain: string): CertStatus {
  if (!peer || !peer.certificate) return 'none';
  if (!peer.authorized) return 'untrusted';
  return tls.checkServerIdentity(domain, peer.certificate) === undefined ? 'valid' : 'name-mismatch';
}
