// The saxes-based StreamParser, kept as the reference oracle for the tokenizer's differential tests
// (test/unit/parser-differential.test.ts); production uses the tokenizer (tokenizer.ts) behind parser.ts.
//
// Strict streaming parser for XMPP streams (ARCHITECTURE.md §B1, RFC 6120 §11.1, RFC 7395).
//
// Bytes go through a fatal UTF-8 TextDecoder in streaming mode, then into saxes (namespace-aware). We build ltx
// Elements for each top-level element and enforce three limits: stanza size in bytes, nesting depth and number
// of descendants per stanza. saxes is strict XML 1.0; what XMPP forbids on top of that (DTDs, PIs, comments,
// non-UTF-8 declarations) is rejected from its events.
//
// Every failure goes through #fail(), which reports once and then throws a private sentinel. Throwing from inside
// a saxes handler is the only way to stop saxes in the middle of a chunk (B1 trap 2: a flag alone let a depth bomb
// run for 114 s); write() catches the sentinel.
import { SaxesParser, type SaxesTagNS, type XMLDecl } from 'saxes';
import { Element } from 'ltx';
import { NS } from './ns.js';

import type { ParserErrorCondition, ParserLimits, StreamParserHandler } from './parser-types.js';

// Thrown to unwind out of saxes; a plain object, so no stack trace is captured. Never escapes write().
const ABORT: unknown = Object.freeze({ parserAbort: true });

const SAX_OPTIONS = {
  xmlns: true,
  position: true,
  // XMPP is XML 1.0: an <?xml version='1.1'?> must not switch saxes to the 1.1 character rules.
  forceXMLVersion: true,
  defaultXMLVersion: '1.0',
} as const;
type SaxOptions = typeof SAX_OPTIONS;

const STREAM_DECODE = { stream: true } as const;
const WHITESPACE_ONLY = /^[ \t\r\n]*$/;

// saxes is fed at most this many UTF-16 units (and the decoder this many bytes) at a time, and the size limit is
// checked between slices: a single huge write() (an unterminated 10 MB attribute fires no event) is then rejected
// after one slice, not at its end.
const SLICE = 64 * 1024;

const FRAME_ELEMENT = 0;
const FRAME_OPEN = 1;
const FRAME_CLOSE = 2;

// saxes's on() stores each handler with a keyed store (`this[HANDLER_NAME[event]] = fn`) onto a property the
// constructor never created. V8 turns an object into a slow dictionary once too many properties are added that way:
// the 7th handler did it, and every `this.chunk` / `this.i` access in saxes's hot loop then became a hash lookup,
// costing 3-4x (24 µs instead of 7 µs per 575-byte stanza for this whole parser). Creating the handler slots first with ordinary named
// stores keeps the object fast; on() then only overwrites existing properties. The slot names are saxes 6 internals
// (checked by a unit test); if they change, this only stops helping.
interface SaxHandlerSlots {
  errorHandler: unknown;
  xmldeclHandler: unknown;
  doctypeHandler: unknown;
  commentHandler: unknown;
  piHandler: unknown;
  openTagStartHandler: unknown;
  openTagHandler: unknown;
  closeTagHandler: unknown;
  textHandler: unknown;
  cdataHandler: unknown;
}
function keepFast(sax: SaxesParser<SaxOptions>): void {
  const slots = sax as unknown as SaxHandlerSlots;
  slots.errorHandler = undefined;
  slots.xmldeclHandler = undefined;
  slots.doctypeHandler = undefined;
  slots.commentHandler = undefined;
  slots.piHandler = undefined;
  slots.openTagStartHandler = undefined;
  slots.openTagHandler = undefined;
  slots.closeTagHandler = undefined;
  slots.textHandler = undefined;
  slots.cdataHandler = undefined;
}

function setAttr(attrs: Record<string, string>, name: string, value: string): void {
  // An attribute really named __proto__ would hit the prototype setter of a plain object and silently vanish.
  // Define it as an own property instead (ltx needs plain objects, so no Object.create(null)).
  if (name === '__proto__') Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
  else attrs[name] = value;
}

function tooBig(size: number, max: number): string {
  return `stanza of ${size} bytes exceeds the limit of ${max} bytes`;
}

export class SaxesStreamParser {
  readonly #handler: StreamParserHandler;
  readonly #ws: boolean;
  readonly #sax: SaxesParser<SaxOptions>;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });

  #maxBytes = 0;
  #maxDepth = 0;
  #maxChildren = 0;

  #failed = false;
  #done = false; // failed or stream ended: ignore further input
  #started = false; // stream header / <open/> seen

  #depth = 0; // open elements; the stream header is depth 1, a stanza depth 2 (in websocket mode the frame root is 2)
  #children = 0; // descendants of the current top-level element
  #cur: Element | null = null; // innermost open element below the header
  #top: Element | null = null; // the top-level element being built
  #topXmlnsSynthetic = false; // #top is prefixed and its xmlns was added by us (not the default its children see)

  // Stream mode: a top-level element (or the stream end) is delivered at the next saxes event or at the end of the
  // slice, not from its closetag handler. saxes calls the closetag handler *before* it checks that the end tag
  // matches, so `<message></iq>` would otherwise be delivered and only then rejected. The mismatch error comes at the
  // same position as the closetag event; any later error comes after more input was read.
  #pendingPos = -1;
  #pendingEl: Element | null = null;
  #pendingEnd = false;

  // Byte accounting in stream mode. Positions from saxes are UTF-16 indexes into the concatenation of all strings
  // written to it; we map them to exact UTF-8 byte offsets per slice (identity for ASCII slices, otherwise
  // Buffer.byteLength over the part since the last mapped position, so each slice is scanned at most once).
  #sliceStart = 0; // global UTF-16 index of the current slice
  #sliceByteBase = 0; // global byte offset of the current slice
  #slice = '';
  #sliceAscii = true;
  #markIdx = 0;
  #markBytes = 0;
  #boundary = 0; // byte offset of the end of the last top-level element (or of the stream header)

  // Websocket mode: the root element of the current frame and what it is.
  #frameRoot: Element | null = null;
  #frameKind = FRAME_ELEMENT;

  constructor(handler: StreamParserHandler, limits: ParserLimits, opts?: { framing?: 'stream' | 'websocket' }) {
    this.#handler = handler;
    this.#ws = opts?.framing === 'websocket';
    this.setLimits(limits);
    const sax = (this.#sax = new SaxesParser(SAX_OPTIONS));
    keepFast(sax);
    sax.on('error', (e) => this.#onSaxError(e));
    sax.on('xmldecl', (d) => this.#onXmlDecl(d));
    // RFC 6120 §11.1: no DTDs (hence no entity declarations), PIs or comments. saxes never expands DTD entities.
    sax.on('doctype', () => this.#fail('restricted-xml', 'document type declarations are not allowed'));
    sax.on('processinginstruction', () => this.#fail('restricted-xml', 'processing instructions are not allowed'));
    sax.on('comment', () => this.#fail('restricted-xml', 'comments are not allowed'));
    sax.on('opentagstart', () => this.#onOpenTagStart());
    sax.on('opentag', (tag) => this.#onOpenTag(tag));
    sax.on('closetag', () => this.#onCloseTag());
    sax.on('text', (t) => this.#onText(t));
    sax.on('cdata', (t) => this.#onText(t));
  }

  get failed(): boolean {
    return this.#failed;
  }

  setLimits(limits: ParserLimits): void {
    this.#maxBytes = limits.maxStanzaBytes;
    this.#maxDepth = limits.maxDepth;
    this.#maxChildren = limits.maxChildren;
  }

  /** Feeds bytes (stream mode: any chunking; websocket mode: exactly one frame). Never throws for bad input. */
  write(chunk: Buffer | string): void {
    if (this.#done) return;
    try {
      if (this.#ws) {
        this.#writeFrame(chunk);
      } else if (typeof chunk === 'string') {
        if (chunk.length !== 0) this.#feed(chunk);
      } else {
        // A huge Buffer is decoded piecewise too, so an oversized write is rejected before all of it is decoded.
        for (let off = 0; off < chunk.length && !this.#done; off += SLICE) {
          const s = this.#decode(off === 0 && chunk.length <= SLICE ? chunk : chunk.subarray(off, off + SLICE));
          if (s.length !== 0) this.#feed(s);
        }
      }
    } catch (e) {
      if (e === ABORT) return;
      // A handler threw: saxes is now in an unknown state, so stop parsing, and let the caller see the bug.
      this.#done = true;
      throw e;
    }
  }

  #decode(buf: Buffer): string {
    try {
      // Streaming mode keeps an incomplete multi-byte sequence for the next chunk; fatal rejects invalid UTF-8.
      return this.#decoder.decode(buf, STREAM_DECODE);
    } catch {
      return this.#fail('not-well-formed', 'invalid UTF-8');
    }
  }

  #feed(s: string): void {
    const sax = this.#sax;
    const n = s.length;
    let off = 0;
    while (off < n) {
      let end = n - off > SLICE ? off + SLICE : n;
      if (end < n) {
        const c = s.charCodeAt(end - 1);
        if (c >= 0xd800 && c <= 0xdbff) end--; // keep surrogate pairs together so the byte count stays exact
      }
      const part = off === 0 && end === n ? s : s.slice(off, end);
      const bytes = Buffer.byteLength(part, 'utf8');
      this.#slice = part;
      this.#sliceAscii = bytes === part.length;
      this.#markIdx = 0;
      this.#markBytes = 0;
      sax.write(part);
      this.#sliceStart += part.length;
      this.#sliceByteBase += bytes;
      if (this.#pendingPos >= 0) this.#flush();
      const used = this.#sliceByteBase - this.#boundary;
      if (used > this.#maxBytes) this.#fail('policy-violation', tooBig(used, this.#maxBytes));
      off = end;
    }
    this.#slice = ''; // do not pin the chunk
  }

  /** Exact UTF-8 byte offset of saxes position `pos`, which lies in the current slice. */
  #byteOffset(pos: number): number {
    const k = pos - this.#sliceStart;
    if (this.#sliceAscii) return this.#sliceByteBase + k;
    if (k > this.#markIdx) {
      this.#markBytes += Buffer.byteLength(this.#slice.slice(this.#markIdx, k), 'utf8');
      this.#markIdx = k;
    }
    return this.#sliceByteBase + this.#markBytes;
  }

  // RFC 7395: every frame is one complete element, parsed as a document of its own. The same saxes instance is
  // reused: close() runs saxes's end-of-document checks (unclosed tags, missing root) and resets it.
  #writeFrame(chunk: Buffer | string): void {
    const max = this.#maxBytes;
    let s: string;
    if (typeof chunk === 'string') {
      s = chunk;
      // length <= bytes <= 3 * length: only count exactly when it can matter.
      if (s.length > max || (s.length * 3 > max && Buffer.byteLength(s, 'utf8') > max)) {
        this.#fail('policy-violation', tooBig(Buffer.byteLength(s, 'utf8'), max));
      }
    } else {
      if (chunk.length > max) this.#fail('policy-violation', tooBig(chunk.length, max));
      try {
        s = this.#decoder.decode(chunk); // not streaming: a frame ending inside a character is invalid
      } catch {
        this.#fail('not-well-formed', 'invalid UTF-8');
      }
    }
    if (WHITESPACE_ONLY.test(s)) return; // empty / whitespace frames carry nothing
    this.#depth = 1; // as if inside a stream header, so depth limits mean the same in both framings
    this.#children = 0;
    this.#cur = this.#top = this.#frameRoot = null;
    this.#frameKind = FRAME_ELEMENT;
    const sax = this.#sax;
    sax.write(s);
    sax.close();
    const el = this.#frameRoot as Element | null; // saxes fails "document must contain a root element" otherwise
    this.#frameRoot = null;
    if (el === null) return;
    if (this.#frameKind === FRAME_OPEN) {
      this.#started = true;
      this.#handler.onStreamStart(el.name, NS.FRAMING, el.attrs);
    } else if (this.#frameKind === FRAME_CLOSE) {
      this.#done = true;
      this.#handler.onStreamEnd();
    } else {
      this.#handler.onElement(el);
    }
  }

  #fail(condition: ParserErrorCondition, text: string): never {
    if (this.#pendingPos >= 0) {
      if (this.#sax.position !== this.#pendingPos) {
        this.#flush(); // completed before the error: deliver it first (throws ABORT if it was the stream end)
      } else {
        // The error belongs to the end tag that completed it (mismatched end tag): drop it.
        this.#pendingPos = -1;
        this.#pendingEl = null;
        this.#pendingEnd = false;
      }
    }
    if (!this.#done) {
      this.#done = true;
      this.#failed = true;
      this.#handler.onError(condition, text);
    }
    throw ABORT;
  }

  #flush(): void {
    this.#pendingPos = -1;
    if (this.#pendingEnd) {
      this.#pendingEnd = false;
      this.#done = true;
      this.#handler.onStreamEnd();
      throw ABORT; // ignore whatever follows in this chunk
    }
    const el = this.#pendingEl as Element;
    this.#pendingEl = null;
    this.#handler.onElement(el);
  }

  #onSaxError(e: Error): void {
    const msg = e.message;
    // A DOCTYPE after the root start is reported by saxes as misplaced before we see the doctype event.
    this.#fail(msg.endsWith('doctype declaration.') ? 'restricted-xml' : 'not-well-formed', msg);
  }

  #onXmlDecl(d: XMLDecl): void {
    if (d.encoding !== undefined && d.encoding.toLowerCase() !== 'utf-8') {
      this.#fail('unsupported-encoding', `encoding ${d.encoding} is not supported, only UTF-8`);
    }
    // XMPP is XML 1.0 (RFC 6120 §11.2); other versions are XML we cannot process.
    if (d.version !== '1.0') this.#fail('bad-format', `XML version ${String(d.version)} is not supported`);
  }

  #onOpenTagStart(): void {
    if (this.#pendingPos >= 0) this.#flush();
    // Checked here, before saxes resolves the element's namespace: resolution walks the whole tag stack, so
    // nesting costs O(depth²) (B1 trap 1). Aborting at maxDepth bounds that to O(maxDepth²) per stream.
    const d = ++this.#depth;
    if (d > this.#maxDepth) this.#fail('policy-violation', `elements nested more than ${this.#maxDepth} deep`);
    if (d === 2) this.#children = 0;
    else if (d > 2 && ++this.#children > this.#maxChildren) {
      this.#fail('policy-violation', `more than ${this.#maxChildren} elements in one stanza`);
    }
  }

  #onOpenTag(tag: SaxesTagNS): void {
    const d = this.#depth;
    if (d === 1) {
      this.#onStreamHeader(tag);
      return;
    }
    const el = new Element(tag.name);
    const attrs = el.attrs;
    const declared = tag.ns; // declarations made on this element itself
    if (d === 2) {
      this.#top = el;
      if (this.#ws) this.#checkFrameRoot(tag);
    } else {
      const parent = this.#cur as Element;
      el.parent = parent;
      parent.children.push(el);
    }
    const list = tag.attributes;
    for (const name in list) {
      const a = list[name]!;
      setAttr(attrs, name, a.value);
      const p = a.prefix;
      if (p !== '' && p !== 'xmlns' && p !== 'xml' && declared[p] === undefined) this.#inherit(el, `xmlns:${p}`, a.uri);
    }
    const p = tag.prefix;
    if (declared[p] === undefined && p !== 'xml' && tag.uri !== '') {
      this.#inherit(el, p === '' ? 'xmlns' : `xmlns:${p}`, tag.uri);
    }
    if (d === 2) {
      // Every top-level element carries xmlns = its own namespace, so consumers can dispatch on el.attrs.xmlns.
      // For a prefixed one (<stream:error/>) that is not the default namespace its children inherit, so such
      // children get their own xmlns in #inherit (only when they relied on the stream header's default).
      this.#topXmlnsSynthetic = p !== '' && attrs.xmlns === undefined;
      if (this.#topXmlnsSynthetic) attrs.xmlns = tag.uri;
    }
    this.#cur = el;
  }

  // Makes the top-level element self-contained: a namespace declaration (`key`) that `el` relies on and that is not
  // made anywhere between `el` and the top-level element came from the stream header, so copy it onto the top-level
  // element. For the top-level element itself this adds its own xmlns / xmlns:prefix when it inherited it.
  #inherit(el: Element, key: string, uri: string): void {
    const top = this.#top as Element;
    for (let e = el.parent; e !== null && e !== top; e = e.parent) {
      if (e.attrs[key] !== undefined) return;
    }
    if (key === 'xmlns' && this.#topXmlnsSynthetic && el !== top) el.attrs.xmlns = uri;
    else if (top.attrs[key] === undefined) top.attrs[key] = uri;
  }

  // RFC 6120 §4.9.3: a first element whose local name is "stream" but whose namespace is not the streams namespace
  // is exactly §4.9.3.10 <invalid-namespace/>. A first element that is not a stream at all is well-formed XML (so
  // <not-well-formed/> would be wrong) that cannot be processed as an XMPP stream: §4.9.3.1 <bad-format/>.
  #onStreamHeader(tag: SaxesTagNS): void {
    if (tag.local !== 'stream') this.#fail('bad-format', `expected a stream header, got <${tag.name}>`);
    if (tag.uri !== NS.STREAMS) this.#fail('invalid-namespace', `stream namespace must be ${NS.STREAMS}`);
    const attrs: Record<string, string> = {};
    const list = tag.attributes;
    for (const name in list) setAttr(attrs, name, list[name]!.value);
    const b = this.#byteOffset(this.#sax.position);
    if (b - this.#boundary > this.#maxBytes) this.#fail('policy-violation', tooBig(b - this.#boundary, this.#maxBytes));
    this.#boundary = b;
    this.#started = true;
    this.#handler.onStreamStart(tag.name, tag.uri, attrs);
  }

  // Same reasoning as #onStreamHeader for the first frame of a websocket session.
  #checkFrameRoot(tag: SaxesTagNS): void {
    if (tag.uri === NS.FRAMING) {
      if (tag.local === 'open') {
        this.#frameKind = FRAME_OPEN;
        return;
      }
      if (tag.local === 'close') {
        this.#frameKind = FRAME_CLOSE;
        return;
      }
    }
    if (!this.#started) {
      if (tag.local === 'open') this.#fail('invalid-namespace', `<open/> must be in namespace ${NS.FRAMING}`);
      this.#fail('bad-format', `expected <open/>, got <${tag.name}>`);
    }
  }

  #onCloseTag(): void {
    if (this.#pendingPos >= 0) this.#flush();
    const d = this.#depth--;
    if (d > 2) {
      this.#cur = (this.#cur as Element).parent;
      return;
    }
    if (d === 2) {
      const el = this.#cur as Element;
      this.#cur = this.#top = null;
      if (this.#ws) {
        this.#frameRoot = el; // delivered after saxes has checked the whole frame
        return;
      }
      const pos = this.#sax.position;
      const b = this.#byteOffset(pos);
      const size = b - this.#boundary;
      if (size > this.#maxBytes) this.#fail('policy-violation', tooBig(size, this.#maxBytes));
      this.#boundary = b;
      this.#pendingEl = el;
      this.#pendingPos = pos;
      return;
    }
    // The stream header closed (</stream:stream>).
    this.#pendingEnd = true;
    this.#pendingPos = this.#sax.position;
  }

  #onText(t: string): void {
    if (this.#pendingPos >= 0) this.#flush();
    const cur = this.#cur;
    if (cur !== null) {
      const ch = cur.children;
      const n = ch.length;
      if (n !== 0 && typeof ch[n - 1] === 'string') ch[n - 1] += t; // merge text split by CDATA sections
      else ch.push(t);
    } else if (this.#depth === 1 && !this.#ws && !WHITESPACE_ONLY.test(t)) {
      // Between stanzas only whitespace (keepalives) may appear; it is dropped.
      this.#fail('bad-format', 'character data between top-level elements');
    }
  }
}
