// The OpenAPI 3.1 document of the REST API, generated from the command registry: one operation per command with an
// HTTP binding; path placeholders and (for GET/DELETE) the other arguments as parameters, else a JSON body; the
// result schema as the 200 response; every error as {"error":{"code","message"}} with its status.
import type { CommandInfo, JsonSchema } from './types.js';

export const API_PREFIX = '/api/v1';

export const ERROR_CODES = [
  'missing-token', 'invalid-token', 'token-expired', 'insecure-transport', 'forbidden', 'invalid-argument', 'invalid-json',
  'unsupported-media-type', 'payload-too-large', 'not-found', 'method-not-allowed', 'conflict', 'refused', 'not-running',
  'unavailable', 'failed',
] as const;

const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', enum: [...ERROR_CODES] },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'string' } },
      },
      required: ['code', 'message'],
      additionalProperties: false,
    },
  },
  required: ['error'],
  additionalProperties: false,
};

/** Placeholders of a path template, in order: /users/{jid}/roster -> ['jid']. */
export function pathParams(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);
}

const ERROR_RESPONSES: Record<string, string> = {
  400: 'Invalid arguments or JSON (invalid-argument, invalid-json)',
  401: 'No token, or an unknown, revoked or expired one (missing-token, invalid-token, token-expired)',
  403: 'The token lacks the scope, or the request is not encrypted (forbidden, insecure-transport)',
  404: 'No such user, session or resource (not-found)',
  409: 'It exists already (conflict)',
  413: 'The body is too large (payload-too-large)',
  415: 'The body is not application/json (unsupported-media-type)',
  422: 'Refused, e.g. an invalid configuration on reload (refused)',
  503: 'The module behind the command is not loaded (unavailable)',
};

export function openApiDocument(commands: readonly CommandInfo[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const c of commands) {
    if (!c.http || !c.surfaces.includes('rest')) continue;
    const props = c.schema.properties ?? {};
    const required = new Set(c.schema.required ?? []);
    const inPath = pathParams(c.http.path);
    const parameters: unknown[] = inPath.map((name) => ({ name, in: 'path', required: true, schema: props[name] ?? { type: 'string' }, ...(props[name]?.description ? { description: props[name].description } : {}) }));
    const rest = Object.keys(props).filter((k) => !inPath.includes(k));
    const op: Record<string, unknown> = {
      operationId: c.name,
      summary: c.summary,
      tags: [c.name.split('.')[0]],
      security: [{ bearer: [c.scope] }],
      'x-scope': c.scope,
    };
    if (c.http.method === 'GET' || c.http.method === 'DELETE') {
      for (const k of rest) parameters.push({ name: k, in: 'query', required: required.has(k), schema: props[k], ...(props[k]?.description ? { description: props[k].description } : {}) });
    } else if (rest.length) {
      const body: JsonSchema = { type: 'object', properties: Object.fromEntries(rest.map((k) => [k, props[k]!])), additionalProperties: false };
      const req = rest.filter((k) => required.has(k));
      if (req.length) body.required = req;
      op.requestBody = { required: req.length > 0, content: { 'application/json': { schema: body } } };
    }
    if (parameters.length) op.parameters = parameters;
    op.responses = {
      200: { description: 'Success', content: { 'application/json': { schema: c.resultSchema } } },
      ...Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([status, description]) => [status, { $ref: `#/components/responses/E${status}`, description }])),
    };
    const p = `${API_PREFIX}${c.http.path}`;
    paths[p] ??= {};
    paths[p][c.http.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Starling admin REST API', version, description: 'Generated from the admin command registry. Authenticate with a token from `starling token create` as `Authorization: Bearer <token>`.' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from `starling token create --scopes ...`' } },
      schemas: { Error: errorSchema },
      responses: Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([status, description]) => [`E${status}`, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])),
    },
  };
}
