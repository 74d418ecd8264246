// CORS for the BOSH endpoint: browsers on allowed origins may POST XML to it.
import type { ServerResponse } from 'node:http';
import { corsOrigin, type HttpRequest } from '../../src/api/index.js';

/** Sets the CORS headers for an allowed origin; false when the request comes from a page on a refused origin. */
export function applyCors(req: HttpRequest, res: ServerResponse, origins: readonly string[]): boolean {
  if (req.headers.origin === undefined) return true;
  const allowed = corsOrigin(req, origins);
  if (allowed === null) return false;
  res.setHeader('Access-Control-Allow-Origin', allowed);
  if (allowed !== '*') res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
  res.setHeader('Access-Control-Max-Age', '86400');
  return true;
}
