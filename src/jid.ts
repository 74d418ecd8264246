// JIDs (RFC 7622) with the practical preparation rules of ARCHITECTURE.md §B2.
//
// - localpart: NFKC, then lower-case (full Unicode case mapping), then NFC. Forbidden: " & ' / : < > @,
//   whitespace, control, unassigned, private-use and surrogate code points, and non-ASCII symbols (so
//   `♚@example.com` is rejected as in RFC 7622 §3.5; ASCII symbols such as `+` or `\` stay allowed).
//   Deviation from the PRECIS IdentifierClass: compatibility characters are mapped by NFKC instead of being
//   rejected, so `henryⅣ@example.com` becomes `henryiv@example.com` and `ﬀ@x` becomes `ff@x`.
// - domainpart: lower-cased, one trailing dot removed, LDH labels (underscore tolerated) of 1..63 octets, or an IP
//   literal (`127.0.0.1`, `[::1]`). Internationalised names go through url.domainToASCII (UTS #46) and are
//   **kept in Unicode (U-label) form**, as RFC 7622 §3.2.2 requires: `xn--mnchen-3ya.de` and `MÜNCHEN.de` both
//   prepare to `münchen.de`. Use url.domainToASCII(jid.domain) where DNS or TLS needs the A-label form.
// - resourcepart: non-ASCII spaces mapped to U+0020, NFC; control, unassigned and surrogate code points forbidden.
//   May contain `@` and `/`. Deviation: RFC 7622 §3.5 lists `juliet@example.com/ foo` as invalid, but no rule of the
//   OpaqueString profile forbids a leading space, so it is accepted (rejecting addresses other servers accept
//   loses messages).
// - each part 1..1023 bytes of UTF-8 after preparation.
import { domainToASCII, domainToUnicode } from 'node:url';
import { isIPv6 } from 'node:net';

const MAX_PART_BYTES = 1023;

export class JidError extends Error {
  override name = 'JidError';
}

export interface Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
  bare(): string;
  full(): string;
  /** Same as full(). */
  toString(): string;
}

class JidImpl implements Jid {
  #bare: string | undefined;
  #full: string | undefined;
  constructor(
    readonly local: string,
    readonly domain: string,
    readonly resource: string,
  ) {}
  bare(): string {
    return (this.#bare ??= this.local === '' ? this.domain : `${this.local}@${this.domain}`);
  }
  full(): string {
    return (this.#full ??= this.resource === '' ? this.bare() : `${this.bare()}/${this.resource}`);
  }
  toString(): string {
    return this.full();
  }
}

// Printable ASCII minus " & ' / : < > @ (the common case needs no Unicode work).
const ASCII_LOCAL_OK = /^[\x21\x23-\x25\x28-\x2e\x30-\x39\x3b\x3d\x3f\x41-\x7e]+$/;
const BAD_LOCAL = /["&'/:<>@]|[\p{Cc}\p{Cs}\p{Cn}\p{Co}\p{White_Space}]|(?![\x00-\x7f])\p{S}/u;
const LDH_DOMAIN = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ASCII = /^[\x00-\x7f]*$/;
const NON_ASCII_SPACE = /(?! )\p{Zs}/gu;
const BAD_RESOURCE = /[\p{Cc}\p{Cs}\p{Cn}]/u;

function utf8Length(s: string, ascii: boolean): number {
  return ascii ? s.length : Buffer.byteLength(s, 'utf8');
}

function describe(ch: string): string {
  const cp = ch.codePointAt(0) as number;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp > 0x20 && cp < 0x7f ? `'${ch}'` : hex;
}

function checkLength(part: string, s: string, ascii: boolean): void {
  if (utf8Length(s, ascii) > MAX_PART_BYTES) throw new JidError(`${part} is longer than ${MAX_PART_BYTES} bytes`);
}

export function nodeprep(local: string): string {
  if (local.length === 0) throw new JidError('localpart is empty');
  if (ASCII_LOCAL_OK.test(local)) {
    checkLength('localpart', local, true);
    return local.toLowerCase();
  }
  const out = local.normalize('NFKC').toLowerCase().normalize('NFC');
  const bad = BAD_LOCAL.exec(out);
  if (bad !== null) throw new JidError(`localpart contains a forbidden character ${describe(bad[0])}`);
  checkLength('localpart', out, false);
  return out;
}

function checkLabels(ascii: string): void {
  if (ascii.length <= 63) return; // no label can be longer
  for (const label of ascii.split('.')) {
    if (label.length > 63) throw new JidError('domainpart has a label longer than 63 octets');
  }
}

export function nameprep(domain: string): string {
  if (domain.length === 0) throw new JidError('domainpart is empty');
  let d = domain.toLowerCase();
  if (d.charCodeAt(0) === 0x5b /* [ */) {
    // IPv6 literal; zone identifiers make no sense in an address
    const inner = d.slice(1, -1);
    if (d.charCodeAt(d.length - 1) !== 0x5d || inner.includes('%') || !isIPv6(inner)) {
      throw new JidError('domainpart is not a valid IPv6 literal');
    }
    return d;
  }
  if (d.charCodeAt(d.length - 1) === 0x2e /* . */) d = d.slice(0, -1);
  if (LDH_DOMAIN.test(d) && !d.includes('xn--')) {
    checkLabels(d);
    checkLength('domainpart', d, true);
    return d;
  }
  if (ASCII.test(domain) && !d.includes('xn--')) {
    if (d.length === 0) throw new JidError('domainpart is empty');
    if (d.startsWith('.') || d.includes('..') || d.endsWith('.')) throw new JidError('domainpart has an empty label');
    const bad = /[^a-z0-9_.-]/.exec(d) as RegExpExecArray;
    throw new JidError(`domainpart contains a forbidden character ${describe(bad[0])}`);
  }
  // Internationalised (or A-label) name: UTS #46 mapping and validation, then back to U-labels.
  let ascii = domainToASCII(domain.toLowerCase());
  if (ascii === '') throw new JidError('domainpart is not a valid internationalised domain name');
  if (ascii.charCodeAt(ascii.length - 1) === 0x2e) ascii = ascii.slice(0, -1); // a mapped trailing dot (e.g. U+3002)
  if (!LDH_DOMAIN.test(ascii)) {
    throw new JidError(
      ascii === '' || ascii.startsWith('.') || ascii.includes('..') || ascii.endsWith('.')
        ? 'domainpart has an empty label'
        : 'domainpart contains characters not allowed in a domain name',
    );
  }
  checkLabels(ascii);
  const out = domainToUnicode(ascii);
  // Found by the fuzzer: some invalid A-labels ("xn--xn---") survive toASCII but do not survive the
  // round trip, so the prepared JID would not parse again. Require the round trip.
  if (out === '' || domainToASCII(out) !== ascii) throw new JidError('domainpart is not a valid internationalised domain name');
  checkLength('domainpart', out, false);
  return out;
}

export function resourceprep(res: string): string {
  if (res.length === 0) throw new JidError('resourcepart is empty');
  if (PRINTABLE_ASCII.test(res)) {
    checkLength('resourcepart', res, true);
    return res;
  }
  const out = res.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  const bad = BAD_RESOURCE.exec(out);
  if (bad !== null) throw new JidError(`resourcepart contains a forbidden character ${describe(bad[0])}`);
  checkLength('resourcepart', out, false);
  return out;
}

// Routing parses the same few thousand addresses over and over (every stanza's from and to); Jid objects are
// immutable, so prepared results are kept in a small cache that is emptied when it fills. Long strings are not
// cached (bounded memory under hostile input), nor are failures.
const CACHE_MAX = 8192;
const CACHE_KEY_MAX = 256;
let cache = new Map<string, Jid>();

/** Parses and prepares a JID; throws JidError (stanza error jid-malformed). */
export function parseJid(s: string): Jid {
  const hit = cache.get(s);
  if (hit !== undefined) return hit;
  const jid = prepareJid(s);
  if (s.length <= CACHE_KEY_MAX) {
    if (cache.size >= CACHE_MAX) cache = new Map();
    cache.set(s, jid);
  }
  return jid;
}

function prepareJid(s: string): Jid {
  const slash = s.indexOf('/');
  const head = slash === -1 ? s : s.slice(0, slash);
  const at = head.lastIndexOf('@');
  let local = '';
  if (at !== -1) {
    if (at === 0) throw new JidError('localpart is empty');
    local = nodeprep(head.slice(0, at));
  }
  const domainRaw = at === -1 ? head : head.slice(at + 1);
  if (domainRaw.length === 0) throw new JidError('domainpart is empty');
  const domain = nameprep(domainRaw);
  let resource = '';
  if (slash !== -1) {
    if (slash === s.length - 1) throw new JidError('resourcepart is empty');
    resource = resourceprep(s.slice(slash + 1));
  }
  return new JidImpl(local, domain, resource);
}

export function tryParseJid(s: string): Jid | null {
  try {
    return parseJid(s);
  } catch (e) {
    if (e instanceof JidError) return null;
    throw e;
  }
}

/** Builds a JID from its parts, preparing each; '' (or no resource) means the part is absent. */
export function jid(local: string, domain: string, resource?: string): Jid {
  return new JidImpl(
    local === '' ? '' : nodeprep(local),
    nameprep(domain),
    resource === undefined || resource === '' ? '' : resourceprep(resource),
  );
}

export function bareEquals(a: Jid, b: Jid): boolean {
  return a.local === b.local && a.domain === b.domain;
}
