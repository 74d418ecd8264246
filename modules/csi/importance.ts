// XEP-0352 §5 leaves it to the server what may wait while the client is inactive. Here: presence, chat states,
// receipts, chat markers and other payload-only messages wait; anything a user would want to see or hear now
// goes out at once and takes the waiting stanzas with it (so the order is kept): IQs (they need answers),
// messages with a body (in group chats only when they mention the user), errors, encrypted messages, call
// invitations (XEP-0353), room invitations, and markers the user's other device sent (they clear notifications).
import type { Element } from 'ltx';
import type { Jid } from '../../src/jid.js';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_MARKERS = 'urn:xmpp:chat-markers:0';
const NS_REFERENCE = 'urn:xmpp:reference:0';
const URGENT_PAYLOADS = new Set([
  'eu.siacs.conversations.axolotl',   // OMEMO (legacy)
  'urn:xmpp:omemo:2',
  'urn:xmpp:jingle-message:0',        // XEP-0353 call proposals
  'jabber:x:conference',              // XEP-0249 direct invitations
]);

export type Importance = 'urgent' | 'can-wait' | 'coalesce';

/** Whether a stanza for `owner` (the session's account) must go out now, may wait, or may wait and replace an older one. */
export function importance(stanza: Element, owner: Jid): Importance {
  if (stanza.name === 'iq') return 'urgent';
  if (stanza.name === 'presence') {
    const type = stanza.attrs.type;
    return type === undefined || type === 'unavailable' ? 'coalesce' : 'can-wait';
  }
  if (stanza.name !== 'message') return 'urgent';
  return messageIsUrgent(stanza, owner, false) ? 'urgent' : 'can-wait';
}

function messageIsUrgent(msg: Element, owner: Jid, sentByOwner: boolean): boolean {
  const type = msg.attrs.type;
  if (type === 'error') return true;
  const body = msg.getChild('body');
  if (body && type !== 'groupchat') return true;
  if (body && type === 'groupchat') return mentions(msg, body.getText(), owner);
  for (const c of msg.children) {
    if (typeof c === 'string') continue;
    const ns = c.attrs.xmlns ?? '';
    if (URGENT_PAYLOADS.has(ns)) return true;
    if (ns === 'http://jabber.org/protocol/muc#user' && c.getChild('invite')) return true;
    if (ns === NS_MARKERS && sentByOwner) return true;
    if (ns === NS_CARBONS) {
      const inner = c.getChild('forwarded', NS_FORWARD)?.getChild('message');
      if (inner) return messageIsUrgent(inner, owner, c.name === 'sent');
    }
  }
  return false;
}

/** A group chat message mentions the user by localpart, by bare JID, or with a XEP-0372 reference. */
function mentions(msg: Element, text: string, owner: Jid): boolean {
  const bare = owner.bare();
  for (const ref of msg.getChildren('reference', NS_REFERENCE)) {
    if (ref.attrs.type === 'mention' && (ref.attrs.uri === `xmpp:${bare}` || ref.attrs.uri?.startsWith(`xmpp:${bare}/`))) return true;
  }
  const lower = text.toLowerCase();
  if (lower.includes(bare.toLowerCase())) return true;
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escapeRe(owner.local.toLowerCase())}($|[^\\p{L}\\p{N}_])`, 'u').test(lower);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
