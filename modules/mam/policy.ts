// What goes into a user's archive (XEP-0313 §6.1.1 with the XEP-0334 storage hints): chat and normal messages
// with a body, or with a payload that is part of the conversation even without one.
import type { Element } from 'ltx';

const NS_HINTS = 'urn:xmpp:hints';

/** Payloads worth keeping without a <body/>: element name by namespace ('*' = any element of it). */
const ARCHIVABLE: ReadonlyMap<string, ReadonlySet<string> | '*'> = new Map<string, ReadonlySet<string> | '*'>([
  ['urn:xmpp:receipts', new Set(['received'])],                          // XEP-0184 delivery receipts
  ['urn:xmpp:chat-markers:0', new Set(['received', 'displayed', 'acknowledged'])], // XEP-0333
  ['urn:xmpp:message-retract:0', '*'], ['urn:xmpp:message-retract:1', '*'], // XEP-0424
  ['urn:xmpp:message-moderate:0', '*'], ['urn:xmpp:message-moderate:1', '*'], // XEP-0425
  ['urn:xmpp:reactions:0', '*'],                                          // XEP-0444
  ['urn:xmpp:fasten:0', '*'],                                             // XEP-0422
  ['eu.siacs.conversations.axolotl', new Set(['encrypted'])],             // OMEMO (legacy)
  ['urn:xmpp:omemo:2', new Set(['encrypted'])],                           // XEP-0384
  ['urn:xmpp:openpgp:0', new Set(['openpgp'])],                           // XEP-0373
  ['jabber:x:encrypted', '*'],                                            // XEP-0027
  ['urn:xmpp:jingle-message:0', '*'],                                     // XEP-0353 call log
  ['jabber:x:oob', '*'],                                                  // XEP-0066 shared files
]);

/**
 * True when a message belongs in the sender's and recipient's archives. Errors, headlines and groupchat never do
 * (room history is the room's archive). <no-store/> and <no-permanent-store/> keep a message out; <store/> puts
 * in one that would otherwise be skipped (XEP-0334 §4). Chat states alone are not stored.
 */
export function archivable(stanza: Element): boolean {
  const type = stanza.attrs.type;
  if (type !== undefined && type !== 'chat' && type !== 'normal') return false;
  let content = false;
  let forced = false;
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    const ns = c.attrs.xmlns;
    if (ns === undefined || ns === 'jabber:client') {
      if (c.name === 'body') content = true;
      continue;
    }
    if (ns === NS_HINTS) {
      if (c.name === 'no-store' || c.name === 'no-permanent-store') return false;
      if (c.name === 'store') forced = true;
      continue;
    }
    if (!content) {
      const names = ARCHIVABLE.get(ns);
      if (names !== undefined && (names === '*' || names.has(c.name))) content = true;
    }
  }
  return content || forced;
}
