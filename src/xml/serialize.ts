// Element -> XML text, byte-for-byte what ltx's toString() produces (double-quoted attributes; & < > " ' escaped in
// attribute values, & < > in text), but cheaper: strings that need no escaping (nearly all) are tested once and not
// rewritten, and no writer callback runs per fragment. Checked against ltx by the differential tests.
import { Element as LtxElement, type Element } from 'ltx';

const ATTR_SPECIAL = /["&'<>]/;
const ATTR_SPECIAL_G = /["&'<>]/g;
const TEXT_SPECIAL = /[&<>]/;
const TEXT_SPECIAL_G = /[&<>]/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const replace = (c: string): string => ENTITY[c]!;

export function escapeAttr(s: string): string {
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
    if (v != null) out += ` ${k}="${escapeAttr(typeof v === 'string' ? v : (v as number).toString(10))}"`;
  }
  const children = el.children as Child[];
  if (children.length === 0) return `${out}/>`;
  const shared = (el as SharedCopy)[SHARED_CHILDREN];
  if (shared !== undefined && sameChildren(shared.children, children)) {
    shared.xml ??= writeChildren(children, '');
    return `${out}>${shared.xml}</${el.name}>`;
  }
  return `${writeChildren(children, out + '>')}</${el.name}>`;
}

function writeChildren(children: Child[], out: string): string {
  for (const c of children) {
    if (c == null) continue;
    if (typeof c === 'string') out += escText(c);
    else if ((c as RawElement)[RAW_XML] !== undefined) out += (c as RawElement)[RAW_XML];
    else if (typeof (c as Element).write === 'function') out = write(c as Element, out);
    else out += escText((c as number).toString(10));
  }
  return out;
}

// ---- pre-serialised children ----
// Archived stanzas are stored as this serialiser's output. A MAM page forwards 50 of them; parsing each into an
// element tree only to serialise it again was most of a page's CPU and garbage, so the stored text is carried as
// is inside the result wrapper.

const RAW_XML = Symbol('starling.rawXml');

type RawElement = Element & { [RAW_XML]?: string };

// ltx's clone() copies an element as `new el.constructor(el.name, el.attrs)`: the text travels with the attrs object
// (under a non-enumerable symbol, which attribute loops do not see) so that a copy of a raw element (or of a stanza
// holding one) is raw too. Not a WeakMap: a page makes 100 raw elements, and a young generation full of ephemeron
// entries made each scavenge several milliseconds long (the MAM page bench's p99).
const RAW_OF_ATTRS = Symbol('starling.rawXmlAttrs');

type RawAttrs = Record<string, string> & { [RAW_OF_ATTRS]?: string };

function markRaw(attrs: object, xml: string): void {
  Object.defineProperty(attrs, RAW_OF_ATTRS, { value: xml, enumerable: false, writable: true, configurable: true });
}

class RawXmlElement extends LtxElement {
  constructor(name: string, attrs?: Record<string, string>) {
    super(name, attrs);
    const xml = attrs === undefined ? undefined : (attrs as RawAttrs)[RAW_OF_ATTRS];
    if (xml !== undefined) {
      (this as RawElement)[RAW_XML] = xml;
      markRaw(this.attrs, xml);
    }
  }

  // ltx's own toString() (and anything else walking with write()) gets the same text.
  override write(writer: (s: string) => void): void {
    const xml = (this as RawElement)[RAW_XML];
    if (xml !== undefined) writer(xml);
    else super.write(writer);
  }
}

/**
 * An element that serialises as `xml`, verbatim. Only for text this serialiser wrote (well-formed, escaped): it is
 * not checked. Readers see its name, the `attrs` given (they should match the text's root) and no children.
 */
export function rawElement(name: string, xml: string, attrs?: Record<string, string>): Element {
  const visible: Record<string, string> = { ...attrs };
  markRaw(visible, xml);
  return new RawXmlElement(name, visible);
}

/** The text of an element made by rawElement (or a copy of one), else undefined. */
export function rawXmlOf(e: Element): string | undefined {
  return (e as RawElement)[RAW_XML];
}

// ---- copies that share their children (fan-out) ----
// A room message goes to every occupant session with only `to` changed. Deep-cloning and re-serialising it per
// recipient was most of a delivery's cost (garbage and string building), so the copies share the child elements
// and their serialised form, written by the first copy that is serialised. Each copy has its own attributes and
// its own children array: a module that adds or removes a child of one copy (a stanza-id stamp, say) changes only
// that copy, and the serialiser notices (the array no longer holds exactly the shared children) and writes it in
// full. Changing a shared child element in place would change every copy: modules copy a stanza before editing
// its children, as they already must for stanzas that other hooks see.

const SHARED_CHILDREN = Symbol('starling.sharedChildren');

interface SharedChildren {
  readonly children: readonly Child[];
  xml?: string;
}

type SharedCopy = Element & { [SHARED_CHILDREN]?: SharedChildren };

function sameChildren(a: readonly Child[], b: Child[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Returns a function that makes copies of `stanza` with other attributes (e.g. `{ to }`) whose children are
 * `stanza`'s child elements, shared and serialised once for all copies. `stanza` must not change afterwards.
 */
export function sharedCopies(stanza: Element): (attrs: Record<string, string>) => Element {
  const shared: SharedChildren = { children: stanza.children.slice() as Child[] };
  const Ctor = stanza.constructor as new (name: string, attrs?: Record<string, string>) => Element;
  return (attrs) => {
    const copy = new Ctor(stanza.name, { ...stanza.attrs, ...attrs }) as SharedCopy;
    // The shared children keep `stanza` as their parent: it has the same name and namespace context.
    copy.children = shared.children.slice() as Element['children'];
    copy[SHARED_CHILDREN] = shared;
    return copy;
  };
}

/** The XML text of an element (same output as ltx's toString()). */
export function serialize(el: Element): string {
  const raw = (el as RawElement)[RAW_XML];
  if (raw !== undefined) return raw;
  return write(el, '');
}
