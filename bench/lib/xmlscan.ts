// A minimal splitter for what a server writes: it finds the stream header and the top-level elements in the
// character stream and hands each one over as a string. It does not validate anything (the servers under test
// produce well-formed XML); it only has to be cheap, because the load generator reads as many stanzas as the
// server routes.

export interface ScanHandler {
  streamStart(raw: string): void;
  element(raw: string): void;
  streamEnd(): void;
}

const GT = 0x3e; // >
const SLASH = 0x2f;
const QMARK = 0x3f;
const BANG = 0x21;
const SQ = 0x27;
const DQ = 0x22;

export class XmlScanner {
  #buf = '';
  #pos = 0; // where scanning resumes
  #start = -1; // start of the open top-level element, or -1
  #depth = 0;

  constructor(private readonly h: ScanHandler) {}

  reset(): void {
    this.#buf = '';
    this.#pos = 0;
    this.#start = -1;
    this.#depth = 0;
  }

  write(s: string): void {
    const b = this.#buf.length === 0 ? s : this.#buf + s;
    let i = this.#pos;
    const n = b.length;
    for (;;) {
      const lt = b.indexOf('<', i);
      if (lt < 0 || lt + 1 >= n) {
        if (lt < 0) i = n;
        else i = lt;
        break;
      }
      const c = b.charCodeAt(lt + 1);
      if (c === QMARK) {
        const e = b.indexOf('?>', lt);
        if (e < 0) { i = lt; break; }
        i = e + 2;
        continue;
      }
      if (c === BANG) {
        const cdata = b.startsWith('<![CDATA[', lt);
        const e = b.indexOf(cdata ? ']]>' : '-->', lt);
        if (e < 0) { i = lt; break; }
        i = e + 3;
        continue;
      }
      // find the closing '>' outside quotes
      let k = lt + 1;
      let q = 0;
      for (; k < n; k++) {
        const ch = b.charCodeAt(k);
        if (q !== 0) {
          if (ch === q) q = 0;
        } else if (ch === GT) break;
        else if (ch === SQ || ch === DQ) q = ch;
      }
      if (k >= n) { i = lt; break; }
      i = k + 1;
      if (c === SLASH) {
        const d = --this.#depth;
        if (d === 1) {
          this.h.element(b.slice(this.#start, i));
          this.#start = -1;
        } else if (d === 0) {
          this.h.streamEnd();
        }
      } else if (b.charCodeAt(k - 1) === SLASH) {
        if (this.#depth === 1) this.h.element(b.slice(lt, i));
      } else {
        const d = ++this.#depth;
        if (d === 1) this.h.streamStart(b.slice(lt, i));
        else if (d === 2) this.#start = lt;
      }
    }
    // Keep only what is still needed: the open element, or the incomplete tag.
    const keep = this.#start >= 0 ? this.#start : i;
    if (keep >= n) {
      this.#buf = '';
      this.#pos = 0;
    } else {
      this.#buf = b.slice(keep);
      this.#pos = i - keep;
      if (this.#start >= 0) this.#start = 0;
    }
  }
}

const attrRes = new Map<string, RegExp>();

/** The value of attribute `name` on the first tag of `raw` (no unescaping beyond what the bench needs). */
export function attr(raw: string, name: string): string | undefined {
  let re = attrRes.get(name);
  if (!re) {
    re = new RegExp(`^<[^>]*?\\s${name}=(?:'([^']*)'|"([^"]*)")`);
    attrRes.set(name, re);
  }
  const m = re.exec(raw);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The text of the first <name>...</name> (or <name xmlns=...>...</name>) inside `raw`. */
export function childText(raw: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(raw);
  return m ? m[1] : undefined;
}
