// Which messages are worth keeping for later: XEP-0160 §3 with the XEP-0334 storage hints.
import type { Element } from 'ltx';

const NS_HINTS = 'urn:xmpp:hints';
const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';

/**
 * Only chat and normal messages reach offline handling (RFC 6121 rules: groupchat is refused, headline and
 * error are dropped), but the XEP-0160 §3 exclusions are checked again here. A message is kept when it has
 * content: any child other than a chat state (XEP-0085 standalone notifications SHOULD NOT be stored),
 * <thread/> or a hint. <no-store/> always wins; <store/> keeps a message that would otherwise be skipped.
 * <no-permanent-store/> does not stop offline storage, which is temporary (XEP-0334 §4.1).
 */
export function worthStoring(stanza: Element): boolean {
  const type = stanza.attrs.type;
  if (type === 'error' || type === 'groupchat' || type === 'headline') return false;
  let storeHint = false;
  let content = false;
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    const ns = c.attrs.xmlns;
    if (ns === NS_HINTS) {
      if (c.name === 'no-store') return false;
      if (c.name === 'store') storeHint = true;
    } else if (ns === NS_CHATSTATES) {
      // a notification, not content
    } else if (c.name === 'thread' && (ns === undefined || ns === 'jabber:client')) {
      // standalone notifications carry the thread they belong to
    } else {
      content = true;
    }
  }
  return content || storeHint;
}
