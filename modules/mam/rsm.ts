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
}

const INTEGER = /^\s*\d{1,9}\s*$/;

/** Reads the <set xmlns='http://jabber.org/protocol/rsm'/> child of `parent`, if any. */
export function parseRsm(parent: Element): RsmRequest {
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
        // XEP-0059 §2.5: a responder that cannot page by index MAY say so.
        throw new StanzaError('feature-not-implemented', 'paging by index is not supported; use <after/> or <before/>');
      default:
        throw new StanzaError('bad-request', `unexpected RSM element <${c.name}/>`);
    }
  }
  if (out.after !== undefined && out.before !== undefined) {
    throw new StanzaError('bad-request', 'RSM <after/> and <before/> together are undefined (XEP-0313 §4.3.2); use after-id and before-id');
  }
  return out;
}

/** The <set/> describing a page: first and last ids as sent, and the count of the whole result set. */
export function rsmResult(page: { first?: string; last?: string; count?: number }): Element {
  return el('set', { xmlns: NS_RSM },
    page.first !== undefined ? el('first', null, page.first) : null,
    page.last !== undefined ? el('last', null, page.last) : null,
    page.count !== undefined ? el('count', null, String(page.count)) : null);
}
