// One SecureContext per virtual host, chosen by SNI (falling back from a subdomain such as
// conference.example.com to example.com, then to the first host).
import tls from 'node:tls';

export interface CertPair {
  cert: string;   // PEM (may include the chain)
  key: string;    // PEM
}

export class TlsContexts {
  #contexts = new Map<string, tls.SecureContext>();
  #default: tls.SecureContext | null = null;
  #defaultPair: CertPair | null = null;

  constructor(private readonly minVersion: tls.SecureVersion) {}

  set(host: string, pair: CertPair): void {
    const ctx = tls.createSecureContext({ cert: pair.cert, key: pair.key, minVersion: this.minVersion });
    this.#contexts.set(host, ctx);
    this.#default ??= ctx;
    this.#defaultPair ??= pair;
  }

  /** The context for a server name, walking up the labels; the first host's when nothing matches. */
  contextFor(servername: string | undefined): tls.SecureContext | null {
    if (servername) {
      let name = servername.toLowerCase();
      for (;;) {
        const ctx = this.#contexts.get(name);
        if (ctx) return ctx;
        const dot = name.indexOf('.');
        if (dot < 0) break;
        name = name.slice(dot + 1);
      }
    }
    return this.#default;
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
