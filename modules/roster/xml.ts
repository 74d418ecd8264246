// Roster items on the wire (RFC 6121 §2.1.2): what the user sees of a stored item.
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { NS_ROSTER } from './ns.js';
import type { RosterItem } from './types.js';

/** The <item/> the user sees of an item (callers never show hidden items). */
export function itemElement(item: RosterItem): Element {
  const attrs: Record<string, string> = { jid: item.jid };
  if (item.name !== undefined) attrs.name = item.name;
  attrs.subscription = item.subscription;
  if (item.ask) attrs.ask = 'subscribe';
  // §3.4: 'approved' only means something while the contact has no subscription yet.
  if (item.approved && item.subscription !== 'from' && item.subscription !== 'both') attrs.approved = 'true';
  return el('item', attrs, ...item.groups.map((g) => el('group', null, g)));
}

export function removedElement(jid: string): Element {
  return el('item', { jid, subscription: 'remove' });
}

/** A stable text of what the user sees of an item (null when not visible); equal views need no push. */
export function view(item: RosterItem | null): string | null {
  return item && !item.hidden ? itemElement(item).toString() : null;
}

export function query(ver: string | undefined, items: Element[]): Element {
  return el('query', { xmlns: NS_ROSTER, ver }, ...items);
}
