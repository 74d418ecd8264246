// Element -> XML text, byte-for-byte what ltx's toString() produces (double-quoted attributes; & < > " ' escaped in
// attribute values, & < > in text), but cheaper: strings that need no escaping (nearly all) are tested once and not
// rewritten, and no writer callback runs per fragment. Checked against ltx by the differential tests.
import type { Element } from 'ltx';

const ATTR_SPECIAL = /["&'<>]/;
const ATTR_SPECIAL_G = /["&'<>]/g;
const TEXT_SPECIAL = /[&<>]/;
const TEXT_SPECIAL_G = /[&<>]/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const replace = (c: string): string => ENTITY[c]!;

function escAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_G, replace) : s;
}

function escText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, replace) : s;
}

type Child = Element | string | number | null | undefined;

function write(el: Element, out: string): string {
  out += `<${el.name}`;
  const attrs = el.attrs as Record<string, unknown>;
  for (const k in attrs) {
    const v = attrs[k];
    if (v != null) out += ` ${k}="${escAttr(typeof v === 'string' ? v : (v as number).toString(10))}"`;
  }
  const children = el.children as Child[];
  if (children.length === 0) return `${out}/>`;
  out += '>';
  for (const c of children) {
    if (c == null) continue;
    if (typeof c === 'string') out += escText(c);
    else if (typeof (c as Element).write === 'function') out = write(c as Element, out);
    else out += escText((c as number).toString(10));
  }
  return `${out}</${el.name}>`;
}

/** The XML text of an element (same output as ltx's toString()). */
export function serialize(el: Element): string {
  return write(el, '');
}
