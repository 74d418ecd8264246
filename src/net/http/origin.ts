// Browser Origin checks for the XMPP endpoints (WebSocket, BOSH). An Origin header is only sent by browsers; the
// check keeps other web sites from using this server from their visitors' browsers (for example to spread a password
// guessing run over many addresses). Clients that are not browsers send no Origin and are not affected.
import type { HttpRequest } from './types.js';

/** `allow`: [] = the page must come from the host the request names (same host and port); '*' = any origin;
 *  otherwise exact origins such as 'https://chat.example.com'. */
export function originAllowed(req: HttpRequest, allow: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allow.includes('*')) return true;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;   // includes the opaque origin "null" (sandboxed frames, file: pages)
  }
  if (allow.length === 0) {
    if (!req.host) return false;
    try {
      return o.host === new URL(`${req.scheme}://${req.host}`).host;
    } catch {
      return false;
    }
  }
  return allow.some((a) => {
    try {
      return new URL(a).origin === o.origin;
    } catch {
      return false;
    }
  });
}

/** The value for Access-Control-Allow-Origin when the origin is allowed, else null. */
export function corsOrigin(req: HttpRequest, allow: readonly string[]): string | null {
  const origin = req.headers.origin;
  if (origin === undefined || !originAllowed(req, allow)) return null;
  return allow.includes('*') ? '*' : origin;
}
