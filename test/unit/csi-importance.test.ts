// XEP-0352: which stanzas may wait while the client is inactive, and presence coalescing.
import { expect } from 'chai';
import { el } from '../../src/api/index.js';
import { jid } from '../../src/jid.js';
import { importance } from '../../modules/csi/importance.js';
import { HeldStanzas } from '../../modules/csi/buffer.js';

const me = jid('alice', 'example.com', 'phone');
const msg = (attrs: Record<string, string>, ...children: ReturnType<typeof el>[]) => el('message', { from: 'bob@example.com/x', ...attrs }, ...children);
const body = (t: string) => el('body', null, t);

describe('CSI importance', () => {
  it('IQs and messages with a body are urgent; chat states, receipts and presence can wait', () => {
    expect(importance(el('iq', { type: 'get', id: '1' }), me)).to.equal('urgent');
    expect(importance(msg({ type: 'chat' }, body('hi')), me)).to.equal('urgent');
    expect(importance(msg({ type: 'error' }), me)).to.equal('urgent');
    expect(importance(msg({ type: 'chat' }, el('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })), me)).to.equal('can-wait');
    expect(importance(msg({}, el('received', { xmlns: 'urn:xmpp:receipts', id: 'x' })), me)).to.equal('can-wait');
    expect(importance(el('presence', {}), me)).to.equal('coalesce');
    expect(importance(el('presence', { type: 'unavailable' }), me)).to.equal('coalesce');
    expect(importance(el('presence', { type: 'subscribe' }), me)).to.equal('can-wait');
  });

  it('group chat: only mentions by name, JID or reference; encryption, calls and invitations are urgent', () => {
    expect(importance(msg({ type: 'groupchat' }, body('hello all')), me)).to.equal('can-wait');
    expect(importance(msg({ type: 'groupchat' }, body('Alice: lunch?')), me)).to.equal('urgent');
    expect(importance(msg({ type: 'groupchat' }, body('palace')), me)).to.equal('can-wait');
    expect(importance(msg({ type: 'groupchat' }, body('see'), el('reference', { xmlns: 'urn:xmpp:reference:0', type: 'mention', uri: 'xmpp:alice@example.com' })), me)).to.equal('urgent');
    expect(importance(msg({ type: 'chat' }, el('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' })), me)).to.equal('urgent');
    expect(importance(msg({}, el('propose', { xmlns: 'urn:xmpp:jingle-message:0', id: 'c' })), me)).to.equal('urgent');
    expect(importance(msg({}, el('x', { xmlns: 'jabber:x:conference', jid: 'room@muc' })), me)).to.equal('urgent');
  });

  it('carbons are judged by the message inside; a marker sent from another own device is urgent', () => {
    const carbon = (kind: string, inner: ReturnType<typeof el>) => msg({}, el(kind, { xmlns: 'urn:xmpp:carbons:2' }, el('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner)));
    const marker = el('message', { type: 'chat' }, el('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'm' }));
    expect(importance(carbon('sent', marker), me)).to.equal('urgent');
    expect(importance(carbon('received', marker), me)).to.equal('can-wait');
    expect(importance(carbon('received', el('message', { type: 'chat' }, body('x'))), me)).to.equal('urgent');
  });

  it('a newer presence from the same sender replaces the held one at the end of the queue', () => {
    const h = new HeldStanzas();
    h.add(el('presence', { from: 'a@x/1', id: 'p1' }), 'coalesce');
    h.add(msg({ id: 'm' }), 'can-wait');
    h.add(el('presence', { from: 'b@x/1', id: 'q' }), 'coalesce');
    h.add(el('presence', { from: 'a@x/1', id: 'p2', type: 'unavailable' }), 'coalesce');
    expect(h.take().map((e) => e.attrs.id)).to.deep.equal(['m', 'q', 'p2']);
    expect(h.size).to.equal(0);
  });
});
