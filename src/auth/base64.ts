// SASL data travels as base64 (RFC 6120 §6.4.2, XEP-0388): strict decoding, '=' for an empty response.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a SASL base64 text (whitespace ignored, '=' is empty), or null if it is not valid base64. */
export function decodeSaslBase64(s: string): Buffer | null {
  const t = s.replace(/\s+/g, '');
  if (t === '=') return Buffer.alloc(0);
  if (t.length % 4 !== 0 || !BASE64.test(t)) return null;
  return Buffer.from(t, 'base64');
}
