// Presence addressed to a local account (on the recipient's host): subscription stanzas follow
// RFC 6121 Appendix A.3, probes are answered on the user's behalf (§4.3.2), and presence to the
// bare JID goes to every available resource (§8.5.2.1.1).
import { clone, type Element } from 'ltx';
import { el, StanzaError, type StanzaEvent } from '../../src/api/index.js';
import type { RosterItem } from '../roster/types.js';
import { bareOf, sendCurrentPresence, sendUnavailable, type Deps } from './deps.js';
import { jsonSize, toJson } from './json.js';
import { availableSessions } from './session.js';
import { hasFrom, inbound, SUBSCRIPTION_TYPES, type Outcome, type SubscriptionType } from './states.js';

/** Stored subscription requests are kept small; a larger one is redelivered without its payload. */
const MAX_REQUEST = 8 * 1024;

export function createInbound(deps: Deps) {
  const { ctx, roster } = deps;

  const deliverToAvailable = (user: string, stanza: Element): void => {
    for (const s of availableSessions(ctx.sessions.ofUser(user).values())) s.send(stanza);
  };

  const subscription = async (ev: StanzaEvent, type: SubscriptionType): Promise<void> => {
    const user = ev.to.local;
    const userBare = bareOf(ctx, user);
    const contact = ev.from.bare();
    if (contact === userBare || (ev.from.local === '' && ev.from.domain === ctx.host)) return;
    if (!(await ctx.accounts.exists(user))) {
      // §3.1.3: a request to an account that does not exist is refused; anything else is ignored.
      if (type === 'subscribe') await ctx.send(el('presence', { type: 'unsubscribed', from: userBare, to: contact }));
      return;
    }
    const stanza = clone(ev.stanza);
    stanza.attrs.from = contact;
    stanza.attrs.to = userBare;
    let request: string | undefined;
    if (type === 'subscribe') {
      let json = toJson(stanza);
      if (jsonSize(json) > MAX_REQUEST) json = { n: 'presence', a: { type: 'subscribe', from: contact, to: userBare }, c: [] };
      request = JSON.stringify(json);
    }
    let outcome: Outcome | undefined;
    try {
      await roster.update(user, contact, (current: RosterItem | null) => {
        outcome = inbound(type, current, contact, request);
        return outcome.item;
      });
    } catch (err) {
      if (err instanceof StanzaError) {
        ctx.log.info({ user, contact, condition: err.condition }, 'subscription request dropped');
        return;
      }
      throw err;
    }
    if (!outcome) return;
    // Without an available resource a request waits in the roster for the next login (§3.1.3).
    if (outcome.pass) deliverToAvailable(user, stanza);
    if (outcome.autoApprove) await ctx.send(el('presence', { type: 'subscribed', from: userBare, to: contact }));
    if (outcome.sendPresence) await sendCurrentPresence(deps, user, contact);
    if (outcome.sendUnavailable) await sendUnavailable(deps, user, contact);
  };

  /** §4.3.2: a probe to the user's bare JID (or to one resource, `resource`). */
  const probe = async (ev: StanzaEvent, resource: string | null): Promise<void> => {
    const user = ev.to.local;
    const userBare = bareOf(ctx, user);
    const prober = ev.from.bare();
    if (prober === userBare) return;
    // No account lookup first: deleting an account purges its roster, so an item implies the account exists
    // (a login probes every contact, and this saves one account read per contact).
    const item = await roster.item(user, prober);
    if (!item || item.hidden || !hasFrom(item.subscription)) {
      // Not subscribed (or no such account): say so, which also clears a stale subscription on the
      // prober's side; a pending request from the prober is left alone.
      if (!item?.pendingIn) await ctx.send(el('presence', { type: 'unsubscribed', from: userBare, to: prober }));
      return;
    }
    const to = ev.from.full();
    const all = availableSessions(ctx.sessions.ofUser(user).values());
    const sessions = resource === null ? all : all.filter((s) => s.jid!.resource === resource);
    for (const s of sessions) {
      const p = clone(s.presence!);
      p.attrs.from = s.jid!.full();
      p.attrs.to = to;
      await ctx.send(p);
    }
    if (sessions.length > 0) return;
    // Offline: the last unavailable presence, stamped with when it was sent (XEP-0203).
    if (all.length === 0) await ctx.send(await deps.last.answer(user, userBare, to, ctx.host));
    else await ctx.send(el('presence', { type: 'unavailable', from: `${userBare}/${resource}`, to }));
  };

  const onBare = async (ev: StanzaEvent): Promise<boolean> => {
    const type = ev.stanza.attrs.type;
    if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) await subscription(ev, type as SubscriptionType);
    else if (type === 'probe') await probe(ev, null);
    else deliverToAvailable(ev.to.local, ev.stanza);   // available, unavailable, error
    return true;
  };

  const onFull = async (ev: StanzaEvent): Promise<boolean> => {
    const type = ev.stanza.attrs.type;
    // Subscription stanzas concern the account, whatever resource they were sent to.
    if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) {
      await subscription(ev, type as SubscriptionType);
      return true;
    }
    if (type === 'probe') {
      await probe(ev, ev.to.resource);
      return true;
    }
    return false;   // the router delivers it to that session, if connected
  };

  return { onBare, onFull };
}
