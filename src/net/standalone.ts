// Serialising a top-level element on its own, outside a <stream:stream> that would declare its namespaces: RFC 7395
// §3.5 (one element per WebSocket frame) and XEP-0206 (stanzas inside a BOSH <body/>) require stanzas to carry
// xmlns='jabber:client', and stream-level elements such as <stream:features/> their xmlns:stream declaration.
import type { Element } from 'ltx';
import { NS } from '../xml/ns.js';
import { escapeAttr, serialize } from '../xml/serialize.js';

/** `streamPrefixDeclared`: the enclosing element (a BOSH <body/>) already declares the stream prefix. */
export function standaloneXml(el: Element, streamPrefixDeclared = false): string {
  const attrs = el.attrs;
  let key: string | null = null;
  let value = '';
  if (el.name === 'message' || el.name === 'presence' || el.name === 'iq') {
    if (attrs.xmlns === undefined) {
      key = 'xmlns';
      value = NS.CLIENT;
    }
  } else if (!streamPrefixDeclared && el.name.startsWith('stream:') && attrs['xmlns:stream'] === undefined) {
    key = 'xmlns:stream';
    value = NS.STREAMS;
  }
  if (key === null) return serialize(el);
  // The element may be shared with other recipients: add the declaration only while serialising.
  attrs[key] = value;
  try {
    return serialize(el);
  } finally {
    delete attrs[key];
  }
}


/** <open/> (RFC 7395 §3.3.2) with the attributes of a stream header, minus the stream's own namespace declarations. */
export function openElement(attrs: Record<string, string>): string {
  let s = `<open xmlns='${NS.FRAMING}'`;
  for (const k in attrs) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    s += ` ${k}='${escapeAttr(attrs[k]!)}'`;
  }
  return `${s}/>`;
}

export const CLOSE_ELEMENT = `<close xmlns='${NS.FRAMING}'/>`;
