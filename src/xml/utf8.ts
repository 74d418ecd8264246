// Strict streaming UTF-8 validation with the same verdicts as a fatal WHATWG TextDecoder in streaming mode (what the
// saxes-based parser used): overlong forms, surrogates, code points above U+10FFFF and stray continuation bytes are
// errors as soon as the offending byte arrives; a character split across chunks waits for its remaining bytes.
import { isUtf8 } from 'node:buffer';

/** Length of the incomplete but so-far-valid sequence at the end of `b` (0 if it ends on a character boundary), or
 *  -1 if the tail can never become valid. */
export function incompleteTail(b: Uint8Array, end: number): number {
  // Find the lead byte of the last character (at most 3 continuation bytes back).
  let j = end - 1;
  const lo = Math.max(0, end - 4);
  while (j >= lo && (b[j]! & 0xc0) === 0x80) j--;
  if (j < lo) return 0; // only continuation bytes: let the full check reject them
  const lead = b[j]!;
  if (lead < 0xc0) return 0; // ASCII, or a stray continuation run: full check
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  const have = end - j;
  if (have >= need) return 0;
  // An incomplete sequence: is it a valid prefix? (WHATWG ranges for the second byte)
  if (lead < 0xc2 || lead > 0xf4) return -1;
  if (have >= 2) {
    const b1 = b[j + 1]!;
    let lo1 = 0x80;
    let hi1 = 0xbf;
    if (lead === 0xe0) lo1 = 0xa0;
    else if (lead === 0xed) hi1 = 0x9f;
    else if (lead === 0xf0) lo1 = 0x90;
    else if (lead === 0xf4) hi1 = 0x8f;
    if (b1 < lo1 || b1 > hi1) return -1;
  }
  // A third byte (of a 4-byte sequence) is a continuation byte by construction.
  return have;
}

/** True if b[start, end) is complete, valid UTF-8. */
export function validUtf8(b: Buffer, start: number, end: number): boolean {
  // isUtf8 is native (simdutf): far cheaper than a JS loop, even for ASCII.
  return isUtf8(start === 0 && end === b.length ? b : b.subarray(start, end));
}
