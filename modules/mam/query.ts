// XEP-0313 queries over any ArchiveStore, for any archive address (a user's bare JID, a MUC room): parses the
// <query/> (form, RSM, flip-page), runs it, sends the <result/> messages and returns the <fin/> for the IQ result.
// Used by the mam module for user archives and meant for room archives too (see /work/coord/api-6.md).
import { Element } from 'ltx';
import { checkText, el, StanzaError, type ArchiveStore } from '../../src/api/index.js';
import { escapeAttr, rawElement, rawXmlOf } from '../../src/xml/serialize.js';
import type { ArchiveItem, ArchiveQuery } from '../../src/storage/types.js';
import { parseStored } from '../offline/codec.js';
import { StreamParser } from '../../src/xml/parser.js';
import { parseForm, type FormOptions, type MamFilters } from './form.js';
import { NS_CLIENT, NS_DELAY, NS_FORWARD, NS_MAM } from './ns.js';
import { parseRsm, rsmResult, type RsmRequest } from './rsm.js';

export interface MamArchiveRef {
  store: ArchiveStore;
  /** The store key of the archive (a username, a room name). */
  owner: string;
  /** The archive's address: the 'from' of the result messages (user bare JID, room JID). */
  jid: string;
}

export interface PageLimits {
  /** Items per page when the client sends no RSM <max/>. */
  defaultPageSize: number;
  /** Most items per page; a larger <max/> is cut down to this (XEP-0313 §4.3.1, XEP-0059 §2.1). */
  maxPageSize: number;
}

export interface MamQueryOptions {
  archive: MamArchiveRef;
  /** The <query xmlns='urn:xmpp:mam:2'/> of the IQ set. */
  query: Element;
  /** The requester's full JID: the 'to' of the result messages. */
  to: string;
  /** Writes one result message to the requester (before the IQ result goes out). */
  send(stanza: Element): void;
  limits: PageLimits;
  /** Parse the stored stanzas into elements (for a caller's `send` that edits them, as room tombstones do);
   *  by default they are forwarded as stored text. */
  parseStored?: boolean;
  /** Extra store-level filters the caller imposes (e.g. a room's visibility rules); rarely needed. */
  restrict?: Pick<ArchiveQuery, 'start' | 'end'>;
  /** Optional form fields this archive understands (a user archive: 'include-groupchat'). */
  form?: FormOptions;
}

/** The parsed query: filters, RSM and flip-page. Throws StanzaError for bad input. */
export interface ParsedMamQuery {
  queryId?: string;
  filters: MamFilters;
  rsm: RsmRequest;
  flip: boolean;
}

export function parseMamQuery(query: Element, form: FormOptions = {}): ParsedMamQuery {
  const filters = parseForm(query, form);
  const rsm = parseRsm(query, { index: true });
  const flip = query.getChild('flip-page', NS_MAM) !== undefined;
  const queryId = query.attrs.queryid;
  return { queryId: typeof queryId === 'string' ? queryId : undefined, filters, rsm, flip };
}

const isNotFound = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'item-not-found';

/** Looks ids up; throws item-not-found unless every one is in the archive. */
async function lookUp(a: MamArchiveRef, ids: string[]): Promise<ArchiveItem[]> {
  const unique = [...new Set(ids)];
  const found = (await a.store.find(a.owner, { ids: unique })).items;
  if (found.length !== unique.length) throw new StanzaError('item-not-found', 'no message with that id in the archive');
  return found;
}

/** Of several "strictly after" (or "before") bounds, the one that restricts most. */
async function tightest(a: MamArchiveRef, ids: (string | undefined)[], pick: 'last' | 'first'): Promise<string | undefined> {
  const given = ids.filter((i): i is string => i !== undefined && i !== '');
  if (given.length === 0) return undefined;
  if (given.length === 1) return given[0];   // the store itself answers item-not-found for an unknown id
  const items = await lookUp(a, given);
  items.sort((x, y) => x.sortId - y.sortId);
  return (pick === 'last' ? items[items.length - 1] : items[0])!.id;
}

/** The archived stanza as forwarded: the stored message in the jabber:client namespace. */
export function restoreMessage(item: ArchiveItem): Element {
  const msg = parseStored(item.xml);
  if (msg.attrs.xmlns === undefined) msg.attrs.xmlns = NS_CLIENT;
  return msg;
}

const STREAM_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const STORED_LIMITS = { maxStanzaBytes: 64 * 1024 * 1024, maxDepth: 1024, maxChildren: 1_000_000 };

/**
 * A page of stored stanzas, parsed in one stream (half the cost of a parser per item); undefined for an item
 * that does not parse (then each item is parsed on its own, so one damaged row costs only itself).
 */
export function restoreMessages(items: readonly ArchiveItem[]): (Element | undefined)[] {
  const out: Element[] = [];
  let failed = false;
  const parser = new StreamParser({
    onStreamStart: () => undefined,
    onElement: (e) => { out.push(e); },
    onStreamEnd: () => undefined,
    onError: () => { failed = true; },
  }, STORED_LIMITS);
  parser.write(STREAM_OPEN);
  for (const item of items) {
    if (failed) break;
    parser.write(item.xml);
  }
  if (failed || out.length !== items.length) {
    return items.map((item) => {
      try {
        return restoreMessage(item);
      } catch {
        return undefined;
      }
    });
  }
  for (const m of out) if (m.attrs.xmlns === undefined) m.attrs.xmlns = NS_CLIENT;
  return out;
}

// The root start tag of a stored stanza as our serialiser writes it: attributes as name="value", '"' escaped inside.
const STORED_MESSAGE = /^<message(?=[\s/>])/;
const ATTRIBUTE = /\s[^\s=/>]+="[^"]*"/y;

/**
 * The stored stanzas of a page as they will be forwarded, without parsing them: each row is this server's own
 * serialisation, so it is carried as text (rawElement), given xmlns='jabber:client' where it has no xmlns.
 * A row that does not look like one (another root, quoting or ending) is parsed on its own, and dropped if it does
 * not parse. (The attributes are walked with test(), not exec(): no match arrays, a page makes 400 of them.)
 */
export function forwardStored(items: readonly ArchiveItem[]): (Element | undefined)[] {
  return items.map((item) => {
    const xml = item.xml;
    if (!STORED_MESSAGE.test(xml)) return restoreOne(item);
    let at = '<message'.length;
    let hasXmlns = false;
    ATTRIBUTE.lastIndex = at;
    while (ATTRIBUTE.test(xml)) {
      if (xml.startsWith('xmlns="', at + 1)) hasXmlns = true;
      at = ATTRIBUTE.lastIndex;
    }
    const closed = xml.startsWith('/>', at) ? at + 2 === xml.length : xml.startsWith('>', at) && xml.endsWith('</message>');
    if (!closed) return restoreOne(item);
    // Where the parse-and-serialise path puts it (after the other attributes), so both give the same bytes.
    return rawElement('message', hasXmlns ? xml : `${xml.slice(0, at)} xmlns="${NS_CLIENT}"${xml.slice(at)}`);
  });
}

function restoreOne(item: ArchiveItem): Element | undefined {
  try {
    return restoreMessage(item);
  } catch {
    return undefined;
  }
}

/**
 * <message><result><forwarded><delay/><message/></forwarded></result></message> for one item. With a stored message
 * carried as text (forwardStored) the <result/> is text too: one string per result instead of four elements and a
 * serialiser walk (a page sends 50). It keeps its name and attributes for readers (stream management looks for MAM
 * results), and the bytes are those of the element-built form (test/unit/forward-stored.test.ts).
 */
export function resultMessage(o: { from: string; to: string; queryId?: string; item: ArchiveItem; message: Element }): Element {
  const stored = rawXmlOf(o.message);
  if (stored === undefined) return resultMessageOf(o);
  const stamp = new Date(o.item.when).toISOString();
  const id = checkText(o.item.id, 'archive item id');
  const attrs: Record<string, string> = o.queryId === undefined ? { xmlns: NS_MAM, id } : { xmlns: NS_MAM, queryid: o.queryId, id };
  const queryId = o.queryId === undefined ? '' : ` queryid="${escapeAttr(o.queryId)}"`;
  const result = rawElement('result', `<result xmlns="${NS_MAM}"${queryId} id="${escapeAttr(id)}"><forwarded xmlns="${NS_FORWARD}">`
    + `<delay xmlns="${NS_DELAY}" stamp="${stamp}"/>${stored}</forwarded></result>`, attrs);
  const message = new Element('message', { to: o.to, from: o.from });
  message.cnode(result);
  return message;
}

function resultMessageOf(o: { from: string; to: string; queryId?: string; item: ArchiveItem; message: Element }): Element {
  return el('message', { to: o.to, from: o.from },
    el('result', { xmlns: NS_MAM, queryid: o.queryId, id: o.item.id },
      el('forwarded', { xmlns: NS_FORWARD },
        el('delay', { xmlns: NS_DELAY, stamp: new Date(o.item.when).toISOString() }),
        o.message)));
}

/** The filters that make up the whole result set: what RSM <count/> and <first index/> refer to. */
type Scope = Pick<ArchiveQuery, 'with' | 'start' | 'end' | 'ids'>;

/**
 * XEP-0059 §2.6 page jump: the id of the item just before position `index` of the result set (undefined for 0: the
 * page starts at the beginning), or the size of the set when `index` is beyond its end.
 */
async function jumpTo(a: MamArchiveRef, scope: Scope, index: number): Promise<{ after?: string } | { beyond: number }> {
  if (index === 0) return {};
  const at = await a.store.find(a.owner, { ...scope, offset: index - 1, limit: 1, total: true });
  const item = at.items[0];
  return item ? { after: item.id } : { beyond: at.total ?? 0 };
}

/**
 * Runs a query and sends its page; resolves with the <fin/> for the IQ result. Errors are StanzaErrors:
 * bad-request / jid-malformed (form, RSM, <index/> with <after/> or <before/>), feature-not-implemented (unknown
 * field), item-not-found (unknown before-id, after-id, ids, RSM after/before).
 * The whole result set (for <count/> and <first index/>) is what with, start, end and ids select; after-id and
 * before-id, like RSM <after/> and <before/>, bound the page within it (XEP-0313's implementation notes treat them alike).
 */
export async function runMamQuery(o: MamQueryOptions): Promise<Element> {
  const q = parseMamQuery(o.query, o.form);
  const a = o.archive;
  const limit = Math.min(q.rsm.max ?? o.limits.defaultPageSize, o.limits.maxPageSize);
  const scope: Scope = {
    with: q.filters.with, start: maxOf(q.filters.start, o.restrict?.start), end: minOf(q.filters.end, o.restrict?.end), ids: q.filters.ids,
  };
  const jump = q.rsm.index === undefined ? {} : await jumpTo(a, scope, q.rsm.index);
  if ('beyond' in jump) {
    // XEP-0059 §2.6: an index at or past the end of the set gives an empty page (unknown ids are still errors).
    const named = [q.filters.afterId, q.filters.beforeId, ...(q.filters.ids ?? [])].filter((i): i is string => i !== undefined);
    if (named.length > 0) await lookUp(a, named);
    return el('fin', { xmlns: NS_MAM, complete: 'true', queryid: q.queryId }, rsmResult({ count: jump.beyond }));
  }
  const after = await tightest(a, [q.filters.afterId, q.rsm.after, jump.after], 'last');
  const before = await tightest(a, [q.filters.beforeId, q.rsm.before], 'first');
  if (q.filters.ids) await lookUp(a, q.filters.ids);

  let result;
  try {
    result = await a.store.find(a.owner, {
      ...scope, after, before, limit, reverse: q.rsm.before !== undefined, total: true, position: true,
    });
  } catch (err) {
    if (isNotFound(err)) throw new StanzaError('item-not-found', 'no message with that id in the archive');
    throw err;
  }

  const items = q.flip ? [...result.items].reverse() : result.items;
  const messages = o.parseStored ? restoreMessages(items) : forwardStored(items);
  for (let i = 0; i < items.length; i++) {
    const message = messages[i];
    // A damaged row is skipped; its id still counts for paging (first/last) so the client can move past it.
    if (message) o.send(resultMessage({ from: a.jid, to: o.to, queryId: q.queryId, item: items[i]!, message }));
  }
  // <first index/> is the position of the item <first/> names: with flip-page that is the newest of the page.
  const index = result.index === undefined ? undefined : result.index + (q.flip ? items.length - 1 : 0);
  const fin = el('fin', { xmlns: NS_MAM, complete: result.complete ? 'true' : undefined, queryid: q.queryId },
    rsmResult({ first: items[0]?.id, index, last: items[items.length - 1]?.id, count: result.total }));
  return fin;
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
