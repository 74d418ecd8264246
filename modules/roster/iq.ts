// Roster get and set (RFC 6121 §2.1.3, §2.1.5, §2.3–§2.5) with versioning (§2.6.3).
import { el, StanzaError, type IqRequest, type ModuleContext } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { NS_ROSTER } from './ns.js';
import { isInterested, markInterested, pushTo } from './push.js';
import type { RosterInternals } from './service.js';
import { RosterStore } from './store.js';
import type { RosterItem } from './types.js';
import { itemElement, query, removedElement } from './xml.js';

export interface IqLimits {
  maxNameLength: number;
  maxGroupLength: number;
  maxGroups: number;
}

/** Length in characters (code points), as a user counts them. */
const chars = (s: string) => [...s].length;

/** Only the account itself reads or changes its roster. */
function ownRoster(req: IqRequest, onOther: StanzaError): string {
  const { from, to } = req;
  if (from.local === '' || from.local !== to.local || from.domain !== to.domain) throw onOther;
  return to.local;
}

interface SetRequest {
  contact: string;
  remove: boolean;
  name?: string;
  groups: string[];
}

/** Validates a roster set (§2.3.3); the client's 'ask', 'approved' and other subscription values are ignored (§2.1.2). */
function parseSet(req: IqRequest, limits: IqLimits): SetRequest {
  const items = req.payload.getChildElements().filter((c) => c.name === 'item');
  if (items.length !== 1) throw new StanzaError('bad-request', 'a roster set carries exactly one item');
  const item = items[0]!;
  const raw = item.attrs.jid;
  if (raw === undefined || raw === '') throw new StanzaError('bad-request', 'the item has no jid');
  const contact = tryParseJid(raw);
  if (!contact) throw new StanzaError('jid-malformed', 'the item jid is not a valid JID');
  if (contact.resource !== '') throw new StanzaError('bad-request', 'roster items are bare JIDs');
  const bare = contact.bare();
  if (contact.local === req.from.local && contact.domain === req.from.domain) {
    throw new StanzaError('not-allowed', 'the account itself cannot be a contact');
  }
  if (item.attrs.subscription === 'remove') return { contact: bare, remove: true, groups: [] };

  const name = item.attrs.name;
  if (name !== undefined && chars(name) > limits.maxNameLength) {
    throw new StanzaError('not-acceptable', `the name is longer than ${limits.maxNameLength} characters`);
  }
  const groups: string[] = [];
  for (const g of item.getChildElements()) {
    if (g.name !== 'group') continue;
    const text = g.getText();
    if (text.trim() === '') throw new StanzaError('not-acceptable', 'a group name is empty');
    if (chars(text) > limits.maxGroupLength) throw new StanzaError('not-acceptable', `a group name is longer than ${limits.maxGroupLength} characters`);
    if (groups.includes(text)) throw new StanzaError('bad-request', `the group '${text.slice(0, 100)}' is listed twice`);
    groups.push(text);
  }
  if (groups.length > limits.maxGroups) throw new StanzaError('not-acceptable', `an item may be in at most ${limits.maxGroups} groups`);
  return { contact: bare, remove: false, name: name === '' ? undefined : name, groups };
}

export function registerRosterIq(ctx: ModuleContext<unknown>, store: RosterStore, service: RosterInternals, limits: IqLimits): void {
  ctx.iq.get('bare', NS_ROSTER, 'query', (req) => {
    // RFC 6120 §10.5.3: nobody answers for another account's roster.
    const user = ownRoster(req, new StanzaError('service-unavailable'));
    const session = req.origin;
    if (session) markInterested(session);
    const clientVer = req.payload.attrs.ver;
    return store.withLock(user, async () => {
      const meta = await store.meta(user);
      const current = RosterStore.versionString(meta);
      if (clientVer !== undefined && clientVer !== '') {
        const changes = RosterStore.changesSince(meta, clientVer);
        if (changes) {
          // §2.6.3: an empty result, then the changes as pushes (after the result has gone out).
          if (changes.length > 0 && session) setImmediate(() => void replay(user, session, clientVer));
          return undefined;
        }
      }
      const items = [...(await store.all(user)).values()].filter((i) => !i.hidden);
      return query(current, items.map(itemElement));
    });
  });

  /** Pushes, oldest first, the current state of each contact changed since `since`, with the version of that change. */
  const replay = (user: string, session: NonNullable<IqRequest['origin']>, since: string) => store.withLock(user, async () => {
    if (!isInterested(session) || session.state !== 'established') return;
    const meta = await store.meta(user);
    const changes = RosterStore.changesSince(meta, since);
    if (!changes) {
      ctx.log.warn({ user }, 'roster changed too much to replay; the client keeps a stale roster until its next full get');
      return;
    }
    for (const [contact, v] of changes) {
      const item = await store.get(user, contact);
      pushTo(session, item && !item.hidden ? itemElement(item) : removedElement(contact), RosterStore.versionString(meta, v));
    }
  }).catch((err: unknown) => ctx.log.error({ err, user }, 'roster replay failed'));

  ctx.iq.set('bare', NS_ROSTER, 'query', async (req) => {
    const user = ownRoster(req, new StanzaError('forbidden', 'only the account itself may change its roster'));
    const set = parseSet(req, limits);
    if (set.remove) return remove(user, set.contact);
    await service.change(user, set.contact, (current) => {
      const next: RosterItem = current
        ? { ...current, hidden: false, groups: set.groups }
        : { jid: set.contact, groups: set.groups, subscription: 'none', ask: false, approved: false, pendingIn: false, hidden: false };
      if (set.name === undefined) delete next.name;
      else next.name = set.name;
      return next;
    }, true);
    return undefined;
  });

  /** §2.5: removes the item, then cancels the subscriptions in both directions. */
  const remove = async (user: string, contact: string): Promise<undefined> => {
    let removed: RosterItem | null = null;
    await service.change(user, contact, (current) => {
      removed = current;
      return current ? null : undefined;
    });
    const item = removed as RosterItem | null;
    if (!item) throw new StanzaError('item-not-found', 'the contact is not in the roster');
    const userBare = `${user}@${ctx.host}`;
    const hadFrom = item.subscription === 'from' || item.subscription === 'both';
    if (item.subscription === 'to' || item.subscription === 'both' || item.ask) {
      await ctx.send(el('presence', { type: 'unsubscribe', from: userBare, to: contact }));
    }
    if (hadFrom || item.pendingIn) {
      await ctx.send(el('presence', { type: 'unsubscribed', from: userBare, to: contact }));
    }
    if (hadFrom) {
      // The contact no longer sees the user: it is told that every resource went offline (§3.2.2).
      for (const s of ctx.sessions.ofUser(user).values()) {
        if (s.jid && s.presence) await ctx.send(el('presence', { type: 'unavailable', from: s.jid.full(), to: contact }));
      }
    }
    return undefined;
  };
}
