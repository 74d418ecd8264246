// The REST API under /api/v1 (on the HTTP listeners), generated from the admin command registry: every command with
// an HTTP binding, token authentication (Authorization: Bearer, tokens from `starling token create`, checked against
// their stored hash, scopes and expiry), JSON in and out, machine-readable error codes, and the OpenAPI 3.1 document
// at /api/v1/openapi.json. Tokens are refused over unencrypted HTTP except from loopback (listener.secureLoopback).
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { API_PREFIX, CommandError, HttpError, defineModule, openApiDocument, type Caller, type HttpRequest, type ModuleContext } from '../../src/api/index.js';
import { sendJson, sendRestError } from './errors.js';
import { queryArgs, route } from './routes.js';

const options = z.object({
  /** Largest JSON body accepted. */
  maxBodyBytes: z.number().int().positive().default(262_144),
  /** Serve the OpenAPI document without a token (it holds no data, only the API's shape). */
  publicOpenApi: z.boolean().default(true),
}).strict();

type Options = z.infer<typeof options>;

function bearer(req: HttpRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer +(\S+)\s*$/i.exec(h);
  return m ? m[1]! : '';
}

async function jsonBody(req: HttpRequest, max: number): Promise<Record<string, unknown>> {
  const raw = await req.body(max);
  if (raw.length === 0) return {};
  const type = String((req.raw as IncomingMessage).headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new RestFailure(415, 'unsupported-media-type', 'send the arguments as application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new RestFailure(400, 'invalid-json', `the body is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RestFailure(400, 'invalid-json', 'the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

class RestFailure extends Error {
  constructor(readonly status: number, readonly code: 'unsupported-media-type' | 'invalid-json', message: string) {
    super(message);
  }
}

export default defineModule({
  name: 'rest',
  description: 'REST API under /api/v1 generated from the admin commands, with scoped tokens and an OpenAPI document',
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    ctx.http.route(['GET', 'POST', 'PUT', 'DELETE'], `${API_PREFIX}/*`, async (req, res) => {
      const sub = `/${req.subpath}`;
      if (sub === '/openapi.json' && opts.publicOpenApi) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return sendRestError(res, 405, 'method-not-allowed', 'use GET', { headers: { Allow: 'GET, HEAD' } });
        return sendJson(res, 200, openApiDocument(ctx.commands.list(), ctx.server.version));
      }
      const found = route(ctx.commands.list(), req.method, sub);
      if (found.kind === 'none') return sendRestError(res, 404, 'not-found', `no API endpoint ${req.method} ${req.path}`);
      if (found.kind === 'method') {
        return sendRestError(res, 405, 'method-not-allowed', `${req.path} takes ${found.allowed.join(', ')}`, { headers: { Allow: found.allowed.join(', ') } });
      }

      const challenge = { 'WWW-Authenticate': 'Bearer realm="starling"' };
      const token = bearer(req);
      if (token === null || token === '') return sendRestError(res, 401, 'missing-token', 'send Authorization: Bearer <token> (create one with "starling token create")', { headers: challenge });
      if (!req.secure) return sendRestError(res, 403, 'insecure-transport', 'tokens are only accepted over HTTPS (or from loopback)');
      const checked = await ctx.commands.verifyToken(token);
      if (!checked.ok) {
        const code = checked.reason === 'expired' ? 'token-expired' : 'invalid-token';
        return sendRestError(res, 401, code, checked.reason === 'expired' ? 'the token has expired' : 'the token is not valid (unknown or revoked)', {
          headers: { 'WWW-Authenticate': `Bearer realm="starling", error="invalid_token"` },
        });
      }
      const caller: Caller = { via: 'rest', actor: `token:${checked.info.id}`, scopes: checked.info.scopes };
      const { info, params } = found.match;
      try {
        const body = req.method === 'GET' || req.method === 'HEAD' ? {} : await jsonBody(req, opts.maxBodyBytes);
        const args = { ...queryArgs(info, req.query), ...body, ...params };
        const result = await ctx.commands.run(info.name, args, caller, 'rest');
        ctx.log.info({ command: info.name, token: checked.info.id }, 'REST command');
        return sendJson(res, 200, result);
      } catch (err) {
        if (err instanceof RestFailure) return sendRestError(res, err.status, err.code, err.message);
        if (err instanceof HttpError && err.status === 413) return sendRestError(res, 413, 'payload-too-large', err.message);
        if (err instanceof CommandError) {
          if (err.code === 'failed') ctx.log.error({ err, command: info.name }, 'REST command failed');
          return sendRestError(res, err.httpStatus, err.code, err.message, err.details ? { details: err.details } : {});
        }
        throw err;
      }
    });
  },
});
