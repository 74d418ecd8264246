// Option schemas shared by the modules that serve HTTP (paths, browser origins).
import { z } from 'zod';

/** '*' or an origin such as https://chat.example.com (scheme, host and port; no path). */
export const originSchema = z.string().refine((v) => {
  if (v === '*') return true;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v.replace(/\/$/, '');
  } catch {
    return false;
  }
}, { message: "expected '*' or an origin such as https://chat.example.com" });

/** An absolute URL path without query or fragment. */
export const httpPathSchema = z.string().regex(/^\/[A-Za-z0-9._~!$&'()+,;=:@%/-]*$/, 'expected an absolute path such as /xmpp-websocket');
