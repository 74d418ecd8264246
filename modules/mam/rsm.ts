// XEP-0059 Result Set Management as used by XEP-0313: the request's <set/> and the <set/> of a page.
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { NS_RSM } from './ns.js';

export interface RsmRequest {
  max?: number;
  /** Items strictly after this id (forward paging). */
  after?: string;
  /** Items strictly before this id; '' (an empty <before/>) asks for the last page. */
  before?: string;
  /** XEP-0059 §2.6: the page starts at this 0-based position of the whole result set. */
  index?: number;
}

const INTEGER = /^\s*\d{1,9}\s*$/;

/**
 * Reads the <set xmlns='http://jabber.org/protocol/rsm'/> child of `parent`, if any. `<index/>` is refused with
 * feature-not-implemented (XEP-0059 §2.6 allows that) unless the caller pages by index (`opts.index`).
 */
export function parseRsm(parent: Element, opts: { index?: boolean } = {}): RsmRequest {
  const set = parent.getChild('set', NS_RSM);
  const out: RsmRequest = {};
  if (!set) return out;
  for (const c of set.children) {
    if (typeof c === 'string') continue;
    const text = c.getText();
    switch (c.name) {
      case 'max':
        if (!INTEGER.test(text)) throw new StanzaError('bad-request', 'RSM <max/> must be a non-negative integer');
        out.max = Number(text);
        break;
      case 'after':
        if (text.trim() === '') throw new StanzaError('bad-request', 'RSM <after/> needs an id');
        out.after = text.trim();
        break;
      case 'before':
        out.before = text.trim();
        break;
      case 'index':
        if (!opts.index) throw new StanzaError('feature-not-implemented', 'paging by index is not supported here; use <after/> or <before/>');
        if (!INTEGER.test(text)) throw new StanzaError('bad-request', 'RSM <index/> must be a non-negative integer');
        out.index = Number(text);
        break;
      default:
        throw new StanzaError('bad-request', `unexpected RSM element <${c.name}/>`);
    }
  }
  if (out.after !== undefined && out.before !== undefined) {
    throw new StanzaError('bad-request', 'RSM <after/> and <before/> together are undefined (XEP-0313 §4.3.2); use after-id and before-id');
  }
  if (out.index !== undefined && (out.after !== undefined || out.before !== undefined)) {
    // XEP-0059 §2.6: an index stands in for an unknown <after/> UID; with one the request says two different things.
    throw new StanzaError('bad-request', 'RSM <index/> cannot be combined with <after/> or <before/>');
  }
  return out;
}

/**
 * The <set/> describing a page: first and last ids as sent, the position of the first one in the whole result set
 * (XEP-0059 §2.2 'index') and the count of the whole result set.
 */
export function rsmResult(page: { first?: string; index?: number; last?: string; count?: number }): Element {
  return el('set', { xmlns: NS_RSM },
    page.first !== undefined ? el('first', { index: page.index !== undefined ? String(page.index) : undefined }, page.first) : null,
    page.last !== undefined ? el('last', null, page.last) : null,
    page.count !== undefined ? el('count', null, String(page.count)) : null);
}
