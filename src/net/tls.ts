// One SecureContext per virtual host, chosen by SNI (falling back from a subdomain such as
// conference.example.com to example.com, then to the first host).
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { serverEndPointBinding } from '../auth/mechanisms.js';

export interface CertPair {
  cert: string;   // PEM (may include the chain)
  key: string;    // PEM
}

export class TlsContexts {
  #contexts = new Map<string, tls.SecureContext>();
  #default: tls.SecureContext | null = null;
  #defaultPair: CertPair | null = null;
  // tls-server-end-point data (RFC 5929) per host, computed once per certificate: reading the certificate back from
  // each socket (getX509Certificate) costs an X509 object and a DER copy per connection, kilobytes on idle sessions.
  #endPoints = new Map<string, Buffer | null>();
  #defaultEndPoint: Buffer | null = null;
  #defaultHost: string | null = null;

  constructor(private readonly minVersion: tls.SecureVersion) {}

  set(host: string, pair: CertPair): void {
    const ctx = tls.createSecureContext({ cert: pair.cert, key: pair.key, minVersion: this.minVersion });
    const endPoint = endPointOf(pair.cert);
    this.#contexts.set(host, ctx);
    this.#endPoints.set(host, endPoint);
    // The first host's certificate answers clients that name no host; a reload of that host replaces it too.
    if (this.#defaultHost === null || this.#defaultHost === host) {
      this.#defaultHost = host;
      this.#default = ctx;
      this.#defaultPair = pair;
      this.#defaultEndPoint = endPoint;
    }
  }

  /** The context for a server name, walking up the labels; the first host's when nothing matches. */
  contextFor(servername: string | undefined | null): tls.SecureContext | null {
    const host = this.#hostFor(servername);
    return host === null ? this.#default : this.#contexts.get(host)!;
  }

  /** tls-server-end-point channel-binding data of the certificate contextFor(servername) presents. */
  endPointFor(servername: string | undefined | null): Buffer | null {
    const host = this.#hostFor(servername);
    return host === null ? this.#defaultEndPoint : this.#endPoints.get(host)!;
  }

  #hostFor(servername: string | undefined | null): string | null {
    if (!servername) return null;
    let name = servername.toLowerCase();
    for (;;) {
      if (this.#contexts.has(name)) return name;
      const dot = name.indexOf('.');
      if (dot < 0) return null;
      name = name.slice(dot + 1);
    }
  }

  /** Options shared by the direct-TLS listener and STARTTLS upgrades. */
  serverOptions(alpn?: string[]): tls.TlsOptions {
    const opts: tls.TlsOptions = {
      minVersion: this.minVersion,
      SNICallback: (servername, cb) => cb(null, this.contextFor(servername) ?? undefined),
    };
    // Clients that send no SNI (e.g. connecting by IP) never reach SNICallback: the first host's
    // certificate answers them. tls.Server needs it as cert/key; a TLSSocket takes the context.
    if (this.#default) opts.secureContext = this.#default;
    if (this.#defaultPair) {
      opts.cert = this.#defaultPair.cert;
      opts.key = this.#defaultPair.key;
    }
    if (alpn) opts.ALPNProtocols = alpn;
    return opts;
  }
}

/** The end-point binding of the leaf (first) certificate of a PEM chain; null when it cannot be parsed. */
function endPointOf(certPem: string): Buffer | null {
  try {
    return serverEndPointBinding(new X509Certificate(certPem).raw);
  } catch {
    return null;
  }
}
