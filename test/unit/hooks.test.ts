import { expect } from 'chai';
import { HookBus, PRIORITY } from '../../src/core/hooks.js';
import { silentLogger } from '../../src/log.js';

interface Events {
  ping: { seen: string[] };
}

describe('HookBus', () => {
  const bus = () => new HookBus<Events>({ log: silentLogger(), asyncTimeoutMs: 50 });

  it('runs handlers highest priority first, in registration order within a priority', () => {
    const b = bus();
    b.on('ping', (e) => void e.seen.push('default-1'));
    b.on('ping', (e) => void e.seen.push('policy'), PRIORITY.POLICY);
    b.on('ping', (e) => void e.seen.push('fallback'), PRIORITY.FALLBACK);
    b.on('ping', (e) => void e.seen.push('default-2'));
    const ev = { seen: [] as string[] };
    expect(b.fire('ping', ev)).to.equal(false);
    expect(ev.seen).to.deep.equal(['policy', 'default-1', 'default-2', 'fallback']);
  });

  it('stops at the first handler that returns true, synchronously', () => {
    const b = bus();
    b.on('ping', (e) => { e.seen.push('a'); return true; });
    b.on('ping', (e) => void e.seen.push('b'), -1);
    const ev = { seen: [] as string[] };
    expect(b.fire('ping', ev)).to.equal(true);
    expect(ev.seen).to.deep.equal(['a']);
  });

  it('returns false without handlers and reports has()', () => {
    const b = bus();
    expect(b.has('ping')).to.equal(false);
    expect(b.fire('ping', { seen: [] })).to.equal(false);
  });

  it('switches to a promise when a handler is async and keeps the order', async () => {
    const b = bus();
    b.on('ping', async (e) => { await new Promise((r) => setTimeout(r, 5)); e.seen.push('slow'); }, 10);
    b.on('ping', (e) => { e.seen.push('next'); return true; });
    b.on('ping', (e) => void e.seen.push('never'), -10);
    const ev = { seen: [] as string[] };
    const r = b.fire('ping', ev);
    expect(r).to.be.instanceOf(Promise);
    expect(await r).to.equal(true);
    expect(ev.seen).to.deep.equal(['slow', 'next']);
  });

  it('skips a throwing handler, counts the error and goes on', async () => {
    const b = bus();
    b.on('ping', () => { throw new Error('boom'); }, 5, 'bad-module');
    b.on('ping', async () => { throw new Error('async boom'); }, 4, 'bad-module');
    b.on('ping', (e) => void e.seen.push('ok'));
    const ev = { seen: [] as string[] };
    expect(await b.fire('ping', ev)).to.equal(false);
    expect(ev.seen).to.deep.equal(['ok']);
    expect(b.errorCounts.get('bad-module ping')).to.equal(2);
  });

  it('abandons an async handler after its deadline', async () => {
    const b = bus();
    b.on('ping', () => new Promise(() => undefined), 1);
    b.on('ping', (e) => void e.seen.push('after'));
    const ev = { seen: [] as string[] };
    const started = Date.now();
    expect(await b.fire('ping', ev)).to.equal(false);
    expect(Date.now() - started).to.be.within(40, 1000);
    expect(ev.seen).to.deep.equal(['after']);
  });

  it('removes one handler, or all of an owner', () => {
    const b = bus();
    const off = b.on('ping', (e) => void e.seen.push('a'), 0, 'm1');
    b.on('ping', (e) => void e.seen.push('b'), 0, 'm2');
    b.on('ping', (e) => void e.seen.push('c'), 0, 'm2');
    off();
    let ev = { seen: [] as string[] };
    b.fire('ping', ev);
    expect(ev.seen).to.deep.equal(['b', 'c']);
    b.removeOwner('m2');
    ev = { seen: [] };
    b.fire('ping', ev);
    expect(ev.seen).to.deep.equal([]);
    expect(b.has('ping')).to.equal(false);
  });

  it('a handler added during a fire does not run in that fire', () => {
    const b = bus();
    b.on('ping', (e) => { e.seen.push('a'); b.on('ping', (e2) => void e2.seen.push('late'), -5); });
    const ev = { seen: [] as string[] };
    b.fire('ping', ev);
    expect(ev.seen).to.deep.equal(['a']);
  });
});
