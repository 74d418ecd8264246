// XEP-0045 §7.8.2 mediated invitations and declines (XEP-0249 direct invitations are client-to-client
// messages that the server routes like any other).
import type { Element } from 'ltx';
import { el, StanzaError, type StanzaEvent } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { MUC } from './ns.js';
import { AFFILIATION_RANK, mayInvite } from './permissions.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';

export async function onInvitation(svc: MucService, room: Room, ev: StanzaEvent, x: Element): Promise<void> {
  const decline = x.getChild('decline');
  if (decline) {
    const to = tryParseJid(decline.attrs.to ?? '');
    if (!to) {
      ev.reply(new StanzaError('jid-malformed', 'the decline needs a valid to'));
      return;
    }
    const reason = decline.getChildText('reason');
    const out = el('decline', { from: ev.from.bare() }, reason !== null ? el('reason', null, reason) : null);
    svc.send(el('message', { from: room.jid, to: to.full(), id: ev.stanza.attrs.id }, el('x', { xmlns: MUC.USER }, out)));
    return;
  }
  const inviter = room.byJid.get(ev.from.full());
  if (!inviter) {
    ev.reply(new StanzaError('not-acceptable', 'only occupants may invite'));
    return;
  }
  const aff = room.affiliation(inviter.bare);
  if (!mayInvite(inviter.role, aff, room.config)) {
    ev.reply(new StanzaError('forbidden', 'you may not invite people to this room'));
    return;
  }
  const invites = x.getChildren('invite');
  const targets = invites.map((i) => tryParseJid(i.attrs.to ?? ''));
  if (targets.some((t) => !t)) {
    ev.reply(new StanzaError('jid-malformed', 'each invitation needs a valid to'));
    return;
  }
  let changed = false;
  invites.forEach((inv, i) => {
    const to = targets[i]!;
    // §9.3: inviting someone into a members-only room makes them a member, if the inviter may edit the list.
    if (room.config.membersOnly && AFFILIATION_RANK[aff] >= AFFILIATION_RANK.admin && room.affiliation(to.bare()) === 'none') {
      room.setAffiliation(to.bare(), 'member');
      changed = true;
    }
    const reason = inv.getChildText('reason');
    const out = el('x', { xmlns: MUC.USER },
      el('invite', { from: ev.from.bare() }, reason !== null ? el('reason', null, reason) : null),
      room.config.password ? el('password', null, room.config.password) : null);
    const body = `${ev.from.bare()} invites you to the room ${room.jid}${reason ? `: ${reason}` : ''}`;
    svc.send(el('message', { from: room.jid, to: to.full(), id: ev.stanza.attrs.id }, out, el('body', null, body)));
  });
  if (changed) await room.save();
}
