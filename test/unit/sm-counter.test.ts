// XEP-0198 counters: h parsing and acknowledgement arithmetic, including the wrap at 2^32.
import { expect } from 'chai';
import { el } from '../../src/api/index.js';
import { MOD, OutboundQueue, parseH } from '../../modules/sm/counter.js';

describe('stream management counters', () => {
  it('parses h as an unsigned 32-bit decimal', () => {
    expect(parseH('0')).to.equal(0);
    expect(parseH('4294967295')).to.equal(MOD - 1);
    for (const bad of [undefined, '', '-1', '4294967296', '1.5', '0x10', ' 1', '12345678901']) expect(parseH(bad), String(bad)).to.equal(null);
  });

  it('drops what an ack covers and refuses an ack beyond what was sent', () => {
    const q = new OutboundQueue();
    for (const id of ['a', 'b', 'c']) q.push(el('message', { id }));
    expect(q.ack(2)).to.deep.equal({ ok: true, removed: 2 });
    expect(q.items.map((e) => e.attrs.id)).to.deep.equal(['c']);
    expect(q.ack(2)).to.deep.equal({ ok: true, removed: 0 });
    expect(q.ack(4)).to.deep.equal({ ok: false, sent: 3 });
    expect(q.items).to.have.length(1);
  });

  it('counts across the 2^32 wrap', () => {
    const q = new OutboundQueue();
    q.sent = MOD - 2;
    q.acked = MOD - 2;
    for (const id of ['x', 'y', 'z']) q.push(el('message', { id }));
    expect(q.sent).to.equal(1);
    expect(q.ack(0)).to.deep.equal({ ok: true, removed: 2 });
    expect(q.items.map((e) => e.attrs.id)).to.deep.equal(['z']);
    expect(q.ack(2)).to.deep.equal({ ok: false, sent: 1 });
  });

  it('drain hands back the unacknowledged stanzas and rewinds the count to the last ack', () => {
    const q = new OutboundQueue();
    for (const id of ['a', 'b', 'c']) q.push(el('message', { id }));
    q.ack(1);
    expect(q.drain().map((e) => e.attrs.id)).to.deep.equal(['b', 'c']);
    expect(q.sent).to.equal(1);
    expect(q.items).to.have.length(0);
  });
});
