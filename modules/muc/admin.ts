// muc#admin (XEP-0045 §8 moderator and §9 admin use cases): role and affiliation changes and the lists.
import type { Element } from 'ltx';
import { el, StanzaError, type IqRequest } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { MUC } from './ns.js';
import type { Occupant } from './occupant.js';
import { checkAffiliationChange, checkListRead, checkRoleChange, type Denial } from './permissions.js';
import type { Room } from './room.js';
import { isAffiliation, isRole, type Affiliation, type Role } from './types.js';

const deny = (d: Exclude<Denial, null>, text: string) => new StanzaError(d, text);

type Change =
  | { kind: 'role'; target: Occupant; role: Role; reason: string | null }
  | { kind: 'affiliation'; bare: string; affiliation: Affiliation; reason: string | null };

export async function adminSet(room: Room, req: IqRequest): Promise<void> {
  const actorBare = req.from.bare();
  const actor = room.byJid.get(req.from.full()) ?? null;
  const actorAff = room.affiliation(actorBare);
  const items = req.payload.getChildren('item');
  if (items.length === 0) throw new StanzaError('bad-request', 'no item to change');
  const changes: Change[] = [];
  for (const item of items) {
    const reason = item.getChildText('reason');
    if (item.attrs.affiliation !== undefined) {
      const aff = item.attrs.affiliation;
      if (!isAffiliation(aff)) throw new StanzaError('bad-request', `unknown affiliation ${aff}`);
      const bare = targetBare(room, item);
      const d = checkAffiliationChange(actorAff, room.affiliation(bare), aff);
      if (d) throw deny(d, `with the affiliation ${actorAff} you may not make ${bare} ${aff}`);
      if (room.affiliation(bare) === 'owner' && aff !== 'owner' && room.owners().filter((o) => o !== bare).length === 0) {
        throw new StanzaError('conflict', 'a room needs an owner');
      }
      changes.push({ kind: 'affiliation', bare, affiliation: aff, reason });
    } else if (item.attrs.role !== undefined) {
      const role = item.attrs.role;
      if (!isRole(role)) throw new StanzaError('bad-request', `unknown role ${role}`);
      const target = item.attrs.nick !== undefined ? room.occupants.get(item.attrs.nick) : undefined;
      if (!target) throw new StanzaError('item-not-found', 'no occupant has that nickname');
      const d = checkRoleChange({ role: actor?.role ?? 'none', affiliation: actorAff }, { role: target.role, affiliation: room.affiliation(target.bare) }, role);
      if (d) throw deny(d, `you may not make ${target.nick} ${role}`);
      changes.push({ kind: 'role', target, role, reason });
    } else {
      throw new StanzaError('bad-request', 'an item needs a role or an affiliation');
    }
  }
  const actorNick = actor?.nick;
  let saved = false;
  for (const c of changes) {
    if (c.kind === 'role') applyRole(room, c.target, c.role, actorNick, c.reason);
    else {
      applyAffiliation(room, c.bare, c.affiliation, actorNick, c.reason);
      saved = true;
    }
  }
  if (saved) await room.save();
}

function targetBare(room: Room, item: Element): string {
  if (item.attrs.jid !== undefined) {
    const j = tryParseJid(item.attrs.jid);
    if (!j) throw new StanzaError('jid-malformed', 'the item has an invalid jid');
    return j.bare();
  }
  const o = item.attrs.nick !== undefined ? room.occupants.get(item.attrs.nick) : undefined;
  if (!o) throw new StanzaError('bad-request', 'an affiliation change needs a jid (or the nick of an occupant)');
  return o.bare;
}

export function applyRole(room: Room, target: Occupant, role: Role, actor: string | undefined, reason: string | null): void {
  if (role === 'none') {
    room.remove(target, { codes: [307], actor, reason: reason ?? undefined });
    return;
  }
  const wasModerator = target.role === 'moderator';
  target.role = role;
  room.broadcastPresence(target, { actor, reason: reason ?? undefined });
  if (wasModerator !== (role === 'moderator') && room.config.whois === 'moderators') resendOccupants(room, target);
}

/** Sets an affiliation and brings the user's occupants in line: a new role, or out of the room (§9.1, §9.4). */
export function applyAffiliation(room: Room, bare: string, aff: Affiliation, actor: string | undefined, reason: string | null): void {
  room.setAffiliation(bare, aff);
  if (![...room.occupants.values()].some((o) => o.bare === bare)) {
    // §9.3-§9.4 and §10.6: a change for someone not in the room is told to those who may see real JIDs.
    const item = el('item', { affiliation: aff, jid: bare }, reason ? el('reason', null, reason) : null);
    const msg = el('message', { from: room.jid, id: `aff-${Date.now().toString(36)}` }, el('x', { xmlns: MUC.USER }, item));
    room.broadcast(msg, (o) => room.seesJids(o));
    return;
  }
  for (const o of [...room.occupants.values()]) {
    if (o.bare !== bare) continue;
    const role = room.defaultRoleOf(bare);
    if (role === 'none') {
      room.remove(o, { codes: [aff === 'outcast' ? 301 : 321], actor, reason: reason ?? undefined });
      continue;
    }
    const wasModerator = o.role === 'moderator';
    o.role = role;
    room.broadcastPresence(o, { actor, reason: reason ?? undefined });
    if (wasModerator !== (role === 'moderator') && room.config.whois === 'moderators') resendOccupants(room, o);
  }
}

/** After gaining or losing moderator in a semi-anonymous room, what the occupant may see of others changed. */
function resendOccupants(room: Room, o: Occupant): void {
  for (const other of room.occupants.values()) {
    if (other === o) continue;
    for (const to of o.sessions.keys()) room.svc.send(room.presenceFor(other, to, o, {}));
  }
}

export function adminGet(room: Room, req: IqRequest): Element {
  const item = req.payload.getChild('item');
  const actor = room.byJid.get(req.from.full());
  const who = { role: actor?.role ?? null, affiliation: room.affiliation(req.from.bare()) };
  const query = el('query', { xmlns: MUC.ADMIN });
  if (item?.attrs.affiliation !== undefined) {
    const aff = item.attrs.affiliation;
    if (!isAffiliation(aff) || aff === 'none') throw new StanzaError('bad-request', 'ask for owner, admin, member or outcast');
    const d = checkListRead(who, { affiliation: aff });
    if (d) throw deny(d, `you may not see the ${aff} list`);
    for (const [jid, a] of Object.entries(room.record.affiliations).sort(([x], [y]) => x.localeCompare(y))) {
      if (a === aff) query.cnode(el('item', { affiliation: a, jid }));
    }
    return query;
  }
  if (item?.attrs.role !== undefined) {
    const role = item.attrs.role;
    if (!isRole(role) || role === 'none') throw new StanzaError('bad-request', 'ask for moderator, participant or visitor');
    const d = checkListRead(who, { role });
    if (d) throw deny(d, `you may not see the ${role} list`);
    for (const o of room.occupants.values()) {
      if (o.role === role) query.cnode(el('item', { role, nick: o.nick, affiliation: room.affiliation(o.bare), jid: o.primary }));
    }
    return query;
  }
  throw new StanzaError('bad-request', 'the item needs an affiliation or a role');
}
