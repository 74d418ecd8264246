// Reads the parts of a vCard the server itself uses: directory fields (for search) and the XEP-0153
// avatar hash. Element names are upper-case per XEP-0054 §7.
import { createHash } from 'node:crypto';
import type { Element } from 'ltx';
import { StanzaError } from '../../src/api/index.js';
import type { VcardSummary } from './types.js';

const text = (e: Element | undefined): string => (e ? e.getText().trim() : '');

/** XEP-0153 §4.6 item 5: base64Binary, whitespace ignored. Padding is not insisted on. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** SHA-1 (hex) of the decoded PHOTO BINVAL, null when there is none; bad-request for data that is not base64. */
export function photoHash(vcard: Element): string | null {
  const binval = vcard.getChild('PHOTO')?.getChild('BINVAL');
  if (!binval) return null;
  const b64 = binval.getText().replace(/[\s]+/g, '');
  if (b64 === '') return null;
  if (!BASE64.test(b64) || b64.length % 4 === 1) throw new StanzaError('bad-request', 'PHOTO/BINVAL is not base64 data');
  return createHash('sha1').update(Buffer.from(b64, 'base64')).digest('hex');
}

export function summarize(vcard: Element, hash: string | null): VcardSummary {
  const n = vcard.getChild('N');
  const email = vcard.getChildren('EMAIL').map((e) => text(e.getChild('USERID'))).find((s) => s !== '') ?? '';
  return {
    given: text(n?.getChild('GIVEN')),
    family: text(n?.getChild('FAMILY')),
    nickname: text(vcard.getChild('NICKNAME')),
    fn: text(vcard.getChild('FN')),
    email,
    public: vcard.getChildren('CLASS').some((c) => c.getChild('PUBLIC') !== undefined),
    photoHash: hash,
  };
}

/** A vCard with no element children means "no vCard" (clients clear theirs this way). */
export function isEmptyVcard(vcard: Element): boolean {
  return vcard.getChildElements().length === 0;
}
