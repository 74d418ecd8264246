// A strict streaming XML tokenizer for XMPP over Buffers, building ltx Elements: the engine behind StreamParser.
//
// It accepts and rejects exactly what the saxes-based parser accepts and rejects (saxes 6 + fatal TextDecoder + the
// wrapper's limits, ARCHITECTURE.md §B1; the differential tests in test/unit/parser-differential.test.ts hold it to
// that), but works on bytes: UTF-8 is validated natively per chunk, names, attribute values and text are scanned
// byte by byte with ASCII fast paths and decoded once, and there is no per-character callback, event object or
// namespace-resolution walk per element. The prolog, PIs, comments and DTDs are rare and always end in an error, so
// they are handled by small, literal ports of the saxes state machine, character by character.
//
// Every failure goes through #fail(), which reports once and throws a private sentinel caught by write().
import { isAscii } from 'node:buffer';
import { Element } from 'ltx';
import { ASCII_CLASS, ASCII_NAME, isName, isNameChar, isNameStartChar, isS } from './chars.js';
import { NS } from './ns.js';
import type { ParserErrorCondition, ParserLimits, StreamParserHandler } from './parser-types.js';
import { incompleteTail, validUtf8 } from './utf8.js';

const ABORT: unknown = Object.freeze({ parserAbort: true });
const EOC = -1;
const SLICE = 64 * 1024;
const WHITESPACE_ONLY = /^[ \t\r\n]*$/;
const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

// States (names follow saxes's where the behaviour is the same).
const S_BEGIN = 0;
const S_BEGIN_WS = 1;
const S_TEXT = 2;
const S_LT = 3;
const S_BANG = 4;
const S_COMMENT = 5;
const S_CDATA = 6;
const S_DOCTYPE = 7;
const S_DOCTYPE_QUOTE = 8;
const S_DTD = 9;
const S_DTD_QUOTED = 10;
const S_DTD_OPEN_WAKA = 11;
const S_DTD_OPEN_WAKA_BANG = 12;
const S_DTD_COMMENT = 13;
const S_DTD_COMMENT_ENDING = 14;
const S_DTD_COMMENT_ENDED = 15;
const S_DTD_PI = 16;
const S_DTD_PI_ENDING = 17;
const S_PI_FIRST = 18;
const S_PI_REST = 19;
const S_PI_BODY = 20;
const S_PI_ENDING = 21;
const S_XD_NAME_START = 22;
const S_XD_NAME = 23;
const S_XD_EQ = 24;
const S_XD_VALUE_START = 25;
const S_XD_VALUE = 26;
const S_XD_SEPARATOR = 27;
const S_XD_ENDING = 28;
const S_OPEN_NAME = 29;
const S_OPEN_SLASH = 30;
const S_ATTRIB = 31;
const S_ATTR_NAME = 32;
const S_ATTR_NAME_WS = 33;
const S_ATTR_VALUE = 34;
const S_ATTR_VALUE_Q = 35;
const S_ATTR_CLOSED = 36;
const S_CLOSE_NAME = 37;
const S_CLOSE_WS = 38;
const S_ENTITY = 39;

const FRAME_ELEMENT = 0;
const FRAME_OPEN = 1;
const FRAME_CLOSE = 2;

const PREDEFINED: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  amp: '&', gt: '>', lt: '<', quot: '"', apos: "'",
});

/** Buffer's native slicers; toString() would re-check its arguments on every call. */
interface Slicer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

function setAttr(attrs: Record<string, string>, name: string, value: string): void {
  // An attribute really named __proto__ would hit the prototype setter of a plain object and silently vanish.
  if (name === '__proto__') Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
  else attrs[name] = value;
}

function tooBig(size: number, max: number): string {
  return `stanza of ${size} bytes exceeds the limit of ${max} bytes`;
}

// Element and attribute names that make up most XMPP traffic, indexed by first byte and length.
const KNOWN_NAMES = [
  'message', 'presence', 'iq', 'body', 'thread', 'subject', 'show', 'status', 'priority', 'query', 'item', 'group',
  'x', 'c', 'error', 'text', 'active', 'composing', 'paused', 'inactive', 'gone', 'request', 'received', 'markable',
  'displayed', 'origin-id', 'stanza-id', 'delay', 'forwarded', 'result', 'fin', 'set', 'first', 'last', 'count',
  'ping', 'bind', 'resource', 'jid', 'session', 'enable', 'enabled', 'r', 'a', 'store', 'no-store', 'photo',
  'identity', 'feature', 'value', 'field', 'sent', 'private', 'nick', 'pubsub', 'publish', 'items', 'event',
  'stream:features', 'starttls', 'auth', 'response', 'challenge', 'success', 'idle', 'stream:stream',
  'to', 'from', 'id', 'type', 'xmlns', 'xml:lang', 'xmlns:stream', 'version', 'name', 'node', 'ver', 'hash',
  'var', 'subscription', 'ask', 'mechanism', 'stamp', 'queryid', 'by', 'code', 'category', 'since', 'label',
];
const NAME_TABLE: (string[] | undefined)[] = new Array(128 * 32);
for (const nm of KNOWN_NAMES) (NAME_TABLE[(nm.charCodeAt(0) << 5) | nm.length] ??= []).push(nm);

/** The constant for an ASCII name b[start, end) if it is a known one. */
function knownName(b: Buffer, start: number, end: number): string | null {
  const len = end - start;
  if (len >= 32) return null;
  const list = NAME_TABLE[(b[start]! << 5) | len];
  if (list === undefined) return null;
  next: for (let j = 0; j < list.length; j++) {
    const nm = list[j]!;
    for (let k = 1; k < len; k++) if (nm.charCodeAt(k) !== b[start + k]) continue next;
    return nm;
  }
  return null;
}

function isNCNameStartChar(c: number): boolean {
  return c !== 0x3a && isNameStartChar(c);
}

function isNCNameChar(c: number): boolean {
  return c !== 0x3a && isNameChar(c);
}

/** An open element as the tokenizer tracks it. */
interface Frame {
  name: string; // qualified name as written
  ns: Record<string, string> | null; // declarations made on this element
  def: string | undefined; // default namespace in scope inside this element
}

export class XmlStreamTokenizer {
  readonly #handler: StreamParserHandler;
  readonly #ws: boolean;
  #maxBytes = 0;
  #maxDepth = 0;
  #maxChildren = 0;

  #failed = false;
  #done = false;
  #started = false;

  // Input
  #buf: Buffer = Buffer.alloc(0);
  #str: string | null = null; // #buf decoded, made on first use
  #bufAscii = true;
  #adjPos = 0; // #adj = bytes minus UTF-16 units in #buf[0, #adjPos)
  #adj = 0;
  #i = 0;
  #n = 0;
  #prev = 0;
  #base = 0; // global byte offset of #buf[0]
  #total = 0; // bytes handed to the tokenizer so far (complete characters)
  #pend: Buffer | null = null; // an unconsumed trailing CR
  #u8carry: Buffer | null = null; // an incomplete UTF-8 sequence
  #strCarry = ''; // a high surrogate at the end of a string write
  #decodedAny = false; // the decoder-level BOM can only come first
  #final = false; // no more input for this document (websocket frame end): a trailing CR is a newline

  // saxes-level document state
  #state = S_BEGIN;
  #xmlDeclPossible = true;
  #sawRoot = false;
  #closedRoot = false;
  #doctype = false;
  #frames: Frame[] = [];
  #name = '';
  #text = '';
  #entity = '';
  #entityReturn = S_TEXT;
  #q = 0;
  #fb = 0; // consecutive ']' seen in text (for the "]]>" check)
  #dash = false; // comment: previous char was '-'
  #textNonWs = false; // text at stream level contains something other than whitespace
  #bang = '';
  #piTarget = '';
  #xdExpects: string[] = ['version'];
  #xdName = '';
  #xdVersion: string | undefined;
  #xdEncoding: string | undefined;

  // the tag being read
  #tagName = '';
  #attrNames: string[] = [];
  #attrValues: string[] = [];
  #tagNs: Record<string, string> | null = null;
  #attrName = '';

  // wrapper-level (tree) state, as in the saxes wrapper
  #depth = 0;
  #children = 0;
  #cur: Element | null = null;
  #top: Element | null = null;
  #topXmlnsSynthetic = false;
  #boundary = 0;
  #frameRoot: Element | null = null;
  #frameKind = FRAME_ELEMENT;

  constructor(handler: StreamParserHandler, limits: ParserLimits, opts?: { framing?: 'stream' | 'websocket' }) {
    this.#handler = handler;
    this.#ws = opts?.framing === 'websocket';
    this.setLimits(limits);
  }

  get failed(): boolean {
    return this.#failed;
  }

  setLimits(limits: ParserLimits): void {
    this.#maxBytes = limits.maxStanzaBytes;
    this.#maxDepth = limits.maxDepth;
    this.#maxChildren = limits.maxChildren;
  }

  write(chunk: Buffer | string): void {
    if (this.#done) return;
    try {
      const buf = typeof chunk === 'string' ? this.#fromString(chunk) : chunk;
      if (this.#ws) {
        this.#writeFrame(buf, typeof chunk !== 'string');
        return;
      }
      // Checked between slices, so one huge write() is rejected after a slice, not at its end.
      for (let off = 0; off < buf.length && !this.#done; off += SLICE) {
        this.#feed(off === 0 && buf.length <= SLICE ? buf : buf.subarray(off, off + SLICE));
        const used = this.#total - this.#boundary;
        if (used > this.#maxBytes) this.#fail('policy-violation', tooBig(used, this.#maxBytes));
      }
    } catch (e) {
      if (e === ABORT) return;
      this.#done = true;
      throw e;
    }
  }

  // ---- input assembly ----

  /** Strings (tests, embedding) are encoded to UTF-8; a surrogate pair split across two writes is kept together. */
  #fromString(chunk: string): Buffer {
    let s = this.#strCarry + chunk;
    this.#strCarry = '';
    const last = s.charCodeAt(s.length - 1);
    if (!this.#ws && last >= 0xd800 && last <= 0xdbff) {
      this.#strCarry = s.slice(-1);
      s = s.slice(0, -1);
    }
    return Buffer.from(s, 'utf8');
  }

  /** UTF-8 check of a slice (with the carried incomplete character), then tokenizing of its complete characters. */
  #feed(part: Buffer): void {
    let data = part;
    if (this.#u8carry !== null) {
      data = Buffer.concat([this.#u8carry, part]);
      this.#u8carry = null;
    }
    const tail = incompleteTail(data, data.length);
    if (tail < 0) this.#fail('not-well-formed', 'invalid UTF-8');
    const end = data.length - tail;
    if (end > 0 && !validUtf8(data, 0, end)) this.#fail('not-well-formed', 'invalid UTF-8');
    if (tail > 0) this.#u8carry = Buffer.from(data.subarray(end));
    let start = 0;
    if (!this.#decodedAny && end > 0) {
      this.#decodedAny = true;
      // The decoder drops a byte order mark at the very start (it is not counted either).
      if (end >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) start = 3;
    }
    if (start === end) return;
    this.#run(start === 0 && end === data.length ? data : data.subarray(start, end));
  }

  #run(bytes: Buffer): void {
    let buf = bytes;
    const pend = this.#pend;
    this.#base = this.#total - (pend === null ? 0 : pend.length);
    this.#total += bytes.length;
    if (pend !== null) {
      buf = Buffer.concat([pend, bytes]);
      this.#pend = null;
    }
    this.#buf = buf;
    this.#i = 0;
    this.#n = buf.length;
    this.#str = null;
    this.#bufAscii = isAscii(buf);
    this.#adjPos = 0;
    this.#adj = 0;
    while (this.#i < this.#n && this.#step());
    this.#str = null; // do not pin the chunk
    if (this.#i < this.#n && !this.#done) this.#pend = Buffer.from(buf.subarray(this.#i));
  }

  // ---- websocket frames (RFC 7395): one complete element per frame, parsed as a document of its own ----

  /** `decoded`: the frame came as bytes, so a leading byte order mark is dropped as a UTF-8 decoder would. */
  #writeFrame(chunk: Buffer, decoded: boolean): void {
    if (chunk.length > this.#maxBytes) this.#fail('policy-violation', tooBig(chunk.length, this.#maxBytes));
    // Not streaming: a frame that ends inside a character is invalid.
    if (incompleteTail(chunk, chunk.length) !== 0 || !validUtf8(chunk, 0, chunk.length)) this.#fail('not-well-formed', 'invalid UTF-8');
    let start = 0;
    if (decoded && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
    let blank = true;
    for (let k = start; k < chunk.length; k++) {
      const c = chunk[k];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) {
        blank = false;
        break;
      }
    }
    if (blank) return; // empty / whitespace frames carry nothing
    this.#resetDocument();
    this.#depth = 1; // as if inside a stream header, so depth limits mean the same in both framings
    this.#children = 0;
    this.#cur = this.#top = this.#frameRoot = null;
    this.#frameKind = FRAME_ELEMENT;
    this.#final = true;
    this.#pend = null;
    this.#total = 0;
    this.#run(start === 0 ? chunk : chunk.subarray(start));
    this.#endDocument();
    const el = this.#frameRoot as Element | null;
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

  #resetDocument(): void {
    this.#state = S_BEGIN;
    this.#xmlDeclPossible = true;
    this.#sawRoot = false;
    this.#closedRoot = false;
    this.#doctype = false;
    this.#frames = [];
    this.#xdExpects = ['version'];
    this.#xdVersion = this.#xdEncoding = undefined;
    this.#text = this.#name = this.#entity = '';
    this.#fb = 0;
  }

  /** saxes end(): the checks at the end of a document. */
  #endDocument(): void {
    if (!this.#sawRoot) this.#fail('not-well-formed', 'document must contain a root element');
    if (this.#frames.length > 0) this.#fail('not-well-formed', `unclosed tag: ${this.#frames[this.#frames.length - 1]!.name}`);
    if (this.#state !== S_BEGIN && this.#state !== S_TEXT) this.#fail('not-well-formed', 'unexpected end');
  }

  // ---- errors ----

  #fail(condition: ParserErrorCondition, text: string): never {
    if (!this.#done) {
      this.#done = true;
      this.#failed = true;
      this.#handler.onError(condition, text);
    }
    throw ABORT;
  }

  #bad(text: string): never {
    return this.#fail('not-well-formed', text);
  }

  // ---- characters ----

  /** The next code point (validated as an XML Char; CR and CR LF read as LF), or EOC. */
  #next(): number {
    const i = this.#i;
    if (i >= this.#n) return EOC;
    const b = this.#buf;
    const c = b[i]!;
    this.#prev = i;
    if (c < 0x80) {
      if (c >= 0x20 || c === 0x0a || c === 0x09) {
        this.#i = i + 1;
        return c;
      }
      if (c === 0x0d) {
        if (i + 1 >= this.#n) {
          if (!this.#final) return EOC; // wait: CR LF is one newline
          this.#i = i + 1;
          return 0x0a;
        }
        this.#i = b[i + 1] === 0x0a ? i + 2 : i + 1;
        return 0x0a;
      }
      return this.#bad('disallowed character');
    }
    let cp: number;
    if (c < 0xe0) {
      cp = ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f);
      this.#i = i + 2;
    } else if (c < 0xf0) {
      cp = ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
      this.#i = i + 3;
      if (cp === 0xfffe || cp === 0xffff) this.#bad('disallowed character');
    } else {
      cp = ((c & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
      this.#i = i + 4;
    }
    return cp;
  }

  #unget(): void {
    this.#i = this.#prev;
  }

  /** Skips S; returns the first other code point (consumed) or EOC. */
  #skipSpaces(): number {
    for (;;) {
      const c = this.#next();
      if (c === EOC || !isS(c)) return c;
    }
  }

  // Text, names and values are sliced out of one string decoded per input buffer: substrings are far cheaper than a
  // native decode call per slice. Byte positions map to UTF-16 indexes by counting lead bytes, incrementally (slices
  // are taken in increasing position order, so each buffer is scanned about once).
  #slice(start: number, end: number): string {
    let s = this.#str;
    if (s === null) {
      const b = this.#buf as unknown as Slicer;
      s = this.#str = this.#bufAscii ? b.latin1Slice(0, this.#n) : b.utf8Slice(0, this.#n);
    }
    if (this.#bufAscii) return s.slice(start, end);
    return s.slice(this.#charIndex(start), this.#charIndex(end));
  }

  #charIndex(pos: number): number {
    if (pos < this.#adjPos) {
      this.#adjPos = 0;
      this.#adj = 0;
    }
    const b = this.#buf;
    let adj = this.#adj;
    for (let k = this.#adjPos; k < pos; k++) {
      const c = b[k]!;
      if (c >= 0xc0) adj += c >= 0xe0 ? 2 : 1;
    }
    this.#adjPos = pos;
    this.#adj = adj;
    return pos - adj;
  }

  // ---- the state machine ----

  /** Runs the current state; false when it needs more input. */
  #step(): boolean {
    switch (this.#state) {
      case S_TEXT: return this.#frames.length !== 0 ? this.#textInRoot() : this.#textOutsideRoot();
      case S_LT: return this.#lt();
      case S_OPEN_NAME: return this.#openName();
      case S_ATTRIB: return this.#attrib();
      case S_ATTR_NAME: return this.#attrName_();
      case S_ATTR_NAME_WS: return this.#attrNameWs();
      case S_ATTR_VALUE: return this.#attrValue();
      case S_ATTR_VALUE_Q: return this.#attrValueQuoted();
      case S_ATTR_CLOSED: return this.#attrClosed();
      case S_OPEN_SLASH: return this.#openSlash();
      case S_CLOSE_NAME: return this.#closeName();
      case S_CLOSE_WS: return this.#closeWs();
      case S_ENTITY: return this.#entityStep();
      case S_CDATA: return this.#cdata();
      case S_BEGIN: return this.#begin();
      case S_BEGIN_WS: return this.#beginWs();
      case S_BANG: return this.#bangStep();
      case S_COMMENT: return this.#comment();
      default: return this.#rare();
    }
  }

  #begin(): boolean {
    // saxes drops one U+FEFF at the start of its input (after the decoder dropped a first one).
    const b = this.#buf;
    const i = this.#i;
    if (i + 2 < this.#n && b[i] === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) this.#i = i + 3;
    this.#state = S_BEGIN_WS;
    return true;
  }

  #beginWs(): boolean {
    for (;;) {
      const c = this.#next();
      if (c === EOC) return false;
      if (isS(c)) {
        this.#xmlDeclPossible = false; // an XML declaration must be the very first thing
        continue;
      }
      if (c === 0x3c) {
        this.#state = S_LT;
        return true;
      }
      return this.#bad('text data outside of root node');
    }
  }

  /** Character data outside the root element: only whitespace. */
  #textOutsideRoot(): boolean {
    for (;;) {
      const c = this.#next();
      if (c === EOC) return false;
      if (c === 0x3c) {
        this.#state = S_LT;
        return true;
      }
      if (!isS(c)) return this.#bad('text data outside of root node');
    }
  }

  /** Character data inside the root: kept inside a stanza, only checked for whitespace at stream level. */
  #textInRoot(): boolean {
    const b = this.#buf;
    const n = this.#n;
    const collect = this.#cur !== null;
    let i = this.#i;
    let start = i;
    let fb = this.#fb;
    let nonWs = false;
    while (i < n) {
      const c = b[i]!;
      if (c === 0x3c) {
        if (collect) {
          if (i > start) this.#text += this.#slice(start, i);
        } else if (nonWs) this.#textNonWs = true;
        this.#i = i + 1;
        this.#fb = 0;
        this.#state = S_LT;
        this.#emitText();
        return true;
      }
      if (c === 0x26) {
        if (collect) {
          if (i > start) this.#text += this.#slice(start, i);
        } else if (nonWs) this.#textNonWs = true;
        this.#i = i + 1;
        this.#fb = 0;
        this.#entity = '';
        this.#entityReturn = S_TEXT;
        this.#state = S_ENTITY;
        return true;
      }
      if (c === 0x5d) {
        if (fb < 2) fb++;
        nonWs = true;
        i++;
        continue;
      }
      if (c === 0x3e) {
        if (fb === 2) this.#bad('the string "]]>" is not allowed in character data');
        fb = 0;
        nonWs = true;
        i++;
        continue;
      }
      fb = 0;
      if (c < 0x20) {
        if (c === 0x0a || c === 0x09) {
          i++;
          continue;
        }
        if (c === 0x0d) {
          if (i + 1 >= n && !this.#final) break; // wait for the byte after the CR
          if (collect) this.#text += this.#slice(start, i) + '\n';
          i += b[i + 1] === 0x0a ? 2 : 1;
          start = i;
          continue;
        }
        this.#i = i;
        return this.#bad('disallowed character');
      }
      if (c >= 0x80) {
        if (c === 0xef && b[i + 1] === 0xbf && b[i + 2]! >= 0xbe) {
          this.#i = i;
          return this.#bad('disallowed character');
        }
      }
      if (c !== 0x20) nonWs = true;
      i++;
    }
    if (collect) {
      if (i > start) this.#text += this.#slice(start, i);
    } else if (nonWs) this.#textNonWs = true;
    this.#i = i;
    this.#fb = fb;
    return false;
  }

  /** The wrapper's text handler: text (and CDATA) inside a stanza is kept; at stream level only whitespace. */
  #emitText(): void {
    const cur = this.#cur;
    if (cur !== null) {
      const t = this.#text;
      if (t.length === 0) return;
      this.#text = '';
      this.#appendText(cur, t);
    } else if (this.#textNonWs) {
      this.#textNonWs = false;
      if (this.#depth === 1 && !this.#ws) this.#fail('bad-format', 'character data between top-level elements');
    }
  }

  #appendText(cur: Element, t: string): void {
    const ch = cur.children;
    const n = ch.length;
    if (n !== 0 && typeof ch[n - 1] === 'string') ch[n - 1] += t; // merge text split by CDATA sections
    else ch.push(t);
  }

  #lt(): boolean {
    const c = this.#next();
    if (c === EOC) return false;
    if (isNameStartChar(c)) {
      this.#unget();
      this.#name = '';
      this.#state = S_OPEN_NAME;
      this.#xmlDeclPossible = false;
      return true;
    }
    switch (c) {
      case 0x2f: // /
        this.#name = '';
        this.#state = S_CLOSE_NAME;
        this.#xmlDeclPossible = false;
        return true;
      case 0x21: // !
        this.#bang = '';
        this.#state = S_BANG;
        this.#xmlDeclPossible = false;
        return true;
      case 0x3f: // ?
        this.#piTarget = '';
        this.#state = S_PI_FIRST;
        return true;
      default:
        return this.#bad('disallowed character in tag name');
    }
  }

  /** Reads name characters into #name; returns the code point that ended the name (consumed) or EOC. */
  #captureName(): number {
    const b = this.#buf;
    const n = this.#n;
    let i = this.#i;
    const start = i;
    let ascii = true;
    while (i < n) {
      const c = b[i]!;
      if (c < 0x80) {
        if ((ASCII_CLASS[c]! & ASCII_NAME) !== 0) {
          i++;
          continue;
        }
        break;
      }
      this.#i = i;
      const cp = this.#next();
      if (!isNameChar(cp)) {
        this.#i = i;
        break;
      }
      ascii = false;
      i = this.#i;
    }
    if (i > start) {
      // Common names become the same constant strings: no slice, and the attribute stores and name comparisons
      // downstream work on internalized strings with shared object shapes.
      const k = ascii && this.#name === '' && i < n ? knownName(b, start, i) : null;
      this.#name = k ?? this.#name + this.#slice(start, i);
    }
    this.#i = i;
    return this.#next();
  }

  #openName(): boolean {
    const c = this.#captureName();
    if (c === EOC) return false;
    this.#openTagStart();
    this.#tagName = this.#name;
    this.#name = '';
    this.#attrNames = [];
    this.#attrValues = [];
    this.#tagNs = null;
    if (c === 0x3e) return this.#openTag(false);
    if (c === 0x2f) this.#state = S_OPEN_SLASH;
    else if (isS(c)) this.#state = S_ATTRIB;
    else this.#bad('disallowed character in tag name');
    return true;
  }

  /** The wrapper's opentagstart: depth and size-of-stanza limits, before the tag is resolved. */
  #openTagStart(): void {
    const d = ++this.#depth;
    if (d > this.#maxDepth) this.#fail('policy-violation', `elements nested more than ${this.#maxDepth} deep`);
    if (d === 2) this.#children = 0;
    else if (d > 2 && ++this.#children > this.#maxChildren) {
      this.#fail('policy-violation', `more than ${this.#maxChildren} elements in one stanza`);
    }
    this.#sawRoot = true;
    if (this.#closedRoot) this.#bad('documents may contain only one root');
  }

  #openSlash(): boolean {
    const c = this.#next();
    if (c === EOC) return false;
    if (c === 0x3e) return this.#openTag(true);
    return this.#bad('forward-slash in opening tag not followed by >');
  }

  #attrib(): boolean {
    const c = this.#skipSpaces();
    if (c === EOC) return false;
    if (isNameStartChar(c)) {
      this.#unget();
      this.#name = '';
      this.#state = S_ATTR_NAME;
      return true;
    }
    if (c === 0x3e) return this.#openTag(false);
    if (c === 0x2f) {
      this.#state = S_OPEN_SLASH;
      return true;
    }
    return this.#bad('disallowed character in attribute name');
  }

  #attrName_(): boolean {
    const c = this.#captureName();
    if (c === EOC) return false;
    if (c === 0x3d) {
      this.#attrName = this.#name;
      this.#state = S_ATTR_VALUE;
      return true;
    }
    if (isS(c)) {
      this.#attrName = this.#name;
      this.#state = S_ATTR_NAME_WS;
      return true;
    }
    if (c === 0x3e) return this.#bad('attribute without value');
    return this.#bad('disallowed character in attribute name');
  }

  #attrNameWs(): boolean {
    const c = this.#skipSpaces();
    if (c === EOC) return false;
    if (c === 0x3d) {
      this.#state = S_ATTR_VALUE;
      return true;
    }
    return this.#bad('attribute without value');
  }

  #attrValue(): boolean {
    for (;;) {
      const c = this.#next();
      if (c === EOC) return false;
      if (c === 0x22 || c === 0x27) {
        this.#q = c;
        this.#text = '';
        this.#state = S_ATTR_VALUE_Q;
        return true;
      }
      if (!isS(c)) return this.#bad('unquoted attribute value');
    }
  }

  #attrValueQuoted(): boolean {
    const b = this.#buf;
    const n = this.#n;
    const q = this.#q;
    let i = this.#i;
    let start = i;
    while (i < n) {
      const c = b[i]!;
      if (c === q) {
        const v = i > start ? this.#text + this.#slice(start, i) : this.#text;
        this.#text = '';
        this.#i = i + 1;
        this.#pushAttr(this.#attrName, v);
        this.#state = S_ATTR_CLOSED;
        return true;
      }
      if (c < 0x3d) {
        if (c === 0x26) {
          if (i > start) this.#text += this.#slice(start, i);
          this.#i = i + 1;
          this.#entity = '';
          this.#entityReturn = S_ATTR_VALUE_Q;
          this.#state = S_ENTITY;
          return true;
        }
        if (c === 0x3c) {
          this.#i = i;
          return this.#bad('disallowed character');
        }
        if (c < 0x20) {
          // Attribute-value normalization: TAB, LF, CR and CR LF become one space.
          if (c === 0x09 || c === 0x0a) {
            this.#text += this.#slice(start, i) + ' ';
            start = ++i;
            continue;
          }
          if (c === 0x0d) {
            if (i + 1 >= n && !this.#final) break;
            this.#text += this.#slice(start, i) + ' ';
            i += b[i + 1] === 0x0a ? 2 : 1;
            start = i;
            continue;
          }
          this.#i = i;
          return this.#bad('disallowed character');
        }
      } else if (c >= 0x80) {
        if (c === 0xef && b[i + 1] === 0xbf && b[i + 2]! >= 0xbe) {
          this.#i = i;
          return this.#bad('disallowed character');
        }
      }
      i++;
    }
    if (i > start) this.#text += this.#slice(start, i);
    this.#i = i;
    return false;
  }

  #attrClosed(): boolean {
    const c = this.#next();
    if (c === EOC) return false;
    if (isS(c)) {
      this.#state = S_ATTRIB;
      return true;
    }
    if (c === 0x3e) return this.#openTag(false);
    if (c === 0x2f) {
      this.#state = S_OPEN_SLASH;
      return true;
    }
    if (isNameStartChar(c)) return this.#bad('no whitespace between attributes');
    return this.#bad('disallowed character in attribute name');
  }

  /** saxes pushAttribNS: name syntax and namespace declarations are checked as each attribute completes. */
  #pushAttr(name: string, value: string): void {
    const colon = name.indexOf(':');
    if (colon !== -1) {
      const prefix = name.slice(0, colon);
      const local = name.slice(colon + 1);
      if (prefix === '' || local === '' || local.includes(':')) this.#bad(`malformed name: ${name}`);
      if (prefix === 'xmlns') {
        const uri = value.trim();
        if (uri === '') this.#bad('invalid attempt to undefine prefix in XML 1.0');
        (this.#tagNs ??= Object.create(null) as Record<string, string>)[local] = uri;
        this.#nsPairCheck(local, uri);
      }
    } else if (name === 'xmlns') {
      const uri = value.trim();
      (this.#tagNs ??= Object.create(null) as Record<string, string>)[''] = uri;
      this.#nsPairCheck('', uri);
    }
    this.#attrNames.push(name);
    this.#attrValues.push(value);
  }

  #nsPairCheck(prefix: string, uri: string): void {
    if (prefix === 'xml' && uri !== XML_NAMESPACE) this.#bad(`xml prefix must be bound to ${XML_NAMESPACE}`);
    if (prefix === 'xmlns' && uri !== XMLNS_NAMESPACE) this.#bad(`xmlns prefix must be bound to ${XMLNS_NAMESPACE}`);
    if (uri === XMLNS_NAMESPACE) this.#bad(`no prefix may be bound to ${XMLNS_NAMESPACE}`);
    if (uri === XML_NAMESPACE && prefix !== 'xml') this.#bad(`only the xml prefix may be bound to ${XML_NAMESPACE}`);
  }

  /** A prefix's namespace: this tag's declarations, then its ancestors', then the predefined xml / xmlns. */
  #resolve(prefix: string): string | undefined {
    const own = this.#tagNs;
    if (own !== null && own[prefix] !== undefined) return own[prefix];
    const frames = this.#frames;
    if (prefix === '') return frames.length !== 0 ? frames[frames.length - 1]!.def : undefined;
    for (let k = frames.length - 1; k >= 0; k--) {
      const ns = frames[k]!.ns;
      if (ns !== null && ns[prefix] !== undefined) return ns[prefix];
    }
    if (prefix === 'xml') return XML_NAMESPACE;
    if (prefix === 'xmlns') return XMLNS_NAMESPACE;
    return undefined;
  }

  /** A complete start tag: namespace checks (saxes processAttribsNS), then the wrapper's element building. */
  #openTag(selfClosing: boolean): boolean {
    const name = this.#tagName;
    let prefix = '';
    let local = name;
    const colon = name.indexOf(':');
    if (colon !== -1) {
      prefix = name.slice(0, colon);
      local = name.slice(colon + 1);
      if (prefix === '' || local === '' || local.includes(':')) this.#bad(`malformed name: ${name}`);
      if (prefix === 'xmlns') this.#bad('tags may not have "xmlns" as prefix');
    }
    const uri = this.#resolve(prefix) ?? '';
    if (prefix !== '' && uri === '') this.#bad(`unbound namespace prefix: ${prefix}`);

    const names = this.#attrNames;
    const na = names.length;
    // Resolved namespace of each prefixed attribute (undefined for unprefixed ones).
    const attrUris: (string | undefined)[] = new Array(na);
    if (na !== 0) {
      const seen = na > 8 ? new Set<string>() : null;
      const keys: string[] = new Array(na);
      for (let k = 0; k < na; k++) {
        const an = names[k]!;
        const ac = an.indexOf(':');
        let key = an;
        if (ac !== -1) {
          const ap = an.slice(0, ac);
          const au = this.#resolve(ap);
          if (au === undefined) this.#bad(`unbound namespace prefix: ${ap}`);
          attrUris[k] = au;
          key = `{${au}}${an.slice(ac + 1)}`;
        } else {
          attrUris[k] = undefined;
        }
        if (seen !== null) {
          if (seen.has(key)) this.#bad(`duplicate attribute: ${key}`);
          seen.add(key);
        } else {
          for (let j = 0; j < k; j++) if (keys[j] === key) this.#bad(`duplicate attribute: ${key}`);
          keys[k] = key;
        }
      }
    }

    const own = this.#tagNs;
    const parentFrame = this.#frames.length !== 0 ? this.#frames[this.#frames.length - 1]! : null;
    const def = own !== null && own[''] !== undefined ? own[''] : parentFrame?.def;
    this.#frames.push({ name, ns: own, def });
    this.#tagNs = null;
    this.#state = S_TEXT;
    this.#onOpenTag(name, prefix, local, uri, own, attrUris);
    if (selfClosing) this.#closeFrame();
    return true;
  }

  /** The wrapper's opentag handler. */
  #onOpenTag(name: string, prefix: string, local: string, uri: string, declared: Record<string, string> | null,
    attrUris: (string | undefined)[]): void {
    const d = this.#depth;
    const names = this.#attrNames;
    const values = this.#attrValues;
    if (d === 1) {
      this.#onStreamHeader(name, local, uri);
      return;
    }
    const el = new Element(name);
    const attrs = el.attrs;
    if (d === 2) {
      this.#top = el;
      if (this.#ws) this.#checkFrameRoot(local, uri);
    } else {
      const parent = this.#cur as Element;
      el.parent = parent;
      parent.children.push(el);
    }
    for (let k = 0; k < names.length; k++) {
      const an = names[k]!;
      setAttr(attrs, an, values[k]!);
      const au = attrUris[k];
      if (au !== undefined) {
        const ap = an.slice(0, an.indexOf(':'));
        if (ap !== 'xmlns' && ap !== 'xml' && (declared === null || declared[ap] === undefined)) this.#inherit(el, `xmlns:${ap}`, au);
      }
    }
    if ((declared === null || declared[prefix] === undefined) && prefix !== 'xml' && uri !== '') {
      this.#inherit(el, prefix === '' ? 'xmlns' : `xmlns:${prefix}`, uri);
    }
    if (d === 2) {
      // Every top-level element carries xmlns = its own namespace, so consumers can dispatch on el.attrs.xmlns.
      this.#topXmlnsSynthetic = prefix !== '' && attrs.xmlns === undefined;
      if (this.#topXmlnsSynthetic) attrs.xmlns = uri;
    }
    this.#cur = el;
  }

  // Makes the top-level element self-contained (see parser.ts): a namespace declaration `el` relies on that is not
  // made between `el` and the top-level element came from the stream header, so it is copied onto the top element.
  #inherit(el: Element, key: string, uri: string): void {
    const top = this.#top as Element;
    for (let e = el.parent; e !== null && e !== top; e = e.parent) {
      if (e.attrs[key] !== undefined) return;
    }
    if (key === 'xmlns' && this.#topXmlnsSynthetic && el !== top) el.attrs.xmlns = uri;
    else if (top.attrs[key] === undefined) top.attrs[key] = uri;
  }

  #onStreamHeader(name: string, local: string, uri: string): void {
    if (local !== 'stream') this.#fail('bad-format', `expected a stream header, got <${name}>`);
    if (uri !== NS.STREAMS) this.#fail('invalid-namespace', `stream namespace must be ${NS.STREAMS}`);
    const attrs: Record<string, string> = {};
    const names = this.#attrNames;
    const values = this.#attrValues;
    for (let k = 0; k < names.length; k++) setAttr(attrs, names[k]!, values[k]!);
    const b = this.#base + this.#i;
    if (b - this.#boundary > this.#maxBytes) this.#fail('policy-violation', tooBig(b - this.#boundary, this.#maxBytes));
    this.#boundary = b;
    this.#started = true;
    this.#handler.onStreamStart(name, uri, attrs);
  }

  #checkFrameRoot(local: string, uri: string): void {
    if (uri === NS.FRAMING) {
      if (local === 'open') {
        this.#frameKind = FRAME_OPEN;
        return;
      }
      if (local === 'close') {
        this.#frameKind = FRAME_CLOSE;
        return;
      }
    }
    if (!this.#started) {
      if (local === 'open') this.#fail('invalid-namespace', `<open/> must be in namespace ${NS.FRAMING}`);
      this.#fail('bad-format', `expected <open/>, got <${this.#tagName}>`);
    }
  }

  #closeName(): boolean {
    const c = this.#captureName();
    if (c === EOC) return false;
    if (c === 0x3e) return this.#closeTag();
    if (isS(c)) {
      this.#state = S_CLOSE_WS;
      return true;
    }
    return this.#bad('disallowed character in closing tag');
  }

  #closeWs(): boolean {
    const c = this.#skipSpaces();
    if (c === EOC) return false;
    if (c === 0x3e) return this.#closeTag();
    return this.#bad('disallowed character in closing tag');
  }

  #closeTag(): boolean {
    const name = this.#name;
    this.#name = '';
    this.#state = S_TEXT;
    if (name === '') this.#bad('empty close tag');
    const frames = this.#frames;
    if (frames.length === 0) this.#bad(`unmatched closing tag: ${name}`);
    if (frames[frames.length - 1]!.name !== name) {
      // saxes runs the close handler for the innermost element before reporting the mismatch: a stanza that is
      // already too big is reported as such.
      if (!this.#ws && this.#depth === 2) {
        const size = this.#base + this.#i - this.#boundary;
        if (size > this.#maxBytes) this.#fail('policy-violation', tooBig(size, this.#maxBytes));
      }
      this.#bad(`unexpected close tag: ${name}`);
    }
    this.#closeFrame();
    return true;
  }

  /** Pops the innermost element (its end tag matched, or it was self-closing) and runs the wrapper's closetag. */
  #closeFrame(): void {
    this.#frames.pop();
    if (this.#frames.length === 0) this.#closedRoot = true;
    const d = this.#depth--;
    if (d > 2) {
      this.#cur = (this.#cur as Element).parent;
      return;
    }
    if (d === 2) {
      const el = this.#cur as Element;
      this.#cur = this.#top = null;
      if (this.#ws) {
        this.#frameRoot = el; // delivered after the whole frame was checked
        return;
      }
      const b = this.#base + this.#i;
      const size = b - this.#boundary;
      if (size > this.#maxBytes) this.#fail('policy-violation', tooBig(size, this.#maxBytes));
      this.#boundary = b;
      this.#handler.onElement(el);
      return;
    }
    // </stream:stream>: whatever follows is ignored.
    this.#done = true;
    this.#handler.onStreamEnd();
    throw ABORT;
  }

  // ---- entities ----

  #entityStep(): boolean {
    const b = this.#buf;
    const n = this.#n;
    let i = this.#i;
    let start = i;
    while (i < n) {
      const c = b[i]!;
      if (c === 0x3b) {
        const name = this.#entity + this.#slice(start, i);
        this.#entity = '';
        this.#i = i + 1;
        this.#state = this.#entityReturn;
        const value = this.#parseEntity(name);
        if (this.#entityReturn === S_TEXT && this.#cur === null) {
          if (!WHITESPACE_ONLY.test(value)) this.#textNonWs = true;
        } else {
          this.#text += value;
        }
        return true;
      }
      if (c < 0x20) {
        if (c === 0x0d) {
          if (i + 1 >= n && !this.#final) break;
          this.#entity += this.#slice(start, i) + '\n';
          i += b[i + 1] === 0x0a ? 2 : 1;
          start = i;
          continue;
        }
        if (c !== 0x0a && c !== 0x09) {
          this.#i = i;
          return this.#bad('disallowed character');
        }
      } else if (c === 0xef && b[i + 1] === 0xbf && b[i + 2]! >= 0xbe) {
        this.#i = i;
        return this.#bad('disallowed character');
      }
      i++;
    }
    if (i > start) this.#entity += this.#slice(start, i);
    this.#i = i;
    return false;
  }

  #parseEntity(entity: string): string {
    if (entity === '') return this.#bad('empty entity name');
    if (entity[0] !== '#') {
      const v = PREDEFINED[entity];
      if (v !== undefined) return v;
      return this.#bad(isName(entity) ? `undefined entity: ${entity}` : 'disallowed character in entity name');
    }
    let num = NaN;
    if (entity[1] === 'x' && /^#x[0-9a-f]+$/i.test(entity)) num = parseInt(entity.slice(2), 16);
    else if (/^#[0-9]+$/.test(entity)) num = parseInt(entity.slice(1), 10);
    if (!((num >= 0x20 && num <= 0xd7ff) || num === 0x0a || num === 0x0d || num === 0x09
      || (num >= 0xe000 && num <= 0xfffd) || (num >= 0x10000 && num <= 0x10ffff))) {
      return this.#bad('malformed character entity');
    }
    return String.fromCodePoint(num);
  }

  // ---- <! constructs ----

  #bangStep(): boolean {
    for (;;) {
      const c = this.#next();
      if (c === EOC) return false;
      const owb = (this.#bang += String.fromCodePoint(c));
      switch (owb) {
        case '[CDATA[':
          if (!this.#sawRoot || this.#closedRoot) this.#bad('text data outside of root node');
          this.#text = '';
          this.#fb = 0;
          this.#state = S_CDATA;
          return true;
        case '--':
          this.#dash = false;
          this.#state = S_COMMENT;
          return true;
        case 'DOCTYPE':
          // After the root start saxes reports a misplaced DOCTYPE; it is still a DTD (RFC 6120 §11.1).
          if (this.#doctype || this.#sawRoot) this.#fail('restricted-xml', 'inappropriately located doctype declaration');
          this.#text = '';
          this.#state = S_DOCTYPE;
          return true;
        default:
          if (owb.length >= 7) return this.#bad('incorrect syntax');
      }
    }
  }

  #comment(): boolean {
    for (;;) {
      const c = this.#next();
      if (c === EOC) return false;
      if (c === 0x2d) {
        if (this.#dash) this.#fail('restricted-xml', 'comments are not allowed');
        this.#dash = true;
      } else {
        this.#dash = false;
      }
    }
  }

  #cdata(): boolean {
    const b = this.#buf;
    const n = this.#n;
    let i = this.#i;
    let start = i;
    let fb = this.#fb;
    while (i < n) {
      const c = b[i]!;
      if (c === 0x5d) {
        if (fb < 2) fb++;
        i++;
        continue;
      }
      if (c === 0x3e && fb === 2) {
        // Content is everything before "]]>" (the two brackets are ASCII: two UTF-16 units).
        const all = this.#text + this.#slice(start, i);
        this.#text = all.slice(0, all.length - 2);
        this.#i = i + 1;
        this.#fb = 0;
        this.#state = S_TEXT;
        this.#onCdata();
        return true;
      }
      fb = 0;
      if (c < 0x20) {
        if (c === 0x0d) {
          if (i + 1 >= n && !this.#final) break;
          this.#text += this.#slice(start, i) + '\n';
          i += b[i + 1] === 0x0a ? 2 : 1;
          start = i;
          continue;
        }
        if (c !== 0x0a && c !== 0x09) {
          this.#i = i;
          return this.#bad('disallowed character');
        }
      } else if (c >= 0x80) {
        if (c === 0xef && b[i + 1] === 0xbf && b[i + 2]! >= 0xbe) {
          this.#i = i;
          return this.#bad('disallowed character');
        }
      }
      i++;
    }
    if (i > start) this.#text += this.#slice(start, i);
    this.#i = i;
    this.#fb = fb;
    return false;
  }

  /** The wrapper's cdata handler (same as text, but even an empty section is delivered). */
  #onCdata(): void {
    const t = this.#text;
    this.#text = '';
    const cur = this.#cur;
    if (cur !== null) this.#appendText(cur, t);
    else if (this.#depth === 1 && !this.#ws && !WHITESPACE_ONLY.test(t)) {
      this.#fail('bad-format', 'character data between top-level elements');
    }
  }

  // ---- rare states: DOCTYPE, processing instructions, the XML declaration (literal ports of saxes) ----

  #rare(): boolean {
    for (;;) {
      const state = this.#state;
      if (state < S_DOCTYPE || state > S_XD_ENDING) return true; // left the rare states
      const c = this.#next();
      if (c === EOC) return false;
      switch (state) {
        case S_DOCTYPE:
          if (c === 0x3e) this.#fail('restricted-xml', 'document type declarations are not allowed');
          if (c === 0x5b) this.#state = S_DTD;
          else if (c === 0x22 || c === 0x27) {
            this.#q = c;
            this.#state = S_DOCTYPE_QUOTE;
          }
          break;
        case S_DOCTYPE_QUOTE:
          if (c === this.#q) this.#state = S_DOCTYPE;
          break;
        case S_DTD:
          if (c === 0x5d) this.#state = S_DOCTYPE;
          else if (c === 0x3c) this.#state = S_DTD_OPEN_WAKA;
          else if (c === 0x22 || c === 0x27) {
            this.#q = c;
            this.#state = S_DTD_QUOTED;
          }
          break;
        case S_DTD_QUOTED:
          if (c === this.#q) this.#state = S_DTD;
          break;
        case S_DTD_OPEN_WAKA:
          if (c === 0x21) {
            this.#bang = '';
            this.#state = S_DTD_OPEN_WAKA_BANG;
          } else this.#state = c === 0x3f ? S_DTD_PI : S_DTD;
          break;
        case S_DTD_OPEN_WAKA_BANG: {
          const owb = (this.#bang += String.fromCodePoint(c));
          if (owb !== '-') this.#state = owb === '--' ? S_DTD_COMMENT : S_DTD;
          break;
        }
        case S_DTD_COMMENT:
          if (c === 0x2d) this.#state = S_DTD_COMMENT_ENDING;
          break;
        case S_DTD_COMMENT_ENDING:
          this.#state = c === 0x2d ? S_DTD_COMMENT_ENDED : S_DTD_COMMENT;
          break;
        case S_DTD_COMMENT_ENDED:
          if (c !== 0x3e) this.#bad('malformed comment');
          this.#state = S_DTD;
          break;
        case S_DTD_PI:
          if (c === 0x3f) this.#state = S_DTD_PI_ENDING;
          break;
        case S_DTD_PI_ENDING:
          if (c === 0x3e) this.#state = S_DTD;
          break;
        case S_PI_FIRST:
          if (isNCNameStartChar(c)) {
            this.#piTarget = String.fromCodePoint(c);
            this.#state = S_PI_REST;
          } else if (c === 0x3f || isS(c)) this.#bad('processing instruction without a target');
          else this.#bad('disallowed character in processing instruction name');
          break;
        case S_PI_REST:
          if (isNCNameChar(c)) {
            this.#piTarget += String.fromCodePoint(c);
          } else if (c === 0x3f || isS(c)) {
            if (this.#piTarget === 'xml') {
              if (!this.#xmlDeclPossible) this.#bad('an XML declaration must be at the start of the document');
              this.#state = c === 0x3f ? S_XD_ENDING : S_XD_NAME_START;
            } else {
              this.#text = '';
              this.#state = c === 0x3f ? S_PI_ENDING : S_PI_BODY;
            }
          } else this.#bad('disallowed character in processing instruction name');
          break;
        case S_PI_BODY:
          if (c === 0x3f) this.#state = S_PI_ENDING;
          break;
        case S_PI_ENDING:
          this.#xmlDeclPossible = false;
          if (c === 0x3e) {
            if (this.#piTarget.toLowerCase() === 'xml') this.#bad('the XML declaration must appear at the start of the document');
            this.#fail('restricted-xml', 'processing instructions are not allowed');
          }
          if (c !== 0x3f) this.#state = S_PI_BODY;
          break;
        case S_XD_NAME_START:
          if (c === 0x3f) this.#state = S_XD_ENDING;
          else if (!isS(c)) {
            this.#xdName = String.fromCodePoint(c);
            this.#state = S_XD_NAME;
          }
          break;
        case S_XD_NAME:
          if (c === 0x3f) this.#bad('XML declaration is incomplete');
          if (isS(c) || c === 0x3d) {
            if (!this.#xdExpects.includes(this.#xdName)) this.#bad(`unexpected ${this.#xdName} in the XML declaration`);
            this.#state = c === 0x3d ? S_XD_VALUE_START : S_XD_EQ;
          } else this.#xdName += String.fromCodePoint(c);
          break;
        case S_XD_EQ:
          if (c === 0x3f) this.#bad('XML declaration is incomplete');
          if (!isS(c)) {
            if (c !== 0x3d) this.#bad('value required');
            this.#state = S_XD_VALUE_START;
          }
          break;
        case S_XD_VALUE_START:
          if (c === 0x3f) this.#bad('XML declaration is incomplete');
          if (!isS(c)) {
            if (c !== 0x22 && c !== 0x27) this.#bad('value must be quoted');
            this.#q = c;
            this.#text = '';
            this.#state = S_XD_VALUE;
          }
          break;
        case S_XD_VALUE:
          if (c === 0x3f) this.#bad('XML declaration is incomplete');
          if (c === this.#q) this.#xdValue(this.#text);
          else this.#text += String.fromCodePoint(c);
          break;
        case S_XD_SEPARATOR:
          if (c === 0x3f) this.#state = S_XD_ENDING;
          else if (!isS(c)) this.#bad('whitespace required');
          else this.#state = S_XD_NAME_START;
          break;
        case S_XD_ENDING:
          this.#xmlDeclPossible = false;
          if (c !== 0x3e) this.#bad('the character ? is not allowed in XML declarations');
          if (this.#xdExpects.includes('version')) this.#bad('XML declaration must contain a version');
          this.#onXmlDecl();
          this.#state = S_TEXT;
          break;
      }
    }
  }

  #xdValue(value: string): void {
    this.#text = '';
    switch (this.#xdName) {
      case 'version':
        this.#xdExpects = ['encoding', 'standalone'];
        this.#xdVersion = value;
        if (!/^1\.[0-9]+$/.test(value)) this.#bad('version number must match /^1\\.[0-9]+$/');
        break;
      case 'encoding':
        if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(value)) this.#bad('invalid encoding name');
        this.#xdExpects = ['standalone'];
        this.#xdEncoding = value;
        break;
      case 'standalone':
        if (value !== 'yes' && value !== 'no') this.#bad('standalone value must be "yes" or "no"');
        this.#xdExpects = [];
        break;
    }
    this.#xdName = '';
    this.#state = S_XD_SEPARATOR;
  }

  /** The wrapper's xmldecl handler. */
  #onXmlDecl(): void {
    const enc = this.#xdEncoding;
    if (enc !== undefined && enc.toLowerCase() !== 'utf-8') this.#fail('unsupported-encoding', `encoding ${enc} is not supported, only UTF-8`);
    // XMPP is XML 1.0 (RFC 6120 §11.2); other versions are XML we cannot process.
    if (this.#xdVersion !== '1.0') this.#fail('bad-format', `XML version ${String(this.#xdVersion)} is not supported`);
  }
}
