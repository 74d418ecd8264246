// Stanza builders and output checks. ltx escapes markup but passes control characters through
// (ARCHITECTURE.md §B1), so text that does not come from our parser is checked where it is added.
import { Element, type Attrs } from 'ltx';
import type { StanzaError } from '../core/errors.js';

// XML 1.0 Char production minus the surrogate halves (a lone surrogate cannot be encoded in UTF-8).
const ILLEGAL_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isXmlSafe(s: string): boolean {
  return !ILLEGAL_XML_CHAR.test(s);
}

/** Throws if `s` cannot be carried in XML; use for text from databases, HTTP, the CLI. */
export function checkText(s: string, what = 'text'): string {
  if (ILLEGAL_XML_CHAR.test(s)) throw new TypeError(`${what} contains characters that are not allowed in XML`);
  return s;
}

/** Builds an element whose attributes and text were checked; children may be elements or strings. */
export function el(name: string, attrs?: Attrs | null, ...children: (Element | string | null | undefined | false)[]): Element {
  const e = new Element(name);
  if (attrs) {
    for (const k in attrs) {
      const v = attrs[k];
      if (v != null) e.attrs[k] = checkText(String(v), `attribute ${k}`);
    }
  }
  for (const c of children) {
    if (c == null || c === false) continue;
    if (typeof c === 'string') e.children.push(checkText(c));
    else e.cnode(c);
  }
  return e;
}

/** An IQ result for `iq`, addressed back to its sender. */
export function iqResult(iq: Element, payload?: Element): Element {
  const res = new Element('iq', { type: 'result', id: iq.attrs.id });
  if (iq.attrs.from) res.attrs.to = iq.attrs.from;
  if (iq.attrs.to) res.attrs.from = iq.attrs.to;
  if (payload) res.cnode(payload);
  return res;
}

/** An error reply to `stanza` (RFC 6120 §8.3.1): same name and id, addresses swapped, type='error'. */
export function errorReply(stanza: Element, error: StanzaError, by?: string): Element {
  const reply = new Element(stanza.name, { type: 'error' });
  if (stanza.attrs.id !== undefined) reply.attrs.id = stanza.attrs.id;
  if (stanza.attrs.from) reply.attrs.to = stanza.attrs.from;
  if (stanza.attrs.to) reply.attrs.from = stanza.attrs.to;
  // Keep the payload of messages and presences so the sender can tell which one failed; IQ errors
  // carry only the error (the id identifies the request).
  if (stanza.name !== 'iq') {
    for (const child of stanza.children) {
      if (typeof child !== 'string' && child.name !== 'error') reply.cnode(child);
    }
  }
  reply.cnode(error.toElement(by));
  return reply;
}

/** A message, presence or iq in the client namespace (what XEP-0198 counts and XEP-0352 may hold), not a stream-level element. */
export function isStanza(e: Element): boolean {
  const ns = e.attrs.xmlns;
  return (e.name === 'message' || e.name === 'presence' || e.name === 'iq') && (ns === undefined || ns === 'jabber:client');
}

/** Serialises an element (ltx escapes `& < > " '`). */
export function serialize(e: Element): string {
  return e.toString();
}
