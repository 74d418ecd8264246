// Answers shared by every HTTP route: security headers, plain-text errors, and refusals of upgrade requests.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Sent with every response. HTML pages replace the CSP with their own (still with frame-ancestors 'none'). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'Cross-Origin-Resource-Policy': 'same-site',
};

export function applySecurityHeaders(res: ServerResponse): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
}

/** A complete response with a body (HEAD gets the headers only). */
export function send(res: ServerResponse, status: number, body: string | Buffer, contentType: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', buf.length);
  res.end(res.req?.method === 'HEAD' ? undefined : buf);
}

/** A short plain-text answer naming the status and what went wrong. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, `${status} ${STATUS_CODES[status] ?? ''}: ${message}\n`, 'text/plain; charset=utf-8', headers);
}

/** Refuses an HTTP Upgrade on the raw socket (no WebSocket handshake happens) and closes it. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = `${status} ${STATUS_CODES[status] ?? ''}: ${message}\n`;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  if (socket.writable) socket.end(`${head}\r\n\r\n${body}`);
  socket.once('error', () => undefined);
  setTimeout(() => socket.destroy(), 1000).unref();
}
