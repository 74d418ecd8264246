// XEP-0198 elements: names and builders.
import { el, NS } from '../../src/api/index.js';
import type { Element } from 'ltx';

export const NS_SM = 'urn:xmpp:sm:3';

/** <failed/> with a stanza error condition (XEP-0198 §3, §5), optionally the h the server handled. */
export function failed(condition: 'unexpected-request' | 'item-not-found' | 'feature-not-implemented' | 'undefined-condition', h?: number, extra?: Element): Element {
  const f = el('failed', h === undefined ? { xmlns: NS_SM } : { xmlns: NS_SM, h: String(h) }, el(condition, { xmlns: NS.STANZA_ERRORS }));
  if (extra) f.cnode(extra);
  return f;
}

/** The application condition for an h that acknowledges more than was sent (XEP-0198 §4). */
export function handledCountTooHigh(h: number, sent: number): Element {
  return el('handled-count-too-high', { xmlns: NS_SM, h: String(h), 'send-count': String(sent) });
}
