// Elements kept as XML strings (private XML storage, vCards, ...): `standalone` makes an element's
// serialisation self-contained (namespaces it inherits from its stanza are declared on it), and
// `parseFragment` turns such a string back into an element with the same strict parser as the
// streams, so stored data cannot smuggle in what a stream could not.
import { clone, type Element } from 'ltx';
import { XmlStreamTokenizer } from './tokenizer.js';

const OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const CLOSE = '</stream:stream>';

/** A copy of `el` without its parent whose serialisation declares every namespace it uses. */
export function standalone(el: Element): Element {
  const copy = clone(el);
  if (copy.attrs.xmlns === undefined) {
    const def = el.findNS();
    if (def) copy.attrs.xmlns = def;
  }
  for (const prefix of usedPrefixes(el)) {
    const attr = `xmlns:${prefix}`;
    if (copy.attrs[attr] !== undefined) continue;
    const ns = el.findNS(prefix);
    if (ns) copy.attrs[attr] = ns;
  }
  return copy;
}

function usedPrefixes(el: Element, out = new Set<string>()): Set<string> {
  const add = (qname: string) => {
    const i = qname.indexOf(':');
    if (i > 0) {
      const p = qname.slice(0, i);
      if (p !== 'xmlns' && p !== 'xml') out.add(p);
    }
  };
  add(el.name);
  for (const a of Object.keys(el.attrs)) add(a);
  for (const c of el.children) if (typeof c !== 'string') usedPrefixes(c, out);
  return out;
}

/** Parses one serialised element (as written by `standalone(...).toString()`); throws on anything else. */
export function parseFragment(xml: string, limits: { maxDepth?: number } = {}): Element {
  const found: Element[] = [];
  let error: string | null = null;
  const parser = new XmlStreamTokenizer({
    onStreamStart: () => undefined,
    onElement: (e) => { found.push(e); },
    onStreamEnd: () => undefined,
    onError: (condition, text) => { error ??= `${condition}: ${text}`; },
  }, { maxStanzaBytes: Buffer.byteLength(xml) + 1024, maxDepth: limits.maxDepth ?? 256, maxChildren: 1_000_000 });
  parser.write(OPEN);
  parser.write(xml);
  parser.write(CLOSE);
  if (error) throw new Error(`stored XML does not parse (${error})`);
  if (found.length !== 1) throw new Error(`stored XML holds ${found.length} elements, not one`);
  const root = found[0]!;
  root.parent = null;
  return root;
}
