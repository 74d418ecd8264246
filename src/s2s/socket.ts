// The byte channel under an s2s or component stream: TCP, upgraded by STARTTLS in either role (we accept as the
// receiving server, or connect as the initiating one), or TLS from the first byte (XEP-0368). Unlike the c2s
// transport it asks for and keeps the peer's certificate, which XEP-0178 authentication needs.
import net from 'node:net';
import tls from 'node:tls';
import type { Element } from 'ltx';
import { serialize } from '../xml/serialize.js';
import { escapeAttr } from '../net/standalone.js';
import { scheduleFlush } from '../net/flush.js';

export interface SocketHandlers {
  data(chunk: Buffer): void;
  closed(reason: string): void;
}

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

export class S2SSocket {
  #socket: net.Socket;
  #handlers: SocketHandlers | null = null;
  #closed = false;
  #out = '';
  #scheduled = false;
  readonly remoteAddress: string;

  constructor(socket: net.Socket, private readonly streamNs: StreamNs, private readonly verifyChain: ChainVerifier = () => false) {
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    socket.setNoDelay(true);
    this.#attach(socket);
  }

  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength + this.#out.length;
  }

  #peer: PeerTls | null = null;

  /** The peer's certificate and whether its chain verifies (computed once per TLS session). */
  peerTls(): PeerTls | null {
    const s = this.#socket;
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

  #attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.#handlers?.data(chunk));
    socket.on('end', () => this.#close('peer closed the connection'));
    socket.on('close', () => this.#close('connection closed'));
    socket.on('error', (err) => this.#close(`socket error: ${err.message}`));
  }

  #detach(socket: net.Socket): void {
    for (const ev of ['data', 'end', 'close', 'error']) socket.removeAllListeners(ev);
  }

  #close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#handlers?.closed(reason);
  }

  setHandlers(h: SocketHandlers): void {
    this.#handlers = h;
  }

  writeHeader(attrs: Record<string, string>): void {
    let s = "<?xml version='1.0'?><stream:stream";
    for (const k in attrs) s += ` ${k}='${escapeAttr(attrs[k]!)}'`;
    this.#write(s + '>');
  }

  /** Writes an element; a stanza in the client namespace goes out in the stream's (the element is not changed). */
  writeElement(el: Element): void {
    const ns = el.attrs.xmlns;
    if ((ns === CLIENT || ns === this.streamNs) && (el.name === 'message' || el.name === 'presence' || el.name === 'iq')) {
      delete el.attrs.xmlns;
      try {
        this.#write(serialize(el));
      } finally {
        el.attrs.xmlns = ns;
      }
      return;
    }
    this.#write(serialize(el));
  }

  writeRaw(s: string): void {
    this.#write(s);
  }

  writeFooter(): void {
    this.#write('</stream:stream>');
  }

  #write(s: string): void {
    if (this.#closed) return;
    this.#out += s;
    if (!this.#scheduled) {
      this.#scheduled = true;
      scheduleFlush(this);
    }
  }

  flush(): void {
    this.#scheduled = false;
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = '';
    if (!this.#closed) this.#socket.write(out);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** STARTTLS as the receiving server (after writing <proceed/>): asks for the peer's certificate, never rejects it
   *  at the TLS layer (authentication decides what an unverified certificate means). */
  startTlsServer(options: tls.TlsOptions): Promise<void> {
    return this.#upgrade((raw) => new tls.TLSSocket(raw, { ...options, isServer: true, requestCert: true, rejectUnauthorized: false }));
  }

  /** STARTTLS as the initiating server (after reading <proceed/>): SNI is the peer's domain; our certificate is
   *  presented for SASL EXTERNAL. */
  startTlsClient(options: tls.ConnectionOptions): Promise<void> {
    return this.#upgrade((raw) => tls.connect({ ...options, socket: raw, rejectUnauthorized: false }), 'secureConnect');
  }

  #upgrade(make: (raw: net.Socket) => tls.TLSSocket, event: 'secure' | 'secureConnect' = 'secure'): Promise<void> {
    if (this.secure) return Promise.reject(new Error('TLS is already on'));
    this.flush();
    const raw = this.#socket;
    this.#detach(raw);
    const secure = make(raw);
    this.#socket = secure;
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        reject(err);
        this.#close(`TLS handshake failed: ${err.message}`);
      };
      secure.once(event, () => {
        secure.off('error', fail);
        this.#attach(secure);
        resolve();
      });
      secure.once('error', fail);
      raw.once('close', () => this.#close('connection closed'));
    });
  }

  end(): void {
    this.flush();
    if (!this.#closed) this.#socket.end();
  }

  destroy(reason = 'closed by server'): void {
    this.#close(reason);
  }
}
