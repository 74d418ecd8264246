// The page's Content-Security-Policy: scripts only from this origin (no inline, no eval), connections only to this
// origin's WebSocket, no framing, nothing loaded from other sites (a visitor's address stays with this server).
// Converse.js sets inline styles and shows avatars from data: and blob: URLs.
import type { HttpRequest } from '../../src/api/index.js';

export function pageCsp(req: HttpRequest): string {
  const ws = req.host ? ` ws://${req.host} wss://${req.host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
