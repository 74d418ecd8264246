// XEP-0313 user archives over real sockets: what is archived (both directions, once), XEP-0359 stanza ids,
// every filter and paging direction with complete/count/flip-page, metadata, prefs, the page size limit,
// errors for bad input and for someone else's archive, ids across restarts, offline + MAM, purge and expiry.
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import { z } from 'zod';
import { defineModule, el } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { mamError, mamQuery, NS_MAM } from '../helpers/mam.js';

/** Test-only admin commands a user sends about their own account: purge via the mam service, delete the account. */
const NS_TEST = 'urn:starling:test:mam';
const probe = defineModule({
  name: 'mam-probe',
  description: 'test helper: calls the mam service and deletes accounts',
  options: z.object({}).strict(),
  setup(ctx) {
    ctx.iq.set('bare', NS_TEST, 'purge', async (req) => {
      const n = await ctx.use('mam').purge(req.from.local, req.payload.attrs.with ? { with: req.payload.attrs.with } : undefined);
      return el('purged', { xmlns: NS_TEST, count: String(n) });
    });
    ctx.iq.set('bare', NS_TEST, 'delete', async (req) => {
      await ctx.accounts.delete(req.payload.attrs.user!);
    });
  },
});

const BASE = { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, offline: {}, blocking: {}, 'mam-probe': {} };
const MODULES = { modules: { ...BASE, mam: { defaultPageSize: 10, maxPageSize: 20 } } };
const EXTRA = { extraModules: [probe] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MAM user archives (XEP-0313, XEP-0359)', function () {
  let t: TestServer;
  const clients: TestClient[] = [];
  const connect = async (username: string, resource: string, available = true): Promise<TestClient> => {
    const c = await connectClient({ port: t.c2sPort, username, password: 'pw', resource });
    clients.push(c);
    if (available) {
      await c.xmpp.send(xml('presence', {}));
      await c.waitFor((e) => e.is('presence') && e.attrs.from === c.jid);
    }
    return c;
  };
  /** Sends a chat message and waits until the peer got it; returns what the peer received. */
  const chat = async (from: TestClient, to: TestClient, body: string, extra: ReturnType<typeof xml>[] = []) => {
    const id = `m-${body}`;
    await from.xmpp.send(xml('message', { to: to.jid.split('/')[0], type: 'chat', id }, xml('body', {}, body), ...extra));
    return to.waitFor((e) => e.is('message') && e.attrs.id === id);
  };

  beforeEach(async () => {
    t = await startTestServer(MODULES, ['localhost'], EXTRA);
    for (const u of ['alice', 'bob', 'carol']) await t.addUser(u, 'pw');
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await t.stop();
  });

  it('advertises urn:xmpp:mam:2, #extended and urn:xmpp:sid:0 on the account', async () => {
    const a = await connect('alice', 'one', false);
    const info = await a.xmpp.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'alice@localhost');
    const features = info.getChildren('feature').map((f) => f.attrs.var);
    expect(features).to.include.members([NS_MAM, `${NS_MAM}#extended`, 'urn:xmpp:sid:0']);
  });

  it('archives both directions once, stamps the recipient\'s stanza-id, strips forged ids and keeps origin-id', async () => {
    const a = await connect('alice', 'one');
    const b = await connect('bob', 'one');
    const got = await chat(a, b, 'hello', [
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'origin-1' }),
      xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'bob@localhost', id: 'forged' }),
      xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'ALICE@localhost', id: 'forged-too' }),
    ]);
    const sids = got.getChildren('stanza-id', 'urn:xmpp:sid:0');
    expect(sids.map((s) => s.attrs.by)).to.deep.equal(['bob@localhost']);   // neither forged id, nor alice's
    expect(sids[0]!.attrs.id).to.not.equal('forged');
    expect(got.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).to.equal('origin-1');

    const bobs = await mamQuery(b);
    expect(bobs.items).to.have.length(1);
    expect(bobs.items[0]!.id).to.equal(sids[0]!.attrs.id);
    expect(bobs.items[0]!.message.getChildText('body')).to.equal('hello');
    expect(bobs.items[0]!.message.attrs.from).to.equal('alice@localhost/one');
    expect(bobs.items[0]!.message.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).to.equal('origin-1');
    expect(bobs.items[0]!.outer.attrs.from).to.equal('bob@localhost');
    expect(bobs.items[0]!.outer.attrs.to).to.equal(b.jid);
    expect(Date.parse(bobs.items[0]!.stamp)).to.be.closeTo(Date.now(), 10_000);

    const alices = await mamQuery(a);
    expect(alices.items).to.have.length(1);
    expect(alices.items[0]!.id).to.not.equal(bobs.items[0]!.id);
    expect(alices.items[0]!.message.attrs.to).to.equal('bob@localhost');
    // the sender's copy carries no id claiming to be by the sender (XEP-0359 §3.2)
    expect(alices.items[0]!.message.getChildren('stanza-id', 'urn:xmpp:sid:0').map((s) => s.attrs.by)).to.not.include('alice@localhost');
  });

  it('archives a message delivered to two resources once, and skips chat states, errors and no-store', async () => {
    const a = await connect('alice', 'one');
    const b1 = await connect('bob', 'one');
    await connect('bob', 'two');
    await chat(a, b1, 'both');
    await a.xmpp.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'cs' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await a.xmpp.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'ns' }, xml('body', {}, 'secret'), xml('no-store', { xmlns: 'urn:xmpp:hints' })));
    await a.xmpp.send(xml('message', { to: 'bob@localhost', type: 'headline', id: 'hl' }, xml('body', {}, 'news')));
    await a.xmpp.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'rcpt' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm-both' })));
    await b1.waitFor((e) => e.attrs.id === 'rcpt');
    const page = await mamQuery(b1);
    expect(page.items.map((i) => i.message.attrs.id)).to.deep.equal(['m-both', 'rcpt']);
    expect((await mamQuery(a)).items.map((i) => i.message.attrs.id)).to.deep.equal(['m-both', 'rcpt']);
  });

  describe('with 15 archived messages', function () {
    let a: TestClient;
    let b: TestClient;
    let ids: string[];
    let stamps: string[];
    beforeEach(async () => {
      a = await connect('alice', 'one');
      b = await connect('bob', 'one');
      const c = await connect('carol', 'one');
      for (let i = 0; i < 15; i++) {
        if (i % 3 === 2) await chat(c, a, `c${i}`);
        else await chat(b, a, `b${i}`);
        await sleep(3);   // distinct millisecond stamps for the time filters
      }
      const all = await mamQuery(a, { max: 20 });
      ids = all.items.map((i) => i.id);
      stamps = all.items.map((i) => i.stamp);
      expect(ids).to.have.length(15);
      expect(all.complete).to.equal(true);
      expect(all.count).to.equal(15);
    });
    const bodies = (p: { items: { message: { getChildText(n: string): string | null } }[] }) => p.items.map((i) => i.message.getChildText('body'));

    it('pages forwards with <after/> to a complete last page, counting the whole set', async () => {
      const p1 = await mamQuery(a, { max: 6 });
      expect(p1.items.map((i) => i.id)).to.deep.equal(ids.slice(0, 6));
      expect([p1.first, p1.last, p1.count, p1.complete]).to.deep.equal([ids[0], ids[5], 15, false]);
      const p2 = await mamQuery(a, { max: 6, after: p1.last });
      expect(p2.items.map((i) => i.id)).to.deep.equal(ids.slice(6, 12));
      expect(p2.complete).to.equal(false);
      const p3 = await mamQuery(a, { max: 6, after: p2.last });
      expect(p3.items.map((i) => i.id)).to.deep.equal(ids.slice(12));
      expect([p3.complete, p3.count]).to.deep.equal([true, 15]);
      const p4 = await mamQuery(a, { max: 6, after: p3.last });
      expect(p4.items).to.have.length(0);
      expect([p4.complete, p4.first, p4.last, p4.count]).to.deep.equal([true, undefined, undefined, 15]);
    });

    it('pages backwards from the end with <before/> to a complete first page', async () => {
      const p1 = await mamQuery(a, { max: 6, before: true });
      expect(p1.items.map((i) => i.id)).to.deep.equal(ids.slice(9));   // oldest first within the page
      expect(p1.complete).to.equal(false);
      const p2 = await mamQuery(a, { max: 6, before: p1.first });
      expect(p2.items.map((i) => i.id)).to.deep.equal(ids.slice(3, 9));
      const p3 = await mamQuery(a, { max: 6, before: p2.first });
      expect(p3.items.map((i) => i.id)).to.deep.equal(ids.slice(0, 3));
      expect(p3.complete).to.equal(true);
    });

    it('flips a page without changing which items it holds', async () => {
      const p = await mamQuery(a, { max: 4, before: true, flip: true });
      expect(p.items.map((i) => i.id)).to.deep.equal(ids.slice(11).reverse());
      expect([p.first, p.last]).to.deep.equal([ids[14], ids[11]]);
    });

    it('filters by with (bare or full JID), start, end, after-id, before-id and ids', async () => {
      const withCarol = await mamQuery(a, { with: 'carol@localhost' });
      expect(bodies(withCarol)).to.deep.equal(['c2', 'c5', 'c8', 'c11', 'c14']);
      expect(withCarol.count).to.equal(5);
      expect(bodies(await mamQuery(a, { with: 'carol@localhost/one' }))).to.have.length(5);
      expect(bodies(await mamQuery(a, { with: 'nobody@localhost' }))).to.deep.equal([]);

      const range = await mamQuery(a, { start: stamps[4], end: stamps[7] });
      expect(range.items.map((i) => i.id)).to.deep.equal(ids.slice(4, 8));
      expect(range.complete).to.equal(true);
      expect((await mamQuery(a, { start: stamps[13] })).items.map((i) => i.id)).to.deep.equal(ids.slice(13));
      expect((await mamQuery(a, { end: stamps[1] })).items.map((i) => i.id)).to.deep.equal(ids.slice(0, 2));

      const between = await mamQuery(a, { afterId: ids[2], beforeId: ids[6] });
      expect(between.items.map((i) => i.id)).to.deep.equal(ids.slice(3, 6));
      // after-id and an RSM <after/>: the later of the two wins.
      expect((await mamQuery(a, { afterId: ids[2], after: ids[10] })).items.map((i) => i.id)).to.deep.equal(ids.slice(11));
      const picked = await mamQuery(a, { ids: [ids[9]!, ids[1]!] });
      expect(picked.items.map((i) => i.id)).to.deep.equal([ids[1], ids[9]]);
      // with and paging together
      const wp = await mamQuery(a, { with: 'carol@localhost', max: 2, after: withCarol.items[1]!.id });
      expect(bodies(wp)).to.deep.equal(['c8', 'c11']);
      expect([wp.complete, wp.count]).to.deep.equal([false, 5]);
    });

    it('cuts a page to the maximum size and uses the default size without <max/>', async () => {
      const big = await mamQuery(a, { max: 1000, with: 'bob@localhost' });
      expect(big.items).to.have.length(10);   // 10 of bob's; the maximum is 20 so all fit
      const t2 = await mamQuery(a, { max: 1000 });
      expect(t2.items).to.have.length(15);
      const dflt = await mamQuery(a);
      expect(dflt.items).to.have.length(10);
      expect(dflt.complete).to.equal(false);
      const zero = await mamQuery(a, { max: 0 });
      expect([zero.items.length, zero.count]).to.deep.equal([0, 15]);
    });

    it('answers metadata with the first and last item', async () => {
      const md = await a.xmpp.iqCaller.get(xml('metadata', { xmlns: NS_MAM }));
      expect(md.getChild('start')!.attrs.id).to.equal(ids[0]);
      expect(md.getChild('end')!.attrs.id).to.equal(ids[14]);
      expect(md.getChild('end')!.attrs.timestamp).to.equal(stamps[14]);
      await t.addUser('erin', 'pw');
      const empty = await (await connect('erin', 'one', false)).xmpp.iqCaller.get(xml('metadata', { xmlns: NS_MAM }));
      expect(empty.getChild('start')).to.equal(undefined);
    });

    it('refuses bad forms, unknown ids, RSM index, and other users\' archives', async () => {
      expect(await mamError(a, { start: 'yesterday' })).to.equal('bad-request');
      expect(await mamError(a, { end: '2024-13-45T99:00:00Z' })).to.equal('bad-request');
      expect(await mamError(a, { with: 'not@a@jid' })).to.equal('jid-malformed');
      expect(await mamError(a, { fields: [['{urn:example}fulltext', 'x']] })).to.equal('feature-not-implemented');
      expect(await mamError(a, { fields: [['FORM_TYPE', 'urn:xmpp:mam:1']] })).to.equal('bad-request');
      expect(await mamError(a, { after: 'no-such-id' })).to.equal('item-not-found');
      expect(await mamError(a, { before: 'no-such-id' })).to.equal('item-not-found');
      expect(await mamError(a, { afterId: 'no-such-id' })).to.equal('item-not-found');
      expect(await mamError(a, { beforeId: 'no-such-id' })).to.equal('item-not-found');
      expect(await mamError(a, { ids: [ids[0]!, 'no-such-id'] })).to.equal('item-not-found');
      // bob's ids are not in alice's archive
      const bobIds = (await mamQuery(b)).items.map((i) => i.id);
      expect(await mamError(a, { after: bobIds[0]! })).to.equal('item-not-found');
      // paging by index works (test/integration/mam-rsm.test.ts); a malformed index is a bad request
      const withIndex = xml('query', { xmlns: NS_MAM }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('index', {}, 'three')));
      expect(await mamError(a, withIndex)).to.equal('bad-request');
      const negMax = xml('query', { xmlns: NS_MAM }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '-1')));
      expect(await mamError(a, negMax)).to.equal('bad-request');
      expect(await mamError(b, { to: 'alice@localhost' })).to.equal('forbidden');
      let err = '';
      try { await b.xmpp.iqCaller.get(xml('metadata', { xmlns: NS_MAM }), 'alice@localhost'); } catch (e) { err = (e as { condition: string }).condition; }
      expect(err).to.equal('forbidden');
      try { await b.xmpp.iqCaller.get(xml('prefs', { xmlns: NS_MAM }), 'alice@localhost'); } catch (e) { err = `p:${(e as { condition: string }).condition}`; }
      expect(err).to.equal('p:forbidden');
    });

    it('returns the query form', async () => {
      const form = await a.xmpp.iqCaller.get(xml('query', { xmlns: NS_MAM }));
      const vars = form.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attrs.var);
      expect(vars).to.include.members(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);
    });

    it('purges with one peer, then everything', async () => {
      const r1 = await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'p1' }, xml('purge', { xmlns: NS_TEST, with: 'carol@localhost' })));
      expect(r1.getChild('purged')!.attrs.count).to.equal('5');
      expect((await mamQuery(a, { max: 20 })).count).to.equal(10);
      await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'p2' }, xml('purge', { xmlns: NS_TEST })));
      expect((await mamQuery(a)).count).to.equal(0);
      expect((await mamQuery(b)).count).to.equal(10);   // bob's own archive is his
    });
  });

  it('keeps item ids across a restart', async () => {
    let a = await connect('alice', 'one');
    const b = await connect('bob', 'one');
    const got = await chat(b, a, 'persist');
    const before = (await mamQuery(a)).items.map((i) => i.id);
    expect(before).to.deep.equal([got.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id]);
    for (const c of clients.splice(0)) await c.stop();
    const dataDir = t.dataDir;
    await t.stop(true);
    t = await startTestServer(MODULES, ['localhost'], { ...EXTRA, dataDir });
    a = await connect('alice', 'one', false);
    const after = await mamQuery(a);
    expect(after.items.map((i) => i.id)).to.deep.equal(before);
    expect(after.items[0]!.message.getChildText('body')).to.equal('persist');
  });

  it('honours prefs: never, always-list, roster default', async () => {
    const a = await connect('alice', 'one');
    const b = await connect('bob', 'one');
    const c = await connect('carol', 'one');
    const d = await a.xmpp.iqCaller.get(xml('prefs', { xmlns: NS_MAM }));
    expect(d.attrs.default).to.equal('always');
    const set = await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'pr1' },
      xml('prefs', { xmlns: NS_MAM, default: 'never' }, xml('always', {}, xml('jid', {}, 'carol@localhost')), xml('never', {}))));
    expect(set.getChild('prefs')!.attrs.default).to.equal('never');
    await chat(b, a, 'not-kept');
    await chat(c, a, 'kept');
    expect(bodies2(await mamQuery(a))).to.deep.equal(['kept']);
    expect(bodies2(await mamQuery(b))).to.deep.equal(['not-kept']);   // bob's prefs are his own
    // roster default: only contacts in the roster
    await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'r1' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'bob@localhost' }))));
    await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'pr2' }, xml('prefs', { xmlns: NS_MAM, default: 'roster' })));
    await chat(b, a, 'contact');
    await chat(c, a, 'stranger');
    expect(bodies2(await mamQuery(a))).to.deep.equal(['kept', 'contact']);
    const got = await a.xmpp.iqCaller.get(xml('prefs', { xmlns: NS_MAM }));
    expect(got.attrs.default).to.equal('roster');
    let err = '';
    try {
      await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'pr3' }, xml('prefs', { xmlns: NS_MAM, default: 'sometimes' })));
    } catch (e) { err = (e as { condition: string }).condition; }
    expect(err).to.equal('bad-request');
    try {
      await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'pr4' }, xml('prefs', { xmlns: NS_MAM, default: 'always' },
        xml('always', {}, xml('jid', {}, 'x@localhost')), xml('never', {}, xml('jid', {}, 'x@localhost')))));
    } catch (e) { err = `2:${(e as { condition: string }).condition}`; }
    expect(err).to.equal('2:bad-request');
  });

  it('archives a message to an offline user once; offline delivery carries the archive id', async () => {
    const b = await connect('bob', 'one');
    await b.xmpp.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'off1' }, xml('body', {}, 'while you were out')));
    await sleep(200);
    // alice syncs via MAM first (no presence yet, so nothing is delivered), then goes online
    const a = await connect('alice', 'one', false);
    const synced = await mamQuery(a);
    expect(synced.items).to.have.length(1);
    await a.xmpp.send(xml('presence', {}));
    const off = await a.waitFor((e) => e.is('message') && e.attrs.id === 'off1');
    const sids = off.getChildren('stanza-id', 'urn:xmpp:sid:0');
    expect(sids).to.have.length(1);
    expect(sids[0]!.attrs).to.include({ by: 'alice@localhost', id: synced.items[0]!.id });
    expect(off.getChild('delay', 'urn:xmpp:delay')).to.not.equal(undefined);
    expect((await mamQuery(a)).count).to.equal(1);
  });

  it('does not archive for accounts that do not exist, and purges the archive with the account', async () => {
    const a = await connect('alice', 'one');
    const b = await connect('bob', 'one');
    await a.xmpp.send(xml('message', { to: 'ghost@localhost', type: 'chat', id: 'g1' }, xml('body', {}, 'anyone?')));
    await a.waitFor((e) => e.attrs.id === 'g1' && e.attrs.type === 'error');
    await chat(b, a, 'before deletion');
    expect((await mamQuery(a)).count).to.equal(2);   // the outgoing one is in alice's own archive
    await b.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'del' }, xml('delete', { xmlns: NS_TEST, user: 'alice' })));
    await t.addUser('alice', 'pw');
    const again = await connect('alice', 'two', false);
    expect((await mamQuery(again)).count).to.equal(0);
  });

  it('does not archive what the recipient blocked (XEP-0313 §6.1: only accepted messages)', async () => {
    const a = await connect('alice', 'one');
    const c = await connect('carol', 'one');
    await a.xmpp.iqCaller.request(xml('iq', { type: 'set', id: 'blk' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'carol@localhost' }))));
    await c.xmpp.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'blocked1' }, xml('body', {}, 'let me in')));
    await c.waitFor((e) => e.attrs.id === 'blocked1' && e.attrs.type === 'error');
    expect((await mamQuery(a)).count).to.equal(0);
    // carol's own archive keeps what she sent (her server accepted it from her)
    expect((await mamQuery(c)).count).to.equal(1);
  });

  it('expires messages older than the retention', async () => {
    await t.stop();
    t = await startTestServer({ modules: { ...BASE, mam: { retentionDays: 1 / 86_400, expireIntervalMinutes: 0.005 } } }, ['localhost'], EXTRA);
    for (const u of ['alice', 'bob']) await t.addUser(u, 'pw');
    const a = await connect('alice', 'one');
    const b = await connect('bob', 'one');
    await chat(b, a, 'ephemeral');
    expect((await mamQuery(a)).count).to.equal(1);
    await sleep(1800);
    expect((await mamQuery(a)).count).to.equal(0);
  });
});

function bodies2(p: { items: { message: { getChildText(n: string): string | null } }[] }): (string | null)[] {
  return p.items.map((i) => i.message.getChildText('body'));
}
