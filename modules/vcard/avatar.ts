// XEP-0153 vCard-based avatars, server side (as Prosody's mod_vcard_legacy does):
//  - a broadcast available presence without <x xmlns='vcard-temp:x:update'/> gets one with the hash of
//    the stored PHOTO (or an empty <photo/> when the stored vCard has none), so contacts of clients
//    that do not implement XEP-0153 still learn about avatar changes, and other resources of the user
//    do not stop advertising the hash (§3.3 rule 1). A client's own <x/> is left alone: it is the
//    authority on what it advertises (§3.1).
//  - after a vCard set that changes the photo, the sessions whose last broadcast got the element from
//    the server have their presence sent again with the new hash (to presence subscribers from the
//    roster and to the user's own available resources). Clients that add <x/> themselves republish on
//    their own, as §3.2 rule 1 requires of them.
import { clone, type Element } from 'ltx';
import type { ClientSession, ModuleContext, StanzaEvent } from '../../src/api/index.js';
import { el, PRIORITY } from '../../src/api/index.js';
import { INJECTED, NS_VCARD_UPDATE } from './ns.js';
import type { VcardStore } from './store.js';
import type { VcardSummary } from './types.js';

/** The part of the roster service used here (modules/roster/types.ts), looked up by name so that
 *  this module works without the roster module. */
interface RosterLookup {
  items(user: string): Promise<Map<string, { subscription: string }>>;
}

const updateElement = (hash: string | null): Element => el('x', { xmlns: NS_VCARD_UPDATE }, el('photo', null, hash ?? undefined));

export function registerAvatarHashes(ctx: ModuleContext<unknown>, store: VcardStore): void {
  const decorate = (ev: StanzaEvent, session: ClientSession, card: VcardSummary | null): false => {
    if (card) ev.stanza.cnode(updateElement(card.photoHash));
    session.data.set(INJECTED, card !== null);
    return false;
  };

  // Above the presence module's handler, so the element goes out with the broadcast and is part of the
  // presence it stores for probes.
  ctx.hook('pre-presence', (ev) => {
    const session = ev.origin;
    if (!session?.username || ev.stanza.attrs.to !== undefined || ev.stanza.attrs.type !== undefined) return false;
    if (ev.stanza.getChild('x', NS_VCARD_UPDATE)) {
      session.data.set(INJECTED, false);
      return false;
    }
    const cached = store.peek(session.username);
    if (cached !== undefined) return decorate(ev, session, cached);
    return store.summary(session.username).then((card) => decorate(ev, session, card));
  }, PRIORITY.DEFAULT + 100);
}

/** Sends the presence of the user's sessions that rely on the server for the hash again, with the new hash. */
export async function rebroadcast(ctx: ModuleContext<unknown>, user: string, hash: string | null): Promise<void> {
  const available = [...ctx.sessions.ofUser(user).values()].filter((s) => s.jid && s.presence);
  const relying = available.filter((s) => s.data.get(INJECTED) === true);
  if (relying.length === 0) return;
  const roster = (ctx.tryUse as (name: string) => unknown)('roster') as RosterLookup | undefined;
  const targets = available.map((s) => s.jid!.full());
  if (roster) {
    for (const [contact, item] of await roster.items(user)) {
      if (item.subscription === 'from' || item.subscription === 'both') targets.push(contact);
    }
  }
  for (const s of relying) {
    const presence = s.presence!;
    for (const x of presence.getChildren('x', NS_VCARD_UPDATE)) presence.remove(x);
    presence.cnode(updateElement(hash));
    for (const to of targets) {
      const p = clone(presence);
      p.attrs.from = s.jid!.full();
      p.attrs.to = to;
      await ctx.send(p);
    }
  }
}
