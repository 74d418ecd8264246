// XEP-0425 moderated retraction (urn:xmpp:message-moderate:1): a moderator retracts a message by its
// stanza-id; occupants are told with a XEP-0424 <retract/>, and the history and archive keep a tombstone.
import { clone, type Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { MUC } from './ns.js';
import type { MucService } from './service.js';

export function registerModeration(svc: MucService): void {
  svc.roomIq('set', MUC.MODERATE, 'moderate', async (room, req) => {
    const mod = room.byJid.get(req.from.full());
    if (!mod || mod.role !== 'moderator') throw new StanzaError('forbidden', 'only moderators may retract messages');
    const id = req.payload.attrs.id;
    if (!id) throw new StanzaError('bad-request', 'the stanza-id to retract is missing');
    if (!req.payload.getChild('retract', MUC.RETRACT)) throw new StanzaError('bad-request', 'only retraction is supported');
    const reason = req.payload.getChildText('reason') ?? '';
    const entry = room.history.find(id);
    const archived = room.config.archive || !entry ? await svc.archive.has(room.name, id) : null;
    if (!entry && !archived) throw new StanzaError('item-not-found', 'no message with that id');
    if (await svc.archive.tombstoneOf(room.name, id)) throw new StanzaError('item-not-found', 'that message is already retracted');
    const original = entry?.stanza ?? null;
    const occupantId = (original ?? null)?.getChild('occupant-id', MUC.OCCUPANT_ID)?.attrs.id
      ?? (archived ? /occupant-id[^>]*\bid=["']([^"']+)["']/.exec(archived.xml)?.[1] : undefined) ?? null;
    const by = room.occupantJid(mod.nick);
    const now = Date.now();
    await svc.archive.tombstone(room.name, id, { by, occupantId, reason, stamp: now });
    if (entry) entry.stanza = tombstone(entry.stanza, by, occupantId, reason, now);
    const moderated = el('moderated', { xmlns: MUC.MODERATE, by }, occupantId ? el('occupant-id', { xmlns: MUC.OCCUPANT_ID, id: occupantId }) : null);
    const retract = el('retract', { xmlns: MUC.RETRACT, id }, moderated, reason ? el('reason', null, reason) : null);
    room.broadcast(el('message', { from: room.jid, type: 'groupchat', id: `retract-${now.toString(36)}` }, retract,
      el('stanza-id', { xmlns: MUC.SID, id: `r-${id}`, by: room.jid })));
  });
}

/** The message with its content replaced by a <retracted/> tombstone (kept: from, id, ids of XEP-0359/0421). */
export function tombstone(m: Element, by: string, occupantId: string | null, reason: string, stamp: number): Element {
  const out = el('message', { ...m.attrs });
  for (const c of m.children) {
    if (typeof c === 'string') continue;
    if ((c.name === 'stanza-id' && c.attrs.xmlns === MUC.SID) || (c.name === 'occupant-id' && c.attrs.xmlns === MUC.OCCUPANT_ID)) out.cnode(clone(c));
  }
  out.cnode(el('retracted', { xmlns: MUC.RETRACT, stamp: new Date(stamp).toISOString() },
    el('moderated', { xmlns: MUC.MODERATE, by }, occupantId ? el('occupant-id', { xmlns: MUC.OCCUPANT_ID, id: occupantId }) : null),
    reason ? el('reason', null, reason) : null));
  return out;
}

