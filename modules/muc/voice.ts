// Voice requests (XEP-0045 §7.13 and §8.6): a visitor asks for voice with a muc#request form; the room sends
// moderators an approval form; a moderator who submits it with muc#request_allow makes the visitor a participant.
import type { Element } from 'ltx';
import { el, StanzaError, type StanzaEvent } from '../../src/api/index.js';
import { applyRole } from './admin.js';
import { MUC } from './ns.js';
import { checkRoleChange } from './permissions.js';
import type { Room } from './room.js';

const field = (v: string, type: string, label: string, value: string) => el('field', { var: v, type, label }, el('value', null, value));

/** The muc#request form of a message, if it carries one. */
export function requestForm(stanza: Element): Element | undefined {
  const x = stanza.getChild('x', MUC.DATA);
  const formType = x?.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value');
  return formType === MUC.REQUEST ? x : undefined;
}

const value = (x: Element, v: string) => x.getChildren('field').find((f) => f.attrs.var === v)?.getChildText('value') ?? null;

export function onVoiceRequest(room: Room, ev: StanzaEvent, x: Element): void {
  const sender = room.byJid.get(ev.from.full());
  if (!sender) {
    ev.reply(new StanzaError('not-acceptable', 'only occupants may ask for voice'));
    return;
  }
  const allow = value(x, 'muc#request_allow');
  if (allow === null) {
    // §7.13: a visitor's request, passed to every moderator.
    if (sender.role !== 'visitor') return;
    const form = el('x', { xmlns: MUC.DATA, type: 'form' },
      el('title', null, 'Voice request'),
      el('instructions', null, `${sender.nick} asks for voice. Allow?`),
      field('FORM_TYPE', 'hidden', '', MUC.REQUEST),
      field('muc#role', 'list-single', 'Requested role', 'participant'),
      field('muc#jid', 'jid-single', 'User ID', sender.bare),
      field('muc#roomnick', 'text-single', 'Nickname', sender.nick),
      field('muc#request_allow', 'boolean', 'Grant voice?', 'false'));
    room.broadcast(el('message', { from: room.jid, id: `voice-${Date.now().toString(36)}` }, form), (o) => o.role === 'moderator');
    return;
  }
  // §8.6: a moderator's answer.
  if (allow !== 'true' && allow !== '1') return;
  const target = room.occupants.get(value(x, 'muc#roomnick') ?? '');
  if (!target) {
    ev.reply(new StanzaError('item-not-found', 'no occupant has that nickname'));
    return;
  }
  const denial = checkRoleChange({ role: sender.role, affiliation: room.affiliation(sender.bare) }, { role: target.role, affiliation: room.affiliation(target.bare) }, 'participant');
  if (denial) {
    ev.reply(new StanzaError(denial, 'you may not give voice'));
    return;
  }
  if (target.role === 'visitor') applyRole(room, target, 'participant', sender.nick, null);
}
