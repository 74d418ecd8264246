// XEP-0313 §4.1: the query's data form (XEP-0004) as typed filters, and the form a client asks for.
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { NS_DATA, NS_MAM } from './ns.js';

/** The filters of a query form; ids are archive item ids. */
export interface MamFilters {
  /** Bare JID of the peer (a full JID is matched by its bare JID). */
  with?: string;
  start?: number;
  end?: number;
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  /** XEP-0313 §4.1.4 'include-groupchat', where the archive understands it (see FormOptions). */
  includeGroupchat?: boolean;
}

/** What the archive's query form offers beyond the fields every archive has. */
export interface FormOptions {
  /**
   * The 'include-groupchat' field (XEP-0313 §4.1.4): a user archive understands it and advertises
   * urn:xmpp:mam:2#groupchat-field; a room archive does not (there the field is unknown: feature-not-implemented).
   */
  includeGroupchat?: boolean;
}

/** XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm). */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export function parseDateTime(text: string, field: string): number {
  const t = text.trim();
  const ms = DATETIME.test(t) ? Date.parse(t) : Number.NaN;
  if (!Number.isFinite(ms)) throw new StanzaError('bad-request', `the '${field}' field is not an XEP-0082 date-time`);
  return ms;
}

/** XEP-0004 §3.3 boolean: '1'/'true' or '0'/'false'. */
function parseBoolean(text: string, field: string): boolean {
  switch (text.trim()) {
    case '1': case 'true': return true;
    case '0': case 'false': return false;
    default: throw new StanzaError('bad-request', `the '${field}' field is not a boolean (true, false, 1 or 0)`);
  }
}

function single(field: Element, name: string): string {
  const values = field.getChildren('value');
  if (values.length !== 1) throw new StanzaError('bad-request', `the '${name}' field needs exactly one value`);
  const text = values[0]!.getText();
  if (text.trim() === '') throw new StanzaError('bad-request', `the '${name}' field is empty`);
  return text;
}

/**
 * Reads the <x xmlns='jabber:x:data'/> child of a <query/> (none: no filters). Malformed values give
 * <bad-request/>; a field this server does not know gives <feature-not-implemented/> (XEP-0313 §4.1.5).
 */
export function parseForm(query: Element, opts: FormOptions = {}): MamFilters {
  const form = query.getChild('x', NS_DATA);
  const out: MamFilters = {};
  if (!form) return out;
  if (form.attrs.type !== undefined && form.attrs.type !== 'submit') throw new StanzaError('bad-request', "the query form must be of type 'submit'");
  const seen = new Set<string>();
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var;
    if (typeof name !== 'string') throw new StanzaError('bad-request', 'a form field has no var');
    if (seen.has(name)) throw new StanzaError('bad-request', `the '${name}' field appears twice`);
    seen.add(name);
    switch (name) {
      case 'FORM_TYPE':
        if (single(field, name).trim() !== NS_MAM) throw new StanzaError('bad-request', `FORM_TYPE must be ${NS_MAM}`);
        break;
      case 'with': {
        const j = tryParseJid(single(field, name).trim());
        if (!j) throw new StanzaError('jid-malformed', "the 'with' field is not a valid JID");
        out.with = j.bare();
        break;
      }
      case 'start': out.start = parseDateTime(single(field, name), name); break;
      case 'end': out.end = parseDateTime(single(field, name), name); break;
      case 'before-id': out.beforeId = single(field, name).trim(); break;
      case 'after-id': out.afterId = single(field, name).trim(); break;
      case 'ids': {
        const ids = field.getChildren('value').map((v) => v.getText().trim());
        if (ids.length === 0 || ids.some((i) => i === '')) throw new StanzaError('bad-request', "the 'ids' field needs non-empty values");
        out.ids = ids;
        break;
      }
      case 'include-groupchat':
        if (!opts.includeGroupchat) throw new StanzaError('feature-not-implemented', `the '${name}' field is not supported by this archive`);
        out.includeGroupchat = parseBoolean(single(field, name), name);
        break;
      default:
        throw new StanzaError('feature-not-implemented', `the '${name}' field is not supported`);
    }
  }
  if (out.start !== undefined && out.end !== undefined && out.start > out.end) {
    // An empty range is not an error: it just matches nothing. Kept as given.
  }
  return out;
}

/** The form answering <iq type='get'><query xmlns='urn:xmpp:mam:2'/></iq> (XEP-0313 §4.1.5). */
export function queryForm(opts: FormOptions = {}): Element {
  return el('query', { xmlns: NS_MAM },
    el('x', { xmlns: NS_DATA, type: 'form' },
      el('field', { type: 'hidden', var: 'FORM_TYPE' }, el('value', null, NS_MAM)),
      el('field', { type: 'jid-single', var: 'with' }),
      el('field', { type: 'text-single', var: 'start' }),
      el('field', { type: 'text-single', var: 'end' }),
      el('field', { type: 'text-single', var: 'before-id' }),
      el('field', { type: 'text-single', var: 'after-id' }),
      el('field', { type: 'list-multi', var: 'ids' },
        el('validate', { xmlns: 'http://jabber.org/protocol/xdata-validate', datatype: 'xs:string' }, el('open'))),
      opts.includeGroupchat ? el('field', { type: 'boolean', var: 'include-groupchat' }) : null));
}
