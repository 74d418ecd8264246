// The HTTP(S) listeners (`listen: [{ service: http }]`): one node:http or node:https server per entry, shared by
// every HTTP feature. Routes come from modules (src/net/http/routes.ts); this file applies the limits (header and
// request time, body size, connections), the security headers and the error answers (404, 405, 408, 413, 500).
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpListenerConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { BoundListener } from './listeners.js';
import type { TlsContexts } from './tls.js';
import { buildRequest, parseHost, type RequestContext } from './http/request.js';
import { applySecurityHeaders, refuseUpgrade, sendError } from './http/respond.js';
import type { HttpRoutes } from './http/routes.js';
import { HttpError } from './http/types.js';

export { HttpRoutes } from './http/routes.js';
export { HttpError } from './http/types.js';
export type { HttpApi, HttpHandler, HttpMethod, HttpRequest, HttpUpgradeHandler } from './http/types.js';
export { send, sendError, refuseUpgrade, SECURITY_HEADERS } from './http/respond.js';

/** The request target: origin-form only; the path percent-decoded once (so %2e%2e is '..' to every route). */
function parseUrl(raw: string | undefined): { url: URL; path: string } | null {
  if (!raw || !raw.startsWith('/')) return null;
  try {
    const url = new URL(raw, 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    if (path.includes('\0') || path.includes('\\')) return null;
    return { url, path };
  } catch {
    return null;
  }
}

function rawErrorResponse(status: number, text: string, message: string): string {
  const body = `${status} ${text}: ${message}\n`;
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\n\r\n${body}`;
}

export async function listenHttp(cfg: HttpListenerConfig, contexts: TlsContexts, routes: HttpRoutes, log: Logger): Promise<BoundListener> {
  const ctx: RequestContext = { listener: cfg, vhost: (name) => routes.vhostFor(name) };
  const requestTimeout = cfg.requestTimeoutSeconds * 1000;
  const options: http.ServerOptions = {
    requestTimeout,
    headersTimeout: Math.min(cfg.headersTimeoutSeconds * 1000, requestTimeout),
    keepAliveTimeout: 5000,
    maxHeaderSize: 16_384,
    // Node checks the two timeouts above on this interval (30 s by default): keep it finer than they are.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(Math.min(cfg.headersTimeoutSeconds * 1000, requestTimeout) / 4))),
  };
  const onRequest = (raw: http.IncomingMessage, res: http.ServerResponse) => {
    applySecurityHeaders(res);
    const target = parseUrl(raw.url);
    if (!target) {
      sendError(res, 400, 'malformed request target');
      return;
    }
    const { url, path } = target;
    const method = raw.method ?? 'GET';
    const vhost = routes.vhostFor(parseHost(raw.headers.host).hostname);
    const m = routes.match(vhost, method, path);
    if (m.kind === 'none') {
      sendError(res, 404, `nothing is served at ${path.slice(0, 200)}`);
      return;
    }
    if (m.kind === 'method') {
      sendError(res, 405, `${method.slice(0, 20)} is not allowed here; use ${m.allowed.join(', ')}`, { Allow: m.allowed.join(', ') });
      return;
    }
    const req = buildRequest(raw, ctx, url, path, m.subpath);
    const fail = (err: unknown) => {
      if (err instanceof HttpError) {
        sendError(res, err.status, err.message, err.headers);
        if (err.headers.Connection === 'close') res.once('finish', () => raw.socket.destroySoon());
        return;
      }
      log.error({ err, path }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, 500, 'the server failed to answer this request');
      else res.destroy();
    };
    try {
      const r = m.handler(req, res);
      if (r instanceof Promise) r.catch(fail);
    } catch (err) {
      fail(err);
    }
  };

  const server: http.Server = cfg.tls === 'direct'
    ? https.createServer({ ...options, ...contexts.serverOptions(['http/1.1']) }, onRequest)
    : http.createServer(options, onRequest);
  server.maxConnections = cfg.maxConnections;

  server.on('upgrade', (raw: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const target = parseUrl(raw.url);
    if (!target) {
      refuseUpgrade(socket, 400, 'malformed request target');
      return;
    }
    const vhost = routes.vhostFor(parseHost(raw.headers.host).hostname);
    const handler = routes.matchUpgrade(vhost, target.path);
    if (!handler) {
      refuseUpgrade(socket, 404, `no WebSocket endpoint at ${target.path.slice(0, 200)}`);
      return;
    }
    try {
      handler(buildRequest(raw, ctx, target.url, target.path), socket, head);
    } catch (err) {
      log.error({ err, path: target.path }, 'HTTP upgrade handler failed');
      refuseUpgrade(socket, 500, 'the server failed to answer this request');
    }
  });

  // Malformed requests and the two timeouts land here; answer with a body that says what happened.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const s = socket as net.Socket;
    if (!s.writable || (s as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      s.destroy();
      return;
    }
    let answer: string;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') answer = rawErrorResponse(408, 'Request Timeout', 'the request was not received in time');
    else if (err.code === 'HPE_HEADER_OVERFLOW') answer = rawErrorResponse(431, 'Request Header Fields Too Large', 'the request headers are too large');
    else answer = rawErrorResponse(400, 'Bad Request', 'malformed HTTP request');
    s.end(answer);
    setTimeout(() => s.destroy(), 1000).unref();
  });

  if (server instanceof https.Server) {
    server.on('tlsClientError', (err, socket) => {
      log.debug({ err: err.message, ip: socket.remoteAddress }, 'HTTPS handshake failed');
      socket.destroy();
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is already in use'
        : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
          : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.message;
      reject(new Error(`cannot listen for http on ${cfg.address}:${cfg.port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(cfg.port, cfg.address, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'HTTP listener error'));
  const addr = server.address() as net.AddressInfo;
  log.info({ service: 'http', tls: cfg.tls, address: addr.address, port: addr.port }, 'listening');
  return {
    config: cfg,
    address: addr.address,
    port: addr.port,
    close: () => new Promise<void>((resolve) => {
      // Idle keep-alive connections close at once; requests still being answered get a moment, then are cut.
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    }),
  };
}
