// Presence a client sends (RFC 6121 §3 and §4, on the sender's host): broadcast presence
// (initial, subsequent, unavailable), directed presence, subscription stanzas and probes.
import { clone, type Element } from 'ltx';
import { el, StanzaError, type ClientSession, type StanzaEvent } from '../../src/api/index.js';
import type { RosterItem } from '../roster/types.js';
import { bareOf, sendCurrentPresence, sendUnavailable, type Deps } from './deps.js';
import { fromJson } from './json.js';
import { availableSessions, directedTargets, takeDirected } from './session.js';
import { hasFrom, hasTo, outbound, SUBSCRIPTION_TYPES, type Outcome, type SubscriptionType } from './states.js';

/** §4.7.2.3: an integer from -128 to 127; absent means 0. */
function parsePriority(stanza: Element): number | StanzaError {
  const child = stanza.getChild('priority');
  if (!child) return 0;
  const text = child.getText().trim();
  const n = /^[+-]?\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < -128 || n > 127) return new StanzaError('bad-request', 'priority must be an integer from -128 to 127');
  return n;
}

/** A copy of `p` addressed from `from` to `to`. */
function readdress(p: Element, from: string, to: string): Element {
  const c = clone(p);
  c.attrs.from = from;
  c.attrs.to = to;
  return c;
}

export function createOutbound(deps: Deps) {
  const { ctx, roster } = deps;

  /** §4.2 and §4.4: available presence with no 'to'. */
  const available = async (session: ClientSession, ev: StanzaEvent): Promise<void> => {
    const priority = parsePriority(ev.stanza);
    if (priority instanceof StanzaError) {
      ev.reply(priority);
      return;
    }
    const user = session.username!;
    const full = session.jid!.full();
    const initial = session.presence === null;
    const p = clone(ev.stanza);
    delete p.attrs.to;
    p.attrs.from = full;
    session.presence = p;
    session.priority = priority;

    // Hidden items (pending requests from strangers) have no subscription, so they get nothing here.
    const items = await roster.items(user, { includeHidden: true });
    for (const item of items.values()) {
      if (hasFrom(item.subscription)) await ctx.send(readdress(p, full, item.jid));
    }
    // An entity is subscribed to its own presence: every available resource, this one included.
    const own = availableSessions(ctx.sessions.ofUser(user).values());
    for (const s of own) s.send(readdress(p, full, s.jid!.full()));

    if (initial) {
      for (const s of own) if (s !== session) session.send(readdress(s.presence!, s.jid!.full(), full));
      const bare = bareOf(ctx, user);
      for (const item of items.values()) {
        if (hasTo(item.subscription)) await ctx.send(el('presence', { type: 'probe', from: bare, to: item.jid }));
      }
      // §3.1.3: subscription requests the user has not answered are delivered again at each login.
      for (const item of items.values()) {
        if (item.pendingIn) session.send(storedRequest(item) ?? el('presence', { type: 'subscribe', from: item.jid, to: bare }));
      }
    }
    await ctx.fire('presence-available', { session, initial });
  };

  /** §4.5 and §4.6.3: the session goes unavailable (explicitly, or because it ended when `stanza` is null). */
  const unavailable = async (session: ClientSession, stanza: Element | null): Promise<void> => {
    const user = session.username!;
    const full = session.jid!.full();
    const wasAvailable = session.presence !== null;
    const p = stanza ? clone(stanza) : el('presence', { type: 'unavailable' });
    delete p.attrs.to;
    p.attrs.from = full;
    session.presence = null;

    const told = new Set<string>();
    if (wasAvailable) {
      for (const item of (await roster.items(user)).values()) {
        if (!hasFrom(item.subscription)) continue;
        told.add(item.jid);
        await ctx.send(readdress(p, full, item.jid));
      }
      const others = availableSessions(ctx.sessions.ofUser(user).values(), session);
      for (const s of others) s.send(readdress(p, full, s.jid!.full()));
      // Not for an account being deleted: its sessions end after its data was purged.
      if (others.length === 0 && (await ctx.accounts.exists(user))) await deps.last.save(user, p);
    }
    for (const target of takeDirected(session)) {
      const bare = target.includes('/') ? target.slice(0, target.indexOf('/')) : target;
      if (!told.has(bare)) await ctx.send(readdress(p, full, target));
    }
    if (wasAvailable) await ctx.fire('presence-unavailable', { session });
  };

  /** §4.6: presence with a 'to'; remembered so the target learns when the session goes away. */
  const directed = async (session: ClientSession, ev: StanzaEvent): Promise<false> => {
    const to = ev.to;
    if (to.local === session.jid!.local && to.domain === session.jid!.domain) return false;   // the user's own resources
    const targets = directedTargets(session);
    const key = to.full();
    if (ev.stanza.attrs.type === 'unavailable') {
      targets.delete(key);
      return false;
    }
    // Subscribers of an available session are told by the unavailable broadcast anyway.
    if (session.presence && to.local !== '' && (await roster.isSubscribed(session.username!, to.bare()))) return false;
    if (targets.size < ctx.options.maxDirected) targets.add(key);
    else ctx.log.debug({ to: key }, 'too many directed presence targets; this one will not be told of the logout');
    return false;
  };

  /** §3: the user subscribes, approves, unsubscribes or refuses; the roster follows Appendix A.2. */
  const subscription = async (ev: StanzaEvent, type: SubscriptionType): Promise<void> => {
    const user = ev.from.local;
    const userBare = ev.from.bare();
    const contact = ev.to.bare();
    if (contact === userBare) return;   // subscriptions to oneself mean nothing
    let outcome: Outcome | undefined;
    try {
      await roster.update(user, contact, (current: RosterItem | null) => {
        outcome = outbound(type, current, contact, ctx.options.preApproval);
        return outcome.item;
      });
    } catch (err) {
      if (err instanceof StanzaError) {
        ev.reply(err);
        return;
      }
      throw err;
    }
    if (!outcome) return;
    // The server stamps the user's bare JID on subscription stanzas (§3.1.2).
    if (outcome.pass) await ctx.send(readdress(ev.stanza, userBare, contact));
    if (outcome.sendPresence) await sendCurrentPresence(deps, user, contact);
    if (outcome.sendUnavailable) await sendUnavailable(deps, user, contact);
  };

  /** pre-presence on this host: everything a local client sends. Returns true when it was handled here. */
  const onPresence = async (ev: StanzaEvent): Promise<boolean> => {
    const session = ev.origin;
    if (!session?.jid || !session.username || session.host !== ctx.host) return false;
    const type = ev.stanza.attrs.type;
    if (type === 'error') return false;   // routed as it is, never answered
    if (ev.stanza.attrs.to === undefined) {
      if (type === undefined) await available(session, ev);
      else if (type === 'unavailable') await unavailable(session, ev.stanza);
      // A subscription stanza or probe with no 'to' addresses the account itself: nothing to do.
      return true;
    }
    if (SUBSCRIPTION_TYPES.has(type!)) {
      await subscription(ev, type as SubscriptionType);
      return true;
    }
    if (type === 'probe') {
      // §4.3: probes go out from the bare JID; the contact's server decides what to answer.
      if (!(ev.to.local === ev.from.local && ev.to.domain === ev.from.domain)) await ctx.send(readdress(ev.stanza, ev.from.bare(), ev.to.full()));
      return true;
    }
    return directed(session, ev);
  };

  return { onPresence, unavailable };
}

function storedRequest(item: RosterItem): Element | null {
  if (!item.request) return null;
  try {
    return fromJson(JSON.parse(item.request));
  } catch {
    return null;
  }
}
