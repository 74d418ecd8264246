// Service discovery of the service (XEP-0045 §6.1-§6.3) and of rooms (§6.4, muc#roominfo per XEP-0045 §15.5.4).
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { parseRsm, rsmResult } from '../mam/rsm.js';
import { NS_RSM } from '../mam/ns.js';
import { MUC } from './ns.js';
import type { Room } from './room.js';

const identity = (name: string) => el('identity', { category: 'conference', type: 'text', name });
const feature = (v: string) => el('feature', { var: v });
const field = (v: string, value: string, type?: string) => el('field', { var: v, type }, el('value', null, value));

export function serviceInfo(name: string): Element {
  return el('query', { xmlns: MUC.DISCO_INFO }, identity(name),
    ...[MUC.BASE, MUC.DISCO_INFO, MUC.DISCO_ITEMS, MUC.STABLE_ID, MUC.OCCUPANT_ID, MUC.SELF_PING, MUC.VCARD].map(feature));
}

/** Rooms per disco#items answer at most; beyond that the list is paged with XEP-0059 (§6.3 of XEP-0045). */
export const MAX_ROOMS_PER_PAGE = 200;

/** The public rooms, sorted by JID, a page at a time (RSM <after/>/<before/> by room JID, <max/>). */
export function serviceItems(rooms: Iterable<Room>, request: Element): Element {
  const q = el('query', { xmlns: MUC.DISCO_ITEMS });
  const listed = [...rooms].filter((r) => r.config.public && !r.record.locked).sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
  const rsm = parseRsm(request);
  const paged = request.getChild('set', NS_RSM) !== undefined || listed.length > MAX_ROOMS_PER_PAGE;
  const max = Math.min(rsm.max ?? MAX_ROOMS_PER_PAGE, MAX_ROOMS_PER_PAGE);
  let from = 0;
  let to = listed.length;
  if (rsm.after !== undefined) from = listed.findIndex((r) => r.jid > rsm.after!);
  if (from === -1) from = listed.length;
  if (rsm.before !== undefined) {
    to = rsm.before === '' ? listed.length : listed.filter((r) => r.jid < rsm.before!).length;
    from = Math.max(0, to - max);
  } else {
    to = Math.min(listed.length, from + max);
  }
  const page = listed.slice(from, to);
  for (const r of page) q.cnode(el('item', { jid: r.jid, name: r.config.name || r.name }));
  if (paged) {
    const set = rsmResult({ first: page[0]?.jid, last: page[page.length - 1]?.jid, count: listed.length });
    const first = set.getChild('first');
    if (first) first.attrs.index = String(from);
    q.cnode(set);
  }
  return q;
}

export function roomFeatures(room: Room): string[] {
  const c = room.config;
  const f: string[] = [
    MUC.BASE, MUC.DISCO_INFO, MUC.DISCO_ITEMS, MUC.STABLE_ID, MUC.SID, MUC.OCCUPANT_ID, MUC.SELF_PING, MUC.VCARD, MUC.MODERATE, MUC.CONFERENCE, 'jabber:iq:register',
    c.public ? 'muc_public' : 'muc_hidden',
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    c.password ? 'muc_passwordprotected' : 'muc_unsecured',
  ];
  if (c.archive) f.push(MUC.MAM, `${MUC.MAM}#extended`);
  return f;
}

/** A locked room does not exist yet for anyone but its owners (who configure it). */
export function roomInfo(room: Room, node: string | undefined, requester: string): Element {
  if (node !== undefined || (room.record.locked && room.affiliation(requester) !== 'owner')) throw new StanzaError('item-not-found');
  const c = room.config;
  const form = el('x', { xmlns: MUC.DATA, type: 'result' },
    field('FORM_TYPE', MUC.ROOMINFO, 'hidden'),
    field('muc#roominfo_description', c.description),
    field('muc#roomconfig_roomname', c.name),
    field('muc#roominfo_occupants', String(room.occupants.size)),
    field('muc#roominfo_subject', room.record.subject?.text ?? ''),
    field('muc#roomconfig_changesubject', c.changeSubject ? '1' : '0'),
    field('muc#roominfo_lang', c.language));
  const hash = room.record.vcard?.photoHash;
  if (hash) form.cnode(field('muc#roominfo_avatarhash', hash));
  return el('query', { xmlns: MUC.DISCO_INFO }, identity(c.name || room.name), ...roomFeatures(room).sort().map(feature), form);
}

export function roomItems(room: Room, node: string | undefined): Element {
  if (node !== undefined || room.record.locked) throw new StanzaError('item-not-found');
  // Occupants are not listed: in a semi-anonymous room that would tell strangers who is there.
  return el('query', { xmlns: MUC.DISCO_ITEMS });
}
