// The byte/element channel under a stream. TCP (optionally upgraded by STARTTLS) lives here;
// WebSocket framing can implement the same interface later (RFC 7395).
import net from 'node:net';
import tls from 'node:tls';
import type { Element } from 'ltx';
import type { ChannelBinding } from '../auth/types.js';
import { noChannelBinding, tlsChannelBinding } from '../auth/mechanisms.js';
import type { TlsContexts } from './tls.js';
import { serialize } from '../xml/serialize.js';
import { scheduleFlush } from './flush.js';

export interface TransportHandlers {
  data(chunk: Buffer): void;
  /** The connection is gone (peer closed, error, or destroy()). Called once. */
  closed(reason: string): void;
}

export interface Transport {
  readonly kind: 'tcp' | 'websocket' | 'bosh';
  readonly remoteAddress: string;
  readonly secure: boolean;
  /** The SNI name the client asked for, when on TLS. */
  readonly servername: string | null;
  readonly channelBinding: ChannelBinding;
  readonly canStartTls: boolean;
  /** Bytes accepted by write() but not yet handed to the kernel. */
  readonly bufferedBytes: number;
  /** How the parser must read this transport's input. */
  readonly framing: 'stream' | 'websocket';
  setHandlers(h: TransportHandlers): void;
  writeHeader(attrs: Record<string, string>): void;
  writeElement(el: Element): void;
  /** Raw text, e.g. a whitespace keepalive (ignored where the framing has no room for it). */
  writeRaw(s: string): void;
  writeFooter(): void;
  pause(): void;
  resume(): void;
  /** Upgrades to TLS; `host` (from the stream header) picks the certificate when the client sends no SNI. */
  startTls(host?: string): Promise<void>;
  /** Half-close after flushing. */
  end(): void;
  destroy(): void;
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export class TcpTransport implements Transport {
  readonly kind = 'tcp';
  readonly framing = 'stream';
  readonly remoteAddress: string;
  #socket: net.Socket;
  #handlers: TransportHandlers | null = null;
  #closed = false;
  #channelBinding: ChannelBinding = noChannelBinding;

  constructor(socket: net.Socket, private readonly tlsContexts: TlsContexts | null) {
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    socket.setNoDelay(true);
    if (socket instanceof tls.TLSSocket) this.#channelBinding = this.#bindingFor(socket);
    this.#attach(socket);
  }

  /** Channel binding whose tls-server-end-point comes from the contexts' per-certificate cache: the certificate
   *  presented is the SNI name's, else the one chosen for the stream's host (STARTTLS), else the default. */
  #bindingFor(socket: tls.TLSSocket, host?: string): ChannelBinding {
    const contexts = this.tlsContexts;
    if (!contexts) return tlsChannelBinding(socket);
    return tlsChannelBinding(socket, () => contexts.endPointFor(typeof socket.servername === 'string' && socket.servername ? socket.servername : host));
  }

  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  get servername(): string | null {
    const s = this.#socket as tls.TLSSocket;
    return typeof s.servername === 'string' ? s.servername : null;
  }

  get channelBinding(): ChannelBinding {
    return this.#channelBinding;
  }

  get canStartTls(): boolean {
    return !this.secure && this.tlsContexts !== null;
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength + this.#out.length;
  }

  #attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.#handlers?.data(chunk));
    socket.on('end', () => this.#close('peer closed the connection'));
    socket.on('close', () => this.#close('connection closed'));
    socket.on('error', (err) => this.#close(`socket error: ${err.message}`));
  }

  #close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#handlers?.closed(reason);
  }

  setHandlers(h: TransportHandlers): void {
    this.#handlers = h;
  }

  writeHeader(attrs: Record<string, string>): void {
    let s = "<?xml version='1.0'?><stream:stream";
    for (const k in attrs) s += ` ${k}='${escapeAttr(attrs[k]!)}'`;
    this.#write(s + '>');
  }

  writeElement(el: Element): void {
    this.#write(serialize(el));
  }

  writeRaw(s: string): void {
    this.#write(s);
  }

  writeFooter(): void {
    this.#write('</stream:stream>');
  }

  // Output is batched per event loop iteration (src/net/flush.ts): one socket write for everything written meanwhile.
  #out = '';

  #write(s: string): void {
    if (this.#closed) return;
    if (this.#out.length === 0) {
      this.#out = s;
      scheduleFlush(this);
    } else {
      this.#out += s;
    }
  }

  /** Hands the batched output to the socket (internal; run at the end of the tick, and before end / STARTTLS). */
  flush(): void {
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

  /** Upgrades in place (RFC 6120 §5): the caller has already written <proceed/>. */
  startTls(host?: string): Promise<void> {
    const contexts = this.tlsContexts;
    if (!contexts || this.secure) return Promise.reject(new Error('TLS is not available on this connection'));
    this.flush(); // <proceed/> goes out in the clear, before the handshake
    const raw = this.#socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const options = contexts.serverOptions();
    const hostContext = host ? contexts.contextFor(host) : null;
    if (hostContext) options.secureContext = hostContext;
    delete options.cert;
    delete options.key;
    const secure = new tls.TLSSocket(raw, { isServer: true, ...options });
    this.#socket = secure;
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        reject(err);
        this.#close(`TLS handshake failed: ${err.message}`);
      };
      secure.once('secure', () => {
        secure.off('error', fail);
        this.#channelBinding = this.#bindingFor(secure, host);
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

  destroy(): void {
    this.#close('closed by server');
  }
}
