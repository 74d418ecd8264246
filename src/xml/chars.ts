// XML 1.0 (Fifth Edition) character classes (§2.2 Char, §2.3 S, NameStartChar, NameChar), on code points, with an
// ASCII table for the hot paths of the tokenizer.

export const ASCII_NAME_START = 1;
export const ASCII_NAME = 2;

/** For bytes < 0x80: ASCII_NAME_START | ASCII_NAME bits. */
export const ASCII_CLASS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const start = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x3a || c === 0x5f;
    const name = start || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
    t[c] = (start ? ASCII_NAME_START : 0) | (name ? ASCII_NAME : 0);
  }
  return t;
})();

export function isS(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function isChar(c: number): boolean {
  return (c >= 0x20 && c <= 0xd7ff) || c === 0x0a || c === 0x0d || c === 0x09
    || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

export function isNameStartChar(c: number): boolean {
  if (c < 0x80) return (ASCII_CLASS[c]! & ASCII_NAME_START) !== 0;
  return (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff)
    || (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d
    || (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xd7ff)
    || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

export function isNameChar(c: number): boolean {
  if (c < 0x80) return (ASCII_CLASS[c]! & ASCII_NAME) !== 0;
  return isNameStartChar(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

const NAME_RE = /^[:A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}][-.0-9\u00B7\u0300-\u036F\u203F\u2040:A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]*$/u;

export function isName(s: string): boolean {
  return NAME_RE.test(s);
}
