// XMPP over WebSocket (RFC 7395): the `ws` endpoint behind the HTTP listener, and the Transport that puts the same
// C2S state machine behind it. Frames are text only, one element each; <open/> and <close/> replace the stream
// header and footer (the parser's websocket framing turns them into stream start and end).
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Element } from 'ltx';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ChannelBinding } from '../auth/types.js';
import { noChannelBinding } from '../auth/mechanisms.js';
import type { Logger } from '../log.js';
import type { Transport, TransportHandlers } from './transport.js';
import type { HttpRequest } from './http/types.js';
import { originAllowed } from './http/origin.js';
import { refuseUpgrade } from './http/respond.js';
import { CLOSE_ELEMENT, openElement, standaloneXml } from './standalone.js';
import { scheduleFlush } from './flush.js';

/** RFC 6455 close codes used here. */
const NORMAL = 1000;
const UNSUPPORTED_DATA = 1003;

export interface WebSocketTransportInfo {
  remoteAddress: string;
  /** TLS listener, or loopback / trusted proxy per the HTTP listener options. */
  secure: boolean;
  servername: string | null;
}

export class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  readonly framing = 'websocket';
  readonly canStartTls = false;
  /** No channel binding over WebSocket: the TLS session (if any) may end at a proxy, so no -PLUS mechanisms. */
  readonly channelBinding: ChannelBinding = noChannelBinding;
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly servername: string | null;
  #ws: WebSocket;
  #handlers: TransportHandlers | null = null;
  #closed = false;
  #corked = false;
  #corkedSocket: Duplex | null = null;

  constructor(ws: WebSocket, info: WebSocketTransportInfo) {
    this.#ws = ws;
    this.remoteAddress = info.remoteAddress;
    this.secure = info.secure;
    this.servername = info.servername;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.#closed) return;
      if (isBinary) {
        // RFC 7395 §3.2: XMPP uses text frames only.
        ws.close(UNSUPPORTED_DATA, 'XMPP over WebSocket uses text frames only');
        this.#close('binary frame refused');
        return;
      }
      this.#handlers?.data(toBuffer(data));
    });
    ws.on('close', (code: number) => this.#close(`websocket closed (${code})`));
    // ws closes the connection itself after an error (e.g. 1009 for a frame over maxPayload, 1007 for bad UTF-8).
    ws.on('error', (err: Error) => this.#close(`websocket error: ${err.message}`));
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  setHandlers(h: TransportHandlers): void {
    this.#handlers = h;
  }

  writeHeader(attrs: Record<string, string>): void {
    this.#send(openElement(attrs));
  }

  writeElement(el: Element): void {
    this.#send(standaloneXml(el));
  }

  /** Whitespace has no place between frames (RFC 7395 §3.4): a keepalive becomes a WebSocket ping. */
  writeRaw(): void {
    if (!this.#closed && this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
  }

  writeFooter(): void {
    this.#send(CLOSE_ELEMENT);
  }

  #send(s: string): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    // Batch the iteration's frames into one write, as the TCP transport does (src/net/flush.ts): cork the socket on
    // the first frame and uncork at the end of the event loop iteration (ws corks and uncorks around each frame
    // itself; those nest inside ours).
    if (!this.#corked) {
      const socket = (this.#ws as unknown as { _socket?: Duplex })._socket;
      if (socket) {
        this.#corked = true;
        this.#corkedSocket = socket;
        socket.cork();
        scheduleFlush(this);
      }
    }
    this.#ws.send(s);
  }

  /** Uncorks what #send corked (run by the flush scheduler). */
  flush(): void {
    const socket = this.#corkedSocket;
    if (!socket) return;
    this.#corked = false;
    this.#corkedSocket = null;
    socket.uncork();
  }

  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error('STARTTLS is not available over WebSocket'));
  }

  /** After our <close/> the peer answers with its own <close/> (then destroy() runs) or closes the WebSocket (RFC 7395 §3.6). */
  end(): void {}

  /** The stream is over: start the WebSocket closing handshake, and drop the socket if the peer does not finish it. */
  destroy(): void {
    const ws = this.#ws;
    if (ws.readyState === ws.OPEN) ws.close(NORMAL);
    if (ws.readyState !== ws.CLOSED) setTimeout(() => ws.terminate(), 2000).unref();
    this.#close('closed by server');
  }

  #close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.closed(reason);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export interface WebSocketEndpointOptions {
  /** Largest frame accepted (the c2s stanza limit); a bigger one closes the connection with 1009. */
  maxPayload: number;
  /** Allowed browser origins: [] = same host as the request, '*' = any, else exact origins. */
  origins: readonly string[];
  accept(transport: Transport): void;
  log: Logger;
}

export interface WebSocketEndpoint {
  upgrade(req: HttpRequest, socket: Duplex, head: Buffer): void;
  close(): void;
}

/** Parses a comma-separated header into lower-cased tokens. */
function tokens(header: string | string[] | undefined): string[] {
  const v = Array.isArray(header) ? header.join(',') : header ?? '';
  return v.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
}

export function createWebSocketEndpoint(o: WebSocketEndpointOptions): WebSocketEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: o.maxPayload,
    perMessageDeflate: false,   // compression across stanzas leaks secrets (CRIME-style)
    clientTracking: false,
    handleProtocols: (set) => (set.has('xmpp') ? 'xmpp' : false),
  });
  return {
    upgrade(req, socket, head) {
      // ws only calls handleProtocols when the header is present, so the subprotocol is checked here (ARCHITECTURE B4).
      if (!tokens(req.headers['sec-websocket-protocol']).includes('xmpp')) {
        o.log.debug({ ip: req.remoteAddress, protocols: req.headers['sec-websocket-protocol'] }, 'WebSocket upgrade without the xmpp subprotocol');
        refuseUpgrade(socket, 501, "the WebSocket subprotocol 'xmpp' is required (RFC 7395)");
        return;
      }
      if (!originAllowed(req, o.origins)) {
        o.log.info({ ip: req.remoteAddress, origin: req.headers.origin }, 'WebSocket upgrade from a foreign origin refused');
        refuseUpgrade(socket, 403, 'this origin may not connect here');
        return;
      }
      const tlsSocket = req.raw.socket as Partial<TLSSocket>;
      wss.handleUpgrade(req.raw, socket, head, (ws) => {
        o.accept(new WebSocketTransport(ws, {
          remoteAddress: req.remoteAddress,
          secure: req.secure,
          servername: typeof tlsSocket.servername === 'string' ? tlsSocket.servername : null,
        }));
      });
    },
    close() {
      wss.close();
    },
  };
}
