// Presence to an occupant JID (XEP-0045 §7.2 enter, §7.3 presence changes, §7.6 nick change, §7.14 exit).
import { clone, type Element } from 'ltx';
import { el, StanzaError, type StanzaEvent } from '../../src/api/index.js';
import { parseHistoryRequest, delayFor } from './history.js';
import { MUC } from './ns.js';
import type { Occupant } from './occupant.js';
import { AFFILIATION_RANK } from './permissions.js';
import type { Room } from './room.js';
import { nickOwner } from './register.js';
import type { MucService } from './service.js';

export async function onPresence(svc: MucService, ev: StanzaEvent): Promise<void> {
  const type = ev.stanza.attrs.type;
  const from = ev.from.full();
  let room = svc.rooms.get(ev.to.local);
  const occupant = room?.byJid.get(from);

  if (type === 'unavailable') {
    if (room && occupant) room.removeSession(occupant, from, {});
    return;
  }
  if (type === 'error') {
    // An error bounced by an occupant's server means that session is gone (status 333, as Prosody does).
    if (room && occupant) room.removeSession(occupant, from, { codes: [333] });
    return;
  }
  if (type !== undefined) return;   // subscriptions and probes mean nothing to a room

  const nick = ev.to.resource;
  if (!nick || nick.trim() === '') {
    ev.reply(new StanzaError('jid-malformed', 'a nickname is needed to enter a room'));
    return;
  }
  if (room && occupant) {
    // Each presence change costs a delivery per occupant, like a message: the same bucket limits both.
    if (!occupant.bucket.take(room.limits())) {
      ev.reply(new StanzaError('resource-constraint', 'you are changing your presence too fast'));
      return;
    }
    if (occupant.nick === nick) return updatePresence(room, occupant, from, ev.stanza);
    return changeNick(room, occupant, nick, ev);
  }
  let created = false;
  if (!room) {
    room = await svc.createOnJoin(ev);
    if (!room) return;
    created = true;
  }
  join(svc, room, ev, nick, created);
}

function updatePresence(room: Room, o: Occupant, from: string, stanza: Element): void {
  o.sessions.set(from, stanza);
  o.presence = stanza;
  room.broadcastPresence(o);
}

function changeNick(room: Room, o: Occupant, nick: string, ev: StanzaEvent): void {
  const holder = room.occupants.get(nick);
  const reservedBy = nickOwner(room, nick);
  if ((holder && holder !== o) || (reservedBy && reservedBy !== o.bare)) {
    ev.reply(new StanzaError('conflict', 'that nickname is in use'));
    return;
  }
  // §7.6: unavailable with 303 and the new nick, then available under the new nick.
  room.broadcastPresence(o, { codes: [303], newNick: nick }, 'unavailable');
  room.occupants.delete(o.nick);
  o.nick = nick;
  o.sessions.set(ev.from.full(), ev.stanza);
  o.presence = ev.stanza;
  room.occupants.set(nick, o);
  room.broadcastPresence(o);
}

function join(svc: MucService, room: Room, ev: StanzaEvent, nick: string, created: boolean): void {
  const from = ev.from.full();
  const bare = ev.from.bare();
  const aff = room.affiliation(bare);
  const x = ev.stanza.getChild('x', MUC.BASE);
  const fail = (cond: 'forbidden' | 'registration-required' | 'item-not-found' | 'not-authorized' | 'conflict' | 'service-unavailable', text: string) =>
    ev.reply(new StanzaError(cond, text));

  if (!created) {
    if (aff === 'outcast') return fail('forbidden', 'you are banned from this room');
    if (room.record.locked && aff !== 'owner') return fail('item-not-found', 'this room is not configured yet');
    if (room.config.membersOnly && AFFILIATION_RANK[aff] < AFFILIATION_RANK.member) return fail('registration-required', 'this room is for members only');
    if (room.config.password && aff !== 'owner' && x?.getChildText('password') !== room.config.password) {
      return fail('not-authorized', 'a password is needed to enter this room');
    }
  }
  const holder = room.occupants.get(nick);
  if (holder && holder.bare !== bare) return fail('conflict', 'that nickname is in use');
  const reservedBy = nickOwner(room, nick);
  if (reservedBy && reservedBy !== bare) return fail('conflict', 'that nickname is reserved');
  if (!holder) {
    const max = Math.min(room.config.maxUsers || Infinity, svc.options.limits.maxOccupants);
    if (room.occupants.size >= max && AFFILIATION_RANK[aff] < AFFILIATION_RANK.admin) return fail('service-unavailable', 'this room is full');
  }
  const role = holder?.role ?? room.defaultRoleOf(bare);
  if (role === 'none') return fail('registration-required', 'this room is for members only');

  const o = holder ?? room.newOccupant(nick, bare, role);
  for (const observer of room.occupants.values()) {
    if (observer === o) continue;
    svc.send(room.presenceFor(observer, from, o, {}));
  }
  room.addOccupant(o, from, ev.stanza);

  const codes: number[] = [];
  if (room.config.whois === 'anyone') codes.push(100);
  if (room.config.archive) codes.push(170);
  if (created) codes.push(201);
  if (holder) {
    // Another session of the same user under the same nick: only that session needs the self-presence.
    svc.send(room.presenceFor(o, from, o, { codes }));
  } else {
    room.broadcastPresence(o, { codes });
  }
  sendHistory(svc, room, from, x);
  sendSubject(svc, room, from);
}

function sendHistory(svc: MucService, room: Room, to: string, x: Element | undefined): void {
  for (const entry of room.history.select(parseHistoryRequest(x))) {
    const m = clone(entry.stanza);
    m.attrs.to = to;
    m.cnode(delayFor(room.jid, entry.when));
    svc.send(m);
  }
}

/** §7.2.15: the subject comes last, always (an empty <subject/> when there is none). */
function sendSubject(svc: MucService, room: Room, to: string): void {
  const s = room.record.subject;
  const from = s?.by ? room.occupantJid(s.by) : room.jid;
  const m = el('message', { from, to, type: 'groupchat', id: `subject-${Date.now().toString(36)}` }, el('subject', null, s?.text ?? ''));
  if (s) m.cnode(delayFor(room.jid, s.when));
  svc.send(m);
}
