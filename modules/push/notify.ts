// The XEP-0357 §5 notification: a PubSub publish to the app server, from the account's bare JID, with the
// urn:xmpp:push:summary form (message count, last sender, and the body only when the operator allows it).
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { parseStored } from '../offline/codec.js';
import type { Registration } from './registrations.js';

export const NS_PUSH = 'urn:xmpp:push:0';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_DATA = 'jabber:x:data';

export interface Summary {
  count: number;
  sender: string;
  body: string | null;
}

function field(name: string, value: string): Element {
  return el('field', { var: name }, el('value', null, value));
}

export function publishIq(from: string, reg: Registration, s: Summary): Element {
  const form = el('x', { xmlns: NS_DATA, type: 'submit' },
    field('FORM_TYPE', 'urn:xmpp:push:summary'),
    field('message-count', String(s.count)),
    field('last-message-sender', s.sender),
    s.body !== null ? field('last-message-body', s.body) : null);
  const pubsub = el('pubsub', { xmlns: NS_PUBSUB },
    el('publish', { node: reg.node }, el('item', null, el('notification', { xmlns: NS_PUSH }, form))));
  if (reg.options) pubsub.cnode(el('publish-options', null, parseStored(reg.options)));
  return el('iq', { type: 'set', from, to: reg.jid }, pubsub);
}
