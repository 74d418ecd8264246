// How the load generator's client talks to a server: XMPP over TCP (RFC 6120 stream, optional STARTTLS) or over
// WebSocket (RFC 7395: one element per message, <open/> and <close/> instead of the stream tags). The client above
// sees the same thing either way: whole top-level elements as strings.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { XmlScanner } from './xmlscan.js';

export type TransportKind = 'tcp' | 'ws';

export interface WireEvents {
  element(raw: string): void;
  /** The server ended the stream (</stream:stream> or <close/>). */
  streamEnd(): void;
  error(err: Error): void;
  close(): void;
}

export interface Wire {
  readonly kind: TransportKind;
  /** Writes elements now: over TCP as one write, over WebSocket one message each. */
  write(elements: readonly string[]): void;
  /** Opens (or restarts) the stream to `domain`. */
  open(domain: string): void;
  /** Ends the stream politely. */
  closeStream(): void;
  /** STARTTLS after <proceed/> (TCP only). */
  startTls(servername: string): Promise<void>;
  end(): void;
  destroy(): void;
}

const NS_STREAM = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";

export class TcpWire implements Wire {
  readonly kind = 'tcp';
  #socket: net.Socket;
  #scanner: XmlScanner;

  private constructor(socket: net.Socket, private readonly ev: WireEvents) {
    this.#socket = socket;
    this.#scanner = new XmlScanner({ streamStart: () => undefined, element: (raw) => ev.element(raw), streamEnd: () => ev.streamEnd() });
    this.#attach(socket);
  }

  static connect(address: string, port: number, ev: WireEvents, timeoutMs: number): Promise<TcpWire> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port });
      const t = setTimeout(() => {
        socket.destroy();
        reject(new Error('connect timeout'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(t);
        socket.setNoDelay(true);
        resolve(new TcpWire(socket, ev));
      });
      socket.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  #attach(socket: net.Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.#scanner.write(d));
    socket.on('error', (e) => this.ev.error(e));
    socket.on('close', () => this.ev.close());
  }

  write(elements: readonly string[]): void {
    this.#socket.write(elements.length === 1 ? elements[0]! : elements.join(''));
  }

  open(domain: string): void {
    this.#scanner.reset();
    this.#socket.write(`<?xml version='1.0'?><stream:stream ${NS_STREAM} to='${domain}' version='1.0'>`);
  }

  closeStream(): void {
    this.#socket.write('</stream:stream>');
  }

  startTls(servername: string): Promise<void> {
    const raw = this.#socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    this.#scanner.reset();
    return new Promise((resolve, reject) => {
      const s = tls.connect({ socket: raw, servername, rejectUnauthorized: false }, () => resolve());
      s.once('error', reject);
      this.#socket = s;
      this.#attach(s);
    });
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const STANZA_START = /^<(message|presence|iq)(?=[\s/>])/;

/** RFC 7395 §3.1: every message is a document of its own, so a stanza declares jabber:client itself. */
function withClientNamespace(el: string): string {
  const m = STANZA_START.exec(el);
  if (!m) return el;
  const tagEnd = el.indexOf('>');
  if (el.slice(0, tagEnd).includes(' xmlns=')) return el;
  return `<${m[1]} xmlns='jabber:client'${el.slice(m[0].length)}`;
}

export class WsWire implements Wire {
  readonly kind = 'ws';

  private constructor(private readonly ws: WebSocket, ev: WireEvents) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const raw = data.toString('utf8');
      // RFC 7395 §3.3: the stream "header" is <open/>, its end <close/>; everything else is one element.
      if (raw.startsWith('<open')) return;
      if (raw.startsWith('<close')) ev.streamEnd();
      else ev.element(raw.startsWith('<features') ? raw.replace(/^<features\b/, '<stream:features') : raw);
    });
    ws.on('error', (e) => ev.error(e));
    ws.on('close', () => ev.close());
  }

  static connect(url: string, ev: WireEvents, timeoutMs: number): Promise<WsWire> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'xmpp', { handshakeTimeout: timeoutMs, perMessageDeflate: false });
      ws.once('open', () => {
        (ws as unknown as { _socket: net.Socket })._socket.setNoDelay(true);
        resolve(new WsWire(ws, ev));
      });
      ws.once('error', reject);
    });
  }

  write(elements: readonly string[]): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Several messages in one tick go out in one syscall.
    const socket = (this.ws as unknown as { _socket: net.Socket })._socket;
    if (elements.length > 1) socket.cork();
    for (const e of elements) this.ws.send(withClientNamespace(e));
    if (elements.length > 1) process.nextTick(() => socket.uncork());
  }

  open(domain: string): void {
    this.write([`<open xmlns='${NS_FRAMING}' to='${domain}' version='1.0'/>`]);
  }

  closeStream(): void {
    this.write([`<close xmlns='${NS_FRAMING}'/>`]);
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error('STARTTLS does not exist on WebSocket (use wss://)'));
  }

  end(): void {
    this.ws.close();
  }

  destroy(): void {
    this.ws.terminate();
  }
}
