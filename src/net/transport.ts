// The byte/element channel under a stream. TCP (optionally upgraded by STARTTLS) lives here;
// WebSocket framing can implement the same interface later (RFC 7395).
import net from 'node:net';
import tls from 'node:tls';
import type { Element } from 'ltx';
import type { ChannelBinding } from '../auth/types.js';
import { noChannelBinding, tlsChannelBinding } from '../auth/mechanisms.js';
import type { TlsContexts } from './tls.js';
import { serialize } from '../xml/serialize.js';
import { StreamSocket } from './stream-socket.js';

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

/** TCP (optionally upgraded by STARTTLS) or TLS from the first byte (XEP-0368) under a client stream. */
export class TcpTransport extends StreamSocket implements Transport {
  readonly kind = 'tcp';
  readonly framing = 'stream';
  #channelBinding: ChannelBinding = noChannelBinding;

  constructor(socket: net.Socket, private readonly tlsContexts: TlsContexts | null) {
    super(socket);
    if (socket instanceof tls.TLSSocket) this.#channelBinding = this.#bindingFor(socket);
  }

  /** Channel binding whose tls-server-end-point comes from the contexts' per-certificate cache: the certificate
   *  presented is the SNI name's, else the one chosen for the stream's host (STARTTLS), else the default. */
  #bindingFor(socket: tls.TLSSocket, host?: string): ChannelBinding {
    const contexts = this.tlsContexts;
    if (!contexts) return tlsChannelBinding(socket);
    return tlsChannelBinding(socket, () => contexts.endPointFor(typeof socket.servername === 'string' && socket.servername ? socket.servername : host));
  }

  get servername(): string | null {
    const s = this.socket as tls.TLSSocket;
    return typeof s.servername === 'string' ? s.servername : null;
  }

  get channelBinding(): ChannelBinding {
    return this.#channelBinding;
  }

  get canStartTls(): boolean {
    return !this.secure && this.tlsContexts !== null;
  }

  writeElement(el: Element): void {
    this.write(serialize(el));
  }

  /** Upgrades in place (RFC 6120 §5): the caller has already written <proceed/>. */
  startTls(host?: string): Promise<void> {
    const contexts = this.tlsContexts;
    if (!contexts || this.secure) return Promise.reject(new Error('TLS is not available on this connection'));
    const options = contexts.serverOptions();
    const hostContext = host ? contexts.contextFor(host) : null;
    if (hostContext) options.secureContext = hostContext;
    delete options.cert;
    delete options.key;
    return this.upgrade((raw) => new tls.TLSSocket(raw, { isServer: true, ...options }), 'secure', (secure) => {
      this.#channelBinding = this.#bindingFor(secure, host);
    });
  }
}
