// What HTTP route handlers see: a small, typed view of a request (with limits already applied) and Node's
// ServerResponse to answer on. Modules register handlers through ctx.http (src/api).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';

export interface HttpRequest {
  readonly method: string;
  /** The decoded path without the query (e.g. /chat/dist/converse.min.js). */
  readonly path: string;
  /** For a prefix route (registered as '/x/*'): the part after the prefix, without the leading slash. */
  readonly subpath: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The Host header as sent (host[:port]), validated; '' when absent or malformed. */
  readonly host: string;
  /** The Host header's name part, lower-cased, without the port. */
  readonly hostname: string;
  /** How the client reached us: https on a TLS listener (or behind a trusted proxy that says so). */
  readonly scheme: 'http' | 'https';
  /** Whether the channel counts as encrypted for auth.requireEncryption (TLS, or loopback; see the listener options). */
  readonly secure: boolean;
  /** The client's address (from X-Forwarded-For only behind a trusted proxy). */
  readonly remoteAddress: string;
  /** The virtual host the request was dispatched to. */
  readonly vhost: string;
  /** Reads the whole body; rejects with HttpError 413 past `maxBytes` (default: the listener's maxBodyBytes). */
  body(maxBytes?: number): Promise<Buffer>;
  readonly raw: IncomingMessage;
}

/** Answers a request; may be async (the listener answers 500 if it throws anything but an HttpError). */
export type HttpHandler = (req: HttpRequest, res: ServerResponse) => void | Promise<void>;

/** Takes over an HTTP Upgrade request (the socket is the handler's from then on). */
export type HttpUpgradeHandler = (req: HttpRequest, socket: Duplex, head: Buffer) => void;

/** Throw from a handler (or body()) to answer with this status and a short plain-text explanation. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface HttpApi {
  /** Serves `path` (exact, or a prefix when it ends in '/*') for these methods; GET routes answer HEAD too. */
  route(method: HttpMethod | readonly HttpMethod[], path: string, handler: HttpHandler): void;
  /** Takes HTTP Upgrade requests (WebSocket) for `path`. */
  upgrade(path: string, handler: HttpUpgradeHandler): void;
}
