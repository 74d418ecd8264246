// muc#owner (XEP-0045 §10): the configuration form, instant and reserved rooms, and destroying a room.
import type { Element } from 'ltx';
import { el, StanzaError, type IqRequest } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { applyAffiliation } from './admin.js';
import { configForm, readConfigForm } from './config-form.js';
import { MUC } from './ns.js';
import { hasAffiliationPrivilege } from './permissions.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';

function requireOwner(room: Room, req: IqRequest): void {
  if (!hasAffiliationPrivilege(room.affiliation(req.from.bare()), 'change-config')) {
    throw new StanzaError('forbidden', 'only owners may configure this room');
  }
}

export function ownerGet(room: Room, req: IqRequest): Element {
  requireOwner(room, req);
  const admins = Object.entries(room.record.affiliations).filter(([, a]) => a === 'admin').map(([j]) => j);
  return el('query', { xmlns: MUC.OWNER }, configForm(room.config, room.owners(), admins, room.svc.options.limits));
}

export async function ownerSet(svc: MucService, room: Room, req: IqRequest): Promise<void> {
  const destroy = req.payload.getChild('destroy');
  if (destroy) {
    if (!hasAffiliationPrivilege(room.affiliation(req.from.bare()), 'destroy')) throw new StanzaError('forbidden', 'only owners may destroy this room');
    await destroyRoom(svc, room, destroy);
    return;
  }
  requireOwner(room, req);
  const x = req.payload.getChild('x', MUC.DATA);
  if (!x) throw new StanzaError('bad-request', 'expected a data form or <destroy/>');
  if (x.attrs.type === 'cancel') {
    // §10.1.3: cancelling the initial configuration of a new (locked) room destroys it.
    if (room.record.locked) await destroyRoom(svc, room, null);
    return;
  }
  if (x.attrs.type !== 'submit') throw new StanzaError('bad-request', "the form must be of type 'submit' or 'cancel'");
  const before = room.config;
  const submitted = readConfigForm(x, before);
  const after = submitted.config;
  const wasLocked = !!room.record.locked;
  room.record.config = after;
  room.record.locked = false;
  room.history.resize(room.historyCapacity());
  // An empty owner list would leave the room without owners: read as "no change", as for a form without the field.
  if (submitted.owners && submitted.owners.length > 0) syncList(room, 'owner', submitted.owners);
  if (submitted.admins) syncList(room, 'admin', submitted.admins);
  await room.save();

  // §10.2.1: tell occupants what changed that concerns their privacy, then kick non-members if needed.
  if (!wasLocked) {
    const codes: number[] = [];
    if (before.whois !== after.whois) codes.push(after.whois === 'anyone' ? 172 : 173);
    if (before.archive !== after.archive) codes.push(after.archive ? 170 : 171);
    if (JSON.stringify({ ...before, whois: 0, archive: 0 }) !== JSON.stringify({ ...after, whois: 0, archive: 0 })) codes.push(104);
    if (codes.length > 0) room.announce(codes);
  }
  if (after.membersOnly && !before.membersOnly) {
    for (const o of [...room.occupants.values()]) {
      if (room.defaultRoleOf(o.bare) === 'none') room.remove(o, { codes: [322] });
    }
  }
  room.afterLeave();
}

function syncList(room: Room, aff: 'owner' | 'admin', wanted: string[]): void {
  const want = new Set(wanted);
  for (const [jid, a] of Object.entries(room.record.affiliations)) {
    if (a === aff && !want.has(jid)) applyAffiliation(room, jid, 'none', undefined, null);
  }
  for (const jid of want) if (room.affiliation(jid) !== aff) applyAffiliation(room, jid, aff, undefined, null);
}

/** §10.9: everyone leaves with the <destroy/> (and an alternate venue if given); the room and its data go. */
export async function destroyRoom(svc: MucService, room: Room, destroy: Element | null): Promise<void> {
  const alt = destroy?.attrs.jid !== undefined ? tryParseJid(destroy.attrs.jid) : null;
  if (destroy?.attrs.jid !== undefined && !alt) throw new StanzaError('jid-malformed', 'the alternate venue is not a valid JID');
  const reason = destroy?.getChildText('reason');
  const password = destroy?.getChildText('password');
  const info = el('destroy', { jid: alt?.bare() },
    reason ? el('reason', null, reason) : null,
    password ? el('password', null, password) : null);
  for (const o of room.occupants.values()) {
    for (const to of o.sessions.keys()) {
      const p = el('presence', { from: room.occupantJid(o.nick), to, type: 'unavailable' },
        el('x', { xmlns: MUC.USER }, el('item', { affiliation: 'none', role: 'none' }), info, el('status', { code: '110' })));
      svc.send(p);
    }
  }
  room.occupants.clear();
  room.byJid.clear();
  room.record.config = { ...room.config, persistent: false };
  await room.save();
  await svc.archive.drop(room.name);
  svc.forget(room.name);
}
