// The vCard side of XEP-0398: reading and replacing the PHOTO of a vcard-temp element.
import { clone, type Element } from 'ltx';
import { el } from '../../src/api/index.js';

export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';
const NS_VCARD = 'vcard-temp';

/** A copy of the vCard (or a new one) whose PHOTO is `photo`, or has none when it is null. */
export function toVcard(vcard: Element | null, photo: { type: string; data: Buffer } | null): Element {
  const out = vcard ? clone(vcard) : el('vCard', { xmlns: NS_VCARD });
  out.attrs.xmlns = NS_VCARD;
  for (const p of out.getChildren('PHOTO')) out.remove(p);
  if (photo) out.cnode(el('PHOTO', null, el('TYPE', null, photo.type), el('BINVAL', null, photo.data.toString('base64'))));
  return out;
}

/** The embedded PHOTO of a vCard, if any. */
export function fromVcard(vcard: Element | null): { type: string; data: Buffer } | null {
  const p = vcard?.getChild('PHOTO');
  const b64 = p?.getChildText('BINVAL')?.replace(/\s+/g, '') ?? '';
  if (!p || !b64) return null;
  return { type: p.getChildText('TYPE')?.trim() || 'image/png', data: Buffer.from(b64, 'base64') };
}
