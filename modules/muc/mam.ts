// XEP-0313 for rooms (§5 of the XEP, "MUC archives"): queries to the room's bare JID over the room archive,
// with the shared query piece of the mam module (paging as for 1:1 archives). Moderated messages come out
// as their XEP-0425 tombstones.
import type { Element } from 'ltx';
import { StanzaError, type IqRequest } from '../../src/api/index.js';
import { archiveMetadata } from '../mam/metadata.js';
import { queryForm } from '../mam/form.js';
import { NS_MAM } from '../mam/ns.js';
import { restoreMessages, runMamQuery } from '../mam/query.js';
import { AFFILIATION_RANK } from './permissions.js';
import { tombstone } from './moderation.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';

const LIMITS = { defaultPageSize: 50, maxPageSize: 250 };

/** Who may read a room's archive: not outcasts; in members-only or password-protected rooms, members or occupants. */
function checkAccess(room: Room, req: IqRequest): void {
  if (!room.config.archive) throw new StanzaError('service-unavailable', 'this room keeps no archive');
  const aff = room.affiliation(req.from.bare());
  if (aff === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  const closed = room.config.membersOnly || room.config.password !== '';
  if (closed && AFFILIATION_RANK[aff] < AFFILIATION_RANK.member && !room.byJid.has(req.from.full())) {
    throw new StanzaError('forbidden', 'only members and occupants may read this archive');
  }
}

export function registerRoomMam(svc: MucService): void {
  svc.roomIq('get', NS_MAM, 'query', (room, req) => {
    checkAccess(room, req);
    return queryForm();
  });
  svc.roomIq('get', NS_MAM, 'metadata', async (room, req) => {
    checkAccess(room, req);
    return archiveMetadata({ store: svc.archive.store, owner: room.name });
  });
  svc.roomIq('set', NS_MAM, 'query', async (room, req) => {
    checkAccess(room, req);
    // The archive's 'with' is the sender's real JID: in a semi-anonymous room only those who see real JIDs may filter by it.
    if (usesWith(req.payload) && !seesRealJids(room, req)) throw new StanzaError('forbidden', "only moderators may filter this room's archive by 'with'");
    const stones = await svc.archive.tombstones(room.name);
    return runMamQuery({
      archive: { store: svc.archive.store, owner: room.name, jid: room.jid },
      query: req.payload,
      to: req.from.full(),
      send: (m) => svc.send(stones.size > 0 ? withTombstone(m, stones) : m),
      parseStored: stones.size > 0,   // tombstones edit the forwarded message
      limits: LIMITS,
    });
  });
}

function usesWith(query: Element): boolean {
  const form = query.getChild('x', 'jabber:x:data');
  return !!form?.getChildren('field').some((f) => f.attrs.var === 'with' && (f.getChildText('value') ?? '').trim() !== '');
}

function seesRealJids(room: Room, req: IqRequest): boolean {
  if (room.config.whois === 'anyone') return true;
  const o = room.byJid.get(req.from.full());
  return o ? room.seesJids(o) : AFFILIATION_RANK[room.affiliation(req.from.bare())] >= AFFILIATION_RANK.admin;
}

function withTombstone(m: Element, stones: Map<string, { by: string; occupantId: string | null; reason: string; stamp: number }>): Element {
  const result = m.getChild('result', NS_MAM);
  const t = result && stones.get(result.attrs.id ?? '');
  const fwd = result?.getChild('forwarded', 'urn:xmpp:forward:0');
  const inner = fwd?.getChild('message');
  if (!t || !fwd || !inner) return m;
  const replaced = tombstone(inner, t.by, t.occupantId, t.reason, t.stamp);
  if (inner.attrs.xmlns) replaced.attrs.xmlns = inner.attrs.xmlns;
  fwd.children = fwd.children.map((c) => (c === inner ? replaced : c));
  return m;
}


/** After a restart, an archived room's history for newcomers comes back from its archive (tombstones included). */
export async function loadHistory(svc: MucService, room: Room): Promise<void> {
  const capacity = room.history.capacity;
  if (!room.config.archive || capacity <= 0) return;
  const page = await svc.archive.store.find(room.name, { limit: capacity, reverse: true });
  const messages = restoreMessages(page.items);
  const stones = await svc.archive.tombstones(room.name);
  page.items.forEach((item, i) => {
    let m = messages[i];
    if (!m) return;
    delete m.attrs.xmlns;
    delete m.attrs.to;
    const t = stones.get(item.id);
    if (t) m = tombstone(m, t.by, t.occupantId, t.reason, t.stamp);
    room.history.add({ stanza: m, when: item.when, id: item.id, chars: m.toString().length });
  });
}
