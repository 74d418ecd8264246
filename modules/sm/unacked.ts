// What happens to stanzas a client never acknowledged when its session ends without being resumed
// (XEP-0198 §5 "the server SHOULD treat unacknowledged stanzas as if they had not been delivered").
// Chat and normal messages are never lost and never reach a device twice:
//   - the account has no other resource bound: they go where undeliverable messages go (offline storage,
//     through the message module's message/offline event; the next resource to come online gets them);
//   - another resource is bound (it may have had the message too, as a copy or a carbon): a message the
//     user's archive holds (a XEP-0359 stanza-id by the account) is left to the archive, any other is
//     bounced to its sender with recipient-unavailable, rather than delivered a second time.
// Unanswered IQ requests get service-unavailable; what RFC 6121 drops for an unavailable resource
// (presence, groupchat, headline, errors, IQ results), carbon copies and MAM results are dropped.
import type { Element } from 'ltx';
import { jid, tryParseJid } from '../../src/jid.js';
import { errorReply, StanzaError, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { stanzaIdBy } from '../mam/stanza-id.js';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_MAM_PREFIX = 'urn:xmpp:mam:';

export type UnackedOutcome = 'stored' | 'archived' | 'bounced' | 'dropped';

/** Hands one unacknowledged stanza of the session `owner`/`resource` (which has ended) back to the server. */
export async function requeue(ctx: ModuleContext<unknown>, owner: string, resource: string, stanza: Element, opts: { shuttingDown: boolean }): Promise<UnackedOutcome> {
  const type = stanza.attrs.type;
  const from = tryParseJid(stanza.attrs.from ?? '');
  if (!from) return 'dropped';
  if (stanza.name === 'iq') {
    if (type !== 'get' && type !== 'set') return 'dropped';
    await bounce(ctx, stanza, new StanzaError('service-unavailable', 'the recipient went offline before answering'));
    return 'bounced';
  }
  if (stanza.name !== 'message') return 'dropped';
  if (type === 'error' || type === 'groupchat' || type === 'headline') return 'dropped';
  if (stanza.children.some((c) => typeof c !== 'string' && c.attrs.xmlns === NS_CARBONS)) return 'dropped';
  // A MAM result answers one query of the session that ended; a new session queries again (XEP-0313 §4.2).
  if (stanza.children.some((c) => typeof c !== 'string' && c.name === 'result' && c.attrs.xmlns?.startsWith(NS_MAM_PREFIX))) return 'dropped';
  // During a shutdown every session is about to end: offline storage is where the message will be found.
  const others = !opts.shuttingDown && [...ctx.sessions.ofUser(owner).values()].some((s) => s.jid !== null && s.jid.resource !== resource);
  if (others) {
    if (stanzaIdBy(stanza, `${owner}@${ctx.host}`) !== undefined) return 'archived';
    await bounce(ctx, stanza, new StanzaError('recipient-unavailable', 'the recipient went offline before receiving this'));
    return 'bounced';
  }
  const ev: StanzaEvent = {
    stanza,
    origin: null,
    from,
    to: jid(owner, ctx.host),
    host: ctx.host,
    reply: (err) => void bounce(ctx, stanza, err),
  };
  const taken = await ctx.fire('message/offline', ev);
  if (taken) return 'stored';
  await bounce(ctx, stanza, new StanzaError('recipient-unavailable', 'the recipient went offline before receiving this'));
  return 'bounced';
}

async function bounce(ctx: ModuleContext<unknown>, stanza: Element, err: StanzaError): Promise<void> {
  const reply = errorReply(stanza, err);
  reply.attrs.from = stanza.attrs.to ?? ctx.host;
  reply.attrs.to = stanza.attrs.from!;
  await ctx.send(reply);
}
