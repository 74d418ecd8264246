// Messages to the room's bare JID (XEP-0045 §7.4 groupchat, §8.1 subject, §7.8 invitations) and to an
// occupant (§7.5 private messages). The room stamps XEP-0359 stanza ids and XEP-0421 occupant ids.
import { randomUUID } from 'node:crypto';
import { clone, type Element } from 'ltx';
import { el, StanzaError, type StanzaEvent } from '../../src/api/index.js';
import { standalone } from '../../src/xml/fragment.js';
import { stripStanzaIds } from '../mam/stanza-id.js';
import { MUC } from './ns.js';
import type { Occupant } from './occupant.js';
import { hasRolePrivilege, mayChangeSubject, mayPrivateMessage } from './permissions.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';
import { onInvitation } from './invite.js';
import { onVoiceRequest, requestForm } from './voice.js';

export async function onRoomMessage(svc: MucService, room: Room, ev: StanzaEvent): Promise<void> {
  const type = ev.stanza.attrs.type;
  if (type === 'error') {
    const o = room.byJid.get(ev.from.full());
    // An occupant's server bounced a groupchat message: the session is gone (Prosody does the same).
    if (o) room.removeSession(o, ev.from.full(), { codes: [333] });
    return;
  }
  const userX = ev.stanza.getChild('x', MUC.USER);
  if (userX && (userX.getChild('invite') || userX.getChild('decline'))) return onInvitation(svc, room, ev, userX);
  const request = type !== 'groupchat' ? requestForm(ev.stanza) : undefined;
  if (request) return onVoiceRequest(room, ev, request);
  if (type !== 'groupchat') {
    ev.reply(new StanzaError('bad-request', 'messages to the room must be of type groupchat'));
    return;
  }
  const o = room.byJid.get(ev.from.full());
  if (!o) {
    ev.reply(new StanzaError('not-acceptable', 'only occupants may send messages to the room'));
    return;
  }
  const subject = ev.stanza.getChild('subject');
  if (subject && !ev.stanza.getChild('body')) {
    if (!mayChangeSubject(o.role, room.config)) {
      ev.reply(new StanzaError('forbidden', 'you may not change the subject'));
      return;
    }
    room.record.subject = { text: subject.getText(), by: o.nick, when: Date.now() };
    await room.save();
    const m = stamp(room, o, ev.stanza, randomUUID());
    room.broadcast(m);
    return;
  }
  if (!hasRolePrivilege(o.role, 'send-messages')) {
    ev.reply(new StanzaError('forbidden', 'visitors may not send messages in a moderated room'));
    return;
  }
  if (!checkLimits(room, o, ev)) return;
  const now = Date.now();
  const id = svc.archive.newId(now);
  const m = stamp(room, o, ev.stanza, id);
  // Only messages with a body are worth replaying or archiving (not chat states, receipts, markers).
  if (ev.stanza.getChild('body')) {
    if (room.config.archive && !hasNoStoreHint(ev.stanza)) await svc.archive.append(room.name, o.bare, standalone(m).toString(), now, id);
    room.history.add({ stanza: m, when: now, id, chars: m.toString().length });
  }
  room.broadcast(m);
}

/** The message as the room sends it: from the occupant JID, with the room's stanza-id and the occupant-id. */
function stamp(room: Room, o: Occupant, stanza: Element, id: string): Element {
  const m = el('message', { from: room.occupantJid(o.nick), type: 'groupchat', id: stanza.attrs.id, 'xml:lang': stanza.attrs['xml:lang'] });
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    // XEP-0421 §4: occupant ids only come from the room; delays and muc#user status (e.g. forged 104 or destroy
    // notices) are the room's to give, not an occupant's.
    if (c.name === 'occupant-id' && c.attrs.xmlns === MUC.OCCUPANT_ID) continue;
    if (c.name === 'delay' && c.attrs.xmlns === MUC.DELAY) continue;
    if (c.name === 'x' && c.attrs.xmlns === MUC.USER) continue;
    m.cnode(clone(c));
  }
  // XEP-0359 §3.2: stanza-ids claiming to be by the room (compared after JID preparation) are dropped.
  stripStanzaIds(m, room.jid);
  m.cnode(el('occupant-id', { xmlns: MUC.OCCUPANT_ID, id: o.occupantId }));
  m.cnode(el('stanza-id', { xmlns: MUC.SID, id, by: room.jid }));
  return m;
}

function hasNoStoreHint(stanza: Element): boolean {
  return !!stanza.getChild('no-store', 'urn:xmpp:hints') || !!stanza.getChild('no-permanent-store', 'urn:xmpp:hints');
}

/** Message size and rate per occupant (the room's limits, bounded by the service's). */
function checkLimits(room: Room, o: Occupant, ev: StanzaEvent): boolean {
  const limits = room.limits();
  const body = ev.stanza.getChildText('body') ?? '';
  if (Buffer.byteLength(body, 'utf8') > limits.maxMessageBytes) {
    ev.reply(new StanzaError('policy-violation', `messages may have at most ${limits.maxMessageBytes} bytes of text in this room`));
    return false;
  }
  if (!o.bucket.take(limits)) {
    ev.reply(new StanzaError('resource-constraint', 'you are sending messages too fast'));
    return false;
  }
  return true;
}

/** §7.5 private messages between occupants. */
export function onPrivateMessage(svc: MucService, room: Room, ev: StanzaEvent): void {
  const type = ev.stanza.attrs.type;
  if (type === 'error') return;
  const sender = room.byJid.get(ev.from.full());
  if (!sender) {
    ev.reply(new StanzaError('not-acceptable', 'only occupants may send private messages'));
    return;
  }
  if (type === 'groupchat') {
    ev.reply(new StanzaError('bad-request', 'a private message may not be of type groupchat'));
    return;
  }
  const target = room.occupants.get(ev.to.resource);
  if (!target) {
    ev.reply(new StanzaError('item-not-found', 'no occupant has that nickname'));
    return;
  }
  if (!mayPrivateMessage(sender.role, room.config.allowPm)) {
    ev.reply(new StanzaError('forbidden', 'private messages are not allowed in this room'));
    return;
  }
  if (!checkLimits(room, sender, ev)) return;
  const m = clone(ev.stanza);
  m.attrs.from = room.occupantJid(sender.nick);
  // As for groupchat: the ids and muc#user payloads are the room's to add (XEP-0045 §7.5 marks PMs with an empty one).
  m.children = m.children.filter((c) => typeof c === 'string' || !((c.name === 'occupant-id' && c.attrs.xmlns === MUC.OCCUPANT_ID) || (c.name === 'x' && c.attrs.xmlns === MUC.USER)));
  stripStanzaIds(m, room.jid);
  m.cnode(el('x', { xmlns: MUC.USER }));
  m.cnode(el('occupant-id', { xmlns: MUC.OCCUPANT_ID, id: sender.occupantId }));
  for (const to of target.sessions.keys()) {
    const copy = clone(m);
    copy.attrs.to = to;
    svc.send(copy);
  }
}
