// Which messages are copied (XEP-0280 §6 suggested rules, §7 private, XEP-0334 no-copy) and the copies themselves.
import { clone, type Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { NS_CARBONS, NS_FORWARD, NS_HINTS, NS_MAM, NS_MUC_USER } from './ns.js';

/**
 * Eligible: type chat, or type normal with a <body/>; never anything from or through a MUC (groupchat, or a
 * private message carrying muc#user), never a message that already is a carbon copy or an archive result, and
 * never one marked <private xmlns='urn:xmpp:carbons:2'/> or <no-copy xmlns='urn:xmpp:hints'/>.
 */
export function eligible(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  let body = false;
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    const ns = c.attrs.xmlns;
    if (ns === undefined || ns === 'jabber:client') {
      if (c.name === 'body') body = true;
    } else if (ns === NS_CARBONS) {
      return false;   // <private/>, or a forged <sent/>/<received/>
    } else if (ns === NS_HINTS) {
      if (c.name === 'no-copy') return false;
    } else if (ns === NS_MUC_USER || (ns === NS_MAM && c.name === 'result')) {
      return false;
    }
  }
  return type === 'chat' || body;
}

/** Removes <private xmlns='urn:xmpp:carbons:2'/> (XEP-0280 §7: the receiving server SHOULD, before delivery). */
export function stripPrivate(stanza: Element): void {
  const has = stanza.children.some((c) => typeof c !== 'string' && c.name === 'private' && c.attrs.xmlns === NS_CARBONS);
  if (has) stanza.children = stanza.children.filter((c) => !(typeof c !== 'string' && c.name === 'private' && c.attrs.xmlns === NS_CARBONS));
}

/** A forwarded copy: <message from=bare to=full type=…><sent|received><forwarded><message/></forwarded></…></message>. */
export function carbonCopy(kind: 'sent' | 'received', stanza: Element, userBare: string, to: string): Element {
  const inner = clone(stanza);
  inner.attrs.xmlns = 'jabber:client';
  return el('message', { from: userBare, to, type: stanza.attrs.type },
    el(kind, { xmlns: NS_CARBONS }, el('forwarded', { xmlns: NS_FORWARD }, inner)));
}
