// Nickname registration (XEP-0045 §7.10, §7.12): jabber:iq:register on a room reserves a nick for a user and
// makes them a member; a reserved nick cannot be taken by anyone else; disco#info with node x-roomuser-item tells
// a user their reserved nick.
import type { Element } from 'ltx';
import { el, StanzaError, type IqRequest } from '../../src/api/index.js';
import { MUC } from './ns.js';
import { AFFILIATION_RANK } from './permissions.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';

export const NS_REGISTER = 'jabber:iq:register';
const FORM_TYPE = 'http://jabber.org/protocol/muc#register';

/** The bare JID that reserved `nick` in the room, if any. */
export function nickOwner(room: Room, nick: string): string | undefined {
  const nicks = room.record.nicks ?? {};
  for (const [bare, n] of Object.entries(nicks)) if (n === nick) return bare;
  return undefined;
}

const field = (v: string, type: string, label: string, value?: string) =>
  el('field', { var: v, type, label }, value !== undefined ? el('value', null, value) : null);

function registrationForm(): Element {
  return el('x', { xmlns: MUC.DATA, type: 'form' },
    el('title', null, 'Nickname registration'),
    field('FORM_TYPE', 'hidden', '', FORM_TYPE),
    el('field', { var: 'muc#register_roomnick', type: 'text-single', label: 'Nickname' }, el('required')));
}

export function registerNicks(svc: MucService): void {
  svc.roomIq('get', NS_REGISTER, 'query', (room, req) => {
    const nick = room.record.nicks?.[req.from.bare()];
    if (nick) return el('query', { xmlns: NS_REGISTER }, el('registered'), el('username', null, nick));
    return el('query', { xmlns: NS_REGISTER }, el('instructions', null, 'Choose the nickname to reserve in this room.'), registrationForm());
  });
  svc.roomIq('set', NS_REGISTER, 'query', async (room, req) => setRegistration(room, req));
}

async function setRegistration(room: Room, req: IqRequest): Promise<void> {
  const bare = req.from.bare();
  const aff = room.affiliation(bare);
  if (aff === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  const nicks = (room.record.nicks ??= {});
  if (req.payload.getChild('remove')) {
    if (!nicks[bare]) throw new StanzaError('item-not-found', 'you have no reserved nickname here');
    delete nicks[bare];
    if (aff === 'member') room.setAffiliation(bare, 'none');
    await room.save();
    return;
  }
  const x = req.payload.getChild('x', MUC.DATA);
  const nick = x?.getChildren('field').find((f) => f.attrs.var === 'muc#register_roomnick')?.getChildText('value')?.trim();
  if (!x || x.attrs.type !== 'submit' || !nick) throw new StanzaError('bad-request', 'submit the form with muc#register_roomnick');
  if (nick.length > 1023) throw new StanzaError('not-acceptable', 'that nickname is too long');
  // §7.10: in a members-only room only members register (an outsider would need the admins' approval).
  if (room.config.membersOnly && AFFILIATION_RANK[aff] < AFFILIATION_RANK.member) throw new StanzaError('registration-required', 'this room is for members only');
  const owner = nickOwner(room, nick);
  const holder = room.occupants.get(nick);
  if ((owner && owner !== bare) || (holder && holder.bare !== bare)) throw new StanzaError('conflict', 'that nickname is taken');
  nicks[bare] = nick;
  if (aff === 'none') room.setAffiliation(bare, 'member');
  await room.save();
}

/** §7.12: the reserved nick, as an identity of disco#info node x-roomuser-item. */
export function reservedNickInfo(room: Room, bare: string): Element {
  const nick = room.record.nicks?.[bare];
  return el('query', { xmlns: MUC.DISCO_INFO, node: 'x-roomuser-item' },
    nick ? el('identity', { category: 'conference', type: 'text', name: nick }) : null);
}
