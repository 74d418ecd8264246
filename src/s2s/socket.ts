// The byte channel under an s2s or component stream: TCP, upgraded by STARTTLS in either role (we accept as the
// receiving server, or connect as the initiating one), or TLS from the first byte (XEP-0368). Unlike the c2s
// transport it asks for and keeps the peer's certificate, which XEP-0178 authentication needs.
import net from 'node:net';
import tls from 'node:tls';
import type { Element } from 'ltx';
import { serialize } from '../xml/serialize.js';
import { StreamSocket, type StreamSocketHandlers } from '../net/stream-socket.js';

export type SocketHandlers = StreamSocketHandlers;

/** What TLS established: whether the peer's chain verified against our anchors, and its leaf certificate. */
export interface PeerTls {
  authorized: boolean;
  certificate: tls.PeerCertificate | null;
}

/** Checks a presented chain (leaf first, DER) against the trust anchors. */
export type ChainVerifier = (chain: Buffer[]) => boolean;

/** The stanza namespace of the stream: stanzas carrying it (or the client namespace) are written without xmlns. */
type StreamNs = 'jabber:server' | 'jabber:component:accept';
const CLIENT = 'jabber:client';

export class S2SSocket extends StreamSocket {
  #peer: PeerTls | null = null;

  constructor(socket: net.Socket, private readonly streamNs: StreamNs, private readonly verifyChain: ChainVerifier = () => false) {
    super(socket);
  }

  /** The peer's certificate and whether its chain verifies (computed once per TLS session). */
  peerTls(): PeerTls | null {
    const s = this.socket;
    if (!(s instanceof tls.TLSSocket)) return null;
    if (this.#peer) return this.#peer;
    const cert = s.getPeerCertificate(true);
    if (!cert || Object.keys(cert).length === 0) return (this.#peer = { authorized: false, certificate: null });
    const chain: Buffer[] = [];
    for (let c: tls.DetailedPeerCertificate | undefined = cert; c && chain.length < 10; c = c.issuerCertificate) {
      if (chain.length > 0 && c.raw.equals(chain[chain.length - 1]!)) break;   // a self-signed root points at itself
      chain.push(c.raw);
    }
    return (this.#peer = { authorized: this.verifyChain(chain), certificate: cert });
  }

  /** Writes an element; a stanza in the client namespace goes out in the stream's (the element is not changed). */
  writeElement(el: Element): void {
    const ns = el.attrs.xmlns;
    if ((ns === CLIENT || ns === this.streamNs) && (el.name === 'message' || el.name === 'presence' || el.name === 'iq')) {
      delete el.attrs.xmlns;
      try {
        this.write(serialize(el));
      } finally {
        el.attrs.xmlns = ns;
      }
      return;
    }
    this.write(serialize(el));
  }

  /** STARTTLS as the receiving server (after writing <proceed/>): asks for the peer's certificate, never rejects it
   *  at the TLS layer (authentication decides what an unverified certificate means). */
  startTlsServer(options: tls.TlsOptions): Promise<void> {
    if (this.secure) return Promise.reject(new Error('TLS is already on'));
    return this.upgrade((raw) => new tls.TLSSocket(raw, { ...options, isServer: true, requestCert: true, rejectUnauthorized: false }), 'secure');
  }

  /** STARTTLS as the initiating server (after reading <proceed/>): SNI is the peer's domain; our certificate is
   *  presented for SASL EXTERNAL. */
  startTlsClient(options: tls.ConnectionOptions): Promise<void> {
    if (this.secure) return Promise.reject(new Error('TLS is already on'));
    return this.upgrade((raw) => tls.connect({ ...options, socket: raw, rejectUnauthorized: false }), 'secureConnect');
  }
}
