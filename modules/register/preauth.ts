// XEP-0077 §3.1: registration before authentication. The c2s offers IQs of a stream that has not
// authenticated (and, when TLS is required, only after TLS) to the pre-auth-iq hook; the answer goes
// straight to that stream, which has no JID yet.
import type { Element } from 'ltx';
import type { ClientSession, ModuleContext } from '../../src/api/index.js';
import { errorReply, iqResult, StanzaError } from '../../src/api/index.js';
import { readSubmission, registrationForm } from './fields.js';
import { NS_REGISTER, REGISTERED_HERE } from './ns.js';
import type { RegistrationLimiter } from './ratelimit.js';
import { checkPassword, checkUsername, type PasswordRules, type UsernameRules } from './rules.js';

export interface PreAuthOptions {
  instructions: string;
  allowInsecure: boolean;
  username: UsernameRules;
  password: PasswordRules;
}

export function registerPreAuth(ctx: ModuleContext<unknown>, opts: PreAuthOptions, limiter: RegistrationLimiter): void {
  const register = async (session: ClientSession, stanza: Element, query: Element): Promise<Element | undefined> => {
    if (!session.secure && !opts.allowInsecure) throw new StanzaError('not-authorized', 'registration needs an encrypted connection');
    if (stanza.attrs.type === 'get') return registrationForm(opts.instructions);
    if (stanza.attrs.type !== 'set') throw new StanzaError('bad-request', 'an IQ needs a type of get or set');
    const sub = readSubmission(query, [NS_REGISTER]);
    // §3.2 error table: an IM server cannot cancel a registration for an unauthenticated entity.
    if (sub.remove) throw new StanzaError('unexpected-request', 'authenticate before cancelling a registration');
    // §3.1.1: one registration per stream; then the client has to authenticate.
    if (session.data.has(REGISTERED_HERE)) throw new StanzaError('not-acceptable', 'an account was registered on this stream already: authenticate with it');
    if (!limiter.allowed(session.ip)) throw new StanzaError('resource-constraint', 'too many registrations from your address: try again later');
    const username = checkUsername(sub.username, opts.username);
    const password = checkPassword(sub.password, opts.password);
    session.data.set(REGISTERED_HERE, 'pending');
    const at = limiter.record(session.ip);
    let created = false;
    try {
      created = await ctx.accounts.create(username, password);
    } catch (err) {
      if (err instanceof RangeError) throw err;   // configuration, not the client's input
      throw new StanzaError('not-acceptable', (err as Error).message);   // e.g. SASLprep refused the password
    } finally {
      if (!created) {
        session.data.delete(REGISTERED_HERE);
        limiter.release(session.ip, at);
      }
    }
    if (!created) throw new StanzaError('conflict', 'this username is taken');
    session.data.set(REGISTERED_HERE, true);
    ctx.log.info({ username, ip: session.ip }, 'account registered in-band');
    return undefined;
  };

  ctx.hook('pre-auth-iq', async ({ session, stanza }) => {
    const query = stanza.getChild('query', NS_REGISTER);
    if (!query) return false;   // the c2s answers anything else with a stream error
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') return true;   // never answered
    let reply: Element;
    try {
      reply = iqResult(stanza, await register(session, stanza, query));
    } catch (err) {
      if (!(err instanceof StanzaError)) ctx.log.error({ err }, 'in-band registration failed');
      reply = errorReply(stanza, err instanceof StanzaError ? err : new StanzaError('internal-server-error'));
    }
    session.send(reply);
    return true;
  });
}
