// token.*: REST API tokens, managed from the command line only (a token cannot mint tokens).
import { z } from 'zod';
import { CommandError } from '../errors.js';
import { TokenStore } from '../tokens.js';
import { command } from './define.js';

const scopeSchema = z.string().regex(/^(\*|[a-z-]+:(read|write))$/, "a scope is '*' or '<group>:read' / '<group>:write', e.g. users:write");

export const tokenCreate = command({
  name: 'token.create', summary: 'create a REST API token (printed once; only its hash is stored)', scope: 'tokens:write', needs: 'any',
  surfaces: ['cli'],
  args: z.object({
    name: z.string().min(1).max(200).describe('what the token is for'),
    scopes: z.array(scopeSchema).min(1).max(50).describe("permissions, e.g. users:read messages:write ('*' = all)"),
    days: z.number().int().positive().max(3650).optional().describe('expires after this many days (default: never)'),
  }),
  positional: ['name'],
  async run(env, a) {
    const { token, info } = await new TokenStore(env.storage).create(a.name, [...new Set(a.scopes)], a.days ?? null);
    return { token, ...info, expiresAt: info.expiresAt === null ? null : new Date(info.expiresAt).toISOString(), createdAt: new Date(info.createdAt).toISOString() };
  },
  format: (r) => `${r.token}\n(token ${r.id} "${r.name}", scopes ${r.scopes.join(' ')}${r.expiresAt ? `, expires ${r.expiresAt}` : ''}; it is not shown again)`,
});

export const tokenList = command({
  name: 'token.list', summary: 'list REST API tokens (without their secrets)', scope: 'tokens:read', needs: 'any',
  surfaces: ['cli'],
  args: z.object({}),
  async run(env) {
    const tokens = (await new TokenStore(env.storage).list()).map((t) => ({
      ...t, createdAt: new Date(t.createdAt).toISOString(), expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
    }));
    return { tokens };
  },
  format: (r) => r.tokens.map((t) => `${t.id}  ${t.name}  ${t.scopes.join(' ')}${t.expiresAt ? `  expires ${t.expiresAt}` : ''}`).join('\n') || 'no tokens',
});

export const tokenRevoke = command({
  name: 'token.revoke', summary: 'revoke a REST API token by its id', scope: 'tokens:write', needs: 'any',
  surfaces: ['cli'],
  args: z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a token id is 16 hex digits') }),
  positional: ['id'],
  async run(env, a) {
    if (!(await new TokenStore(env.storage).revoke(a.id))) throw new CommandError('not-found', `no token ${a.id}`);
    return { revoked: a.id };
  },
  format: (r) => `revoked ${r.revoked}`,
});
