// XEP-0077 §3.2 (cancel) and §3.3 (password change) for an authenticated user, addressed to the
// server or to the user's own bare JID (no 'to').
import type { IqHandler, IqRequest, ModuleContext } from '../../src/api/index.js';
import { el, iqResult, StanzaError } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { readSubmission } from './fields.js';
import { NS_REGISTER } from './ns.js';
import { checkPassword, type PasswordRules } from './rules.js';

export interface AccountOptions {
  allowPasswordChange: boolean;
  allowCancel: boolean;
  allowInsecure: boolean;
  password: PasswordRules;
}

/** The local user the request is about: the sender, who must be an account of this host. */
function requester(ctx: ModuleContext<unknown>, { from, to }: IqRequest): string {
  if (!from.local || from.domain !== ctx.host) throw new StanzaError('service-unavailable');
  if (to.local && to.local !== from.local) throw new StanzaError('service-unavailable');   // someone else's bare JID
  return from.local;
}

/** <username/> may name the user as a localpart or as the bare JID (the §3.3 form example does the latter). */
function namesUser(ctx: ModuleContext<unknown>, given: string, user: string): boolean {
  const jid = tryParseJid(given.includes('@') ? given.trim() : `${given.trim()}@${ctx.host}`);
  return jid !== null && !jid.resource && jid.local === user && jid.domain === ctx.host;
}

export function registerAccountOps(ctx: ModuleContext<unknown>, opts: AccountOptions): void {
  const get: IqHandler = (req) => {
    const user = requester(ctx, req);
    return el('query', { xmlns: NS_REGISTER },
      el('registered'),
      el('instructions', null, 'You are registered. Send a new <password/> to change it, or <remove/> to delete your account.'),
      el('username', null, user));
  };

  const set: IqHandler = async (req) => {
    const user = requester(ctx, req);
    const origin = req.origin;
    const sub = readSubmission(req.payload, [NS_REGISTER, `${NS_REGISTER}:changepassword`]);

    if (sub.remove) {
      if (req.payload.getChildElements().length !== 1) throw new StanzaError('bad-request', '<remove/> must be the only child of <query/>');
      if (!opts.allowCancel) throw new StanzaError('not-allowed', 'accounts cannot be deleted in-band here');
      // §3.2: answer first, then delete: deleting closes every session of the account (not-authorized).
      if (origin?.jid) origin.send(iqResult(req.stanza));
      await ctx.accounts.delete(user);
      ctx.log.info({ username: user }, 'account deleted in-band');
      return undefined;   // the router's answer finds the stream closed and is dropped
    }

    if (!opts.allowPasswordChange) throw new StanzaError('not-allowed', 'passwords cannot be changed in-band here');
    if (origin && !origin.secure && !opts.allowInsecure) throw new StanzaError('not-authorized', 'the connection is not encrypted');
    if (sub.username !== null && !namesUser(ctx, sub.username, user)) throw new StanzaError('forbidden', 'you can only change your own password');
    // §3.3: an empty password never replaces the existing one.
    if (sub.password === null || sub.password === '') throw new StanzaError('bad-request', 'the new <password/> is missing');
    const password = checkPassword(sub.password, opts.password);
    try {
      if (!(await ctx.accounts.setPassword(user, password))) throw new StanzaError('registration-required');
    } catch (err) {
      if (err instanceof StanzaError || err instanceof RangeError) throw err;
      throw new StanzaError('not-acceptable', (err as Error).message);
    }
    ctx.log.info({ username: user }, 'password changed in-band');
    return undefined;
  };

  for (const target of ['host', 'bare'] as const) {
    ctx.iq.get(target, NS_REGISTER, 'query', get);
    ctx.iq.set(target, NS_REGISTER, 'query', set);
  }
}
