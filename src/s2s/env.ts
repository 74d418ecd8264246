// What the federation streams need from the server, passed in (no globals).
import tls from 'node:tls';
import type { LoadedConfig } from '../config/schema.js';
import type { VirtualHost } from '../core/host.js';
import type { Router } from '../core/router.js';
import type { Logger } from '../log.js';
import type { CertPair } from '../net/tls.js';
import type { S2SConfig } from './config.js';
import type { DialbackKeys } from './dialback.js';
import type { SrvResolver } from './resolve.js';
import { TrustStore } from './trust.js';

export interface S2SEnv {
  config: LoadedConfig;
  s2s: S2SConfig;
  hosts: ReadonlyMap<string, VirtualHost>;
  router: Router;
  log: Logger;
  keys: DialbackKeys;
  resolver: SrvResolver;
  tls: S2STls;
}

/** Our certificates for s2s, in contexts that also hold the trust anchors used to check the peer's. */
export class S2STls {
  #contexts = new Map<string, tls.SecureContext>();
  #pairs = new Map<string, CertPair>();
  #first: string | null = null;

  readonly trust: TrustStore;

  constructor(readonly anchors: string[], private readonly minVersion: tls.SecureVersion) {
    this.trust = new TrustStore(anchors);
  }

  add(host: string, pair: CertPair): void {
    this.#pairs.set(host, pair);
    this.#contexts.set(host, tls.createSecureContext({ cert: pair.cert, key: pair.key, ca: this.anchors, minVersion: this.minVersion }));
    this.#first ??= host;
  }

  /** The host whose certificate covers `domain` (walking up labels: conference.example.org -> example.org). */
  #hostFor(domain: string | null | undefined): string | null {
    let name = (domain ?? '').toLowerCase();
    while (name) {
      if (this.#contexts.has(name)) return name;
      const dot = name.indexOf('.');
      if (dot < 0) break;
      name = name.slice(dot + 1);
    }
    return this.#first;
  }

  /** Options for accepting TLS (STARTTLS or direct) as the receiving server. */
  serverOptions(domain?: string | null, alpn?: string[]): tls.TlsOptions {
    const host = this.#hostFor(domain);
    const opts: tls.TlsOptions = {
      minVersion: this.minVersion,
      SNICallback: (servername, cb) => cb(null, this.#contexts.get(this.#hostFor(servername) ?? '') ?? undefined),
      requestCert: true,
      rejectUnauthorized: false,
    };
    if (host) {
      opts.secureContext = this.#contexts.get(host);
      const pair = this.#pairs.get(host)!;
      opts.cert = pair.cert;
      opts.key = pair.key;
      opts.ca = this.anchors;
    }
    if (alpn) opts.ALPNProtocols = alpn;
    return opts;
  }

  /** Options for connecting to `remote` as `local`: SNI, the anchors, and our certificate for SASL EXTERNAL. */
  clientOptions(local: string, remote: string, alpn?: string[]): tls.ConnectionOptions {
    const host = this.#hostFor(local);
    const pair = host ? this.#pairs.get(host) : undefined;
    const opts: tls.ConnectionOptions = { servername: remote, ca: this.anchors, minVersion: this.minVersion };
    if (pair) {
      opts.cert = pair.cert;
      opts.key = pair.key;
    }
    if (alpn) opts.ALPNProtocols = alpn;
    return opts;
  }
}
