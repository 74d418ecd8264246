// Registration modes and XEP-0401 invitations. 'closed' refuses in-band registration; 'invite' accepts it only on a
// stream that first presented a valid invitation token (<preauth xmlns='urn:xmpp:pars:0' token='...'/>, XEP-0401
// §5.1). Administrators create invitations (invite.create) as xmpp: links; tokens are stored hashed, with a number
// of uses and an expiry. One use is consumed when the registration request goes through to the register module.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CommandError, errorReply, iqResult, PRIORITY, StanzaError, type MapStore, type ModuleContext } from '../../src/api/index.js';
import type { ModerationOptions } from './options.js';

export const NS_PARS = 'urn:xmpp:pars:0';
const NS_REGISTER = 'jabber:iq:register';
const INVITED = 'moderation:invite';
const ROW = '';

interface Invite { id: string; hash: string; usesLeft: number; createdAt: string; expiresAt: string; createdBy: string }

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export function registerInvites(ctx: ModuleContext<ModerationOptions>): void {
  const store = ctx.openStore('invites', 'map') as MapStore<Invite>;
  const mode = ctx.options.registration;

  const valid = async (token: string): Promise<Invite | null> => {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const inv = await store.get(ROW, hashOf(token).slice(0, 32));
    if (!inv || inv.hash !== hashOf(token) || inv.usesLeft <= 0 || Date.parse(inv.expiresAt) <= Date.now()) return null;
    return inv;
  };

  ctx.hook('pre-auth-iq', async ({ session, stanza }) => {
    const type = stanza.attrs.type;
    const preauth = stanza.getChild('preauth', NS_PARS);
    if (preauth && type === 'set') {
      const inv = await valid(String(preauth.attrs.token ?? ''));
      if (!inv) {
        session.send(errorReply(stanza, new StanzaError('item-not-found', 'the invitation is not valid (unknown, used up or expired)')));
      } else {
        session.data.set(INVITED, inv.hash.slice(0, 32));
        session.send(iqResult(stanza));
      }
      return true;
    }
    const query = stanza.getChild('query', NS_REGISTER);
    if (!query || type !== 'set' || query.getChild('remove') || mode === 'open') return false;
    if (mode === 'closed') {
      session.send(errorReply(stanza, new StanzaError('not-allowed', 'registration is closed on this server')));
      return true;
    }
    const key = session.data.get(INVITED) as string | undefined;
    const inv = key ? await store.get(ROW, key) : null;
    if (!inv || inv.usesLeft <= 0 || Date.parse(inv.expiresAt) <= Date.now()) {
      session.send(errorReply(stanza, new StanzaError('not-allowed', 'registration on this server needs an invitation')));
      return true;
    }
    await store.set(ROW, key!, { ...inv, usesLeft: inv.usesLeft - 1 });
    session.data.delete(INVITED);
    ctx.log.info({ invite: inv.id }, 'registration with an invitation');
    return false;   // the register module creates the account
  }, PRIORITY.POLICY);

  const info = z.object({ id: z.string(), usesLeft: z.number().int(), createdAt: z.string(), expiresAt: z.string(), createdBy: z.string() });
  const hostArg = z.string().describe('virtual host');
  ctx.commands.register({
    name: 'invite.create', summary: 'create an invitation to register an account (XEP-0401 link)', scope: 'invites:write', needs: 'running',
    args: z.object({
      host: hostArg,
      uses: z.number().int().positive().max(1000).default(1).describe('how many accounts it may create'),
      days: z.number().int().positive().max(365).default(7).describe('days until it expires'),
    }),
    positional: ['host'],
    result: z.object({ token: z.string(), uri: z.string(), id: z.string(), usesLeft: z.number().int(), expiresAt: z.string() }),
    http: { method: 'POST', path: '/invites/{host}' },
    async run(env, a: { uses: number; days: number }) {
      const token = randomBytes(24).toString('base64url');
      const hash = hashOf(token);
      const now = Date.now();
      const inv: Invite = { id: hash.slice(0, 16), hash, usesLeft: a.uses, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + a.days * 86_400_000).toISOString(), createdBy: env.caller.actor };
      await store.set(ROW, hash.slice(0, 32), inv);
      return { token, uri: `xmpp:${ctx.host}?register;preauth=${token}`, id: inv.id, usesLeft: inv.usesLeft, expiresAt: inv.expiresAt };
    },
    format: (r: { uri: string; usesLeft: number; expiresAt: string }) => `${r.uri}\n(${r.usesLeft} use${r.usesLeft === 1 ? '' : 's'}, expires ${r.expiresAt})`,
  });
  ctx.commands.register({
    name: 'invite.list', summary: 'invitations that can still be used', scope: 'invites:read', needs: 'running',
    args: z.object({ host: hostArg }), positional: ['host'],
    result: z.object({ invites: z.array(info) }),
    http: { method: 'GET', path: '/invites/{host}' },
    async run() {
      const now = Date.now();
      const invites = [...(await store.getAll(ROW)).values()]
        .filter((i) => i.usesLeft > 0 && Date.parse(i.expiresAt) > now)
        .map(({ hash: _h, ...rest }) => rest);
      return { invites };
    },
  });
  ctx.commands.register({
    name: 'invite.revoke', summary: 'revoke an invitation by its id', scope: 'invites:write', needs: 'running',
    args: z.object({ host: hostArg, id: z.string().regex(/^[0-9a-f]{16}$/).describe('invitation id') }), positional: ['host', 'id'],
    result: z.object({ revoked: z.string() }),
    http: { method: 'DELETE', path: '/invites/{host}/{id}' },
    async run(_env, a: { id: string }) {
      for (const [key, inv] of await store.getAll(ROW)) {
        if (inv.id === a.id) {
          await store.set(ROW, key, null);
          return { revoked: a.id };
        }
      }
      throw new CommandError('not-found', `no invitation ${a.id}`);
    },
  });
}
