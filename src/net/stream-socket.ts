// What every TCP-based XML stream channel shares (c2s TcpTransport, s2s and component S2SSocket): the socket with its
// events, output batched per event-loop iteration (src/net/flush.ts), the stream header and footer, and the in-place
// STARTTLS upgrade (RFC 6120 §5) that swaps the socket under the stream.
import net from 'node:net';
import tls from 'node:tls';
import { scheduleFlush } from './flush.js';
import { escapeAttr } from '../xml/serialize.js';

export interface StreamSocketHandlers {
  data(chunk: Buffer): void;
  /** The connection is gone (peer closed, error, or destroy()). Called once. */
  closed(reason: string): void;
}

export abstract class StreamSocket {
  readonly remoteAddress: string;
  #socket: net.Socket;
  #handlers: StreamSocketHandlers | null = null;
  #closed = false;
  #out = '';

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    socket.setNoDelay(true);
    this.#attach(socket);
  }

  /** The current socket (a TLSSocket after an upgrade). */
  protected get socket(): net.Socket {
    return this.#socket;
  }

  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes accepted by write() but not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.#socket.writableLength + this.#out.length;
  }

  setHandlers(h: StreamSocketHandlers): void {
    this.#handlers = h;
  }

  writeHeader(attrs: Record<string, string>): void {
    let s = "<?xml version='1.0'?><stream:stream";
    for (const k in attrs) s += ` ${k}='${escapeAttr(attrs[k]!)}'`;
    this.write(s + '>');
  }

  /** Raw text, e.g. a whitespace keepalive. */
  writeRaw(s: string): void {
    this.write(s);
  }

  writeFooter(): void {
    this.write('</stream:stream>');
  }

  /** Queues text for the end of this event-loop iteration: one socket write for everything written meanwhile. */
  protected write(s: string): void {
    if (this.#closed) return;
    if (this.#out.length === 0) {
      this.#out = s;
      scheduleFlush(this);
    } else {
      this.#out += s;
    }
  }

  /** Hands the batched output to the socket (run at the end of the iteration, and before end / STARTTLS). */
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

  /** Half-close after flushing. */
  end(): void {
    this.flush();
    if (!this.#closed) this.#socket.end();
  }

  destroy(reason = 'closed by server'): void {
    this.#close(reason);
  }

  /**
   * Swaps the socket for a TLS one made by `make` over it, once its handshake has finished (`event`). Whatever was
   * written before (a <proceed/>) goes out in the clear first. A failed handshake closes the stream.
   */
  protected upgrade(make: (raw: net.Socket) => tls.TLSSocket, event: 'secure' | 'secureConnect', onSecure?: (s: tls.TLSSocket) => void): Promise<void> {
    this.flush();
    const raw = this.#socket;
    for (const ev of ['data', 'end', 'close', 'error']) raw.removeAllListeners(ev);
    const secure = make(raw);
    this.#socket = secure;
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        reject(err);
        this.#close(`TLS handshake failed: ${err.message}`);
      };
      secure.once(event, () => {
        secure.off('error', fail);
        onSecure?.(secure);
        this.#attach(secure);
        resolve();
      });
      secure.once('error', fail);
      raw.once('close', () => this.#close('connection closed'));
    });
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
}
