// XEP-0059 positions in XEP-0313 result sets over real sockets: <first index='N'/> on every page (forwards,
// backwards, flipped, with the with/start/end/ids filters and after-id/before-id), page jumps with RSM <index/>,
// the same on a MUC room archive, and the errors for bad <index/> requests.
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { mamError, mamQuery, NS_MAM, type MamPage } from '../helpers/mam.js';
import { MucUser } from '../helpers/muc.js';

const NS_RSM = 'http://jabber.org/protocol/rsm';
const SERVICE = 'conference.localhost';
const MODULES = { disco: {}, roster: {}, presence: {}, message: {}, offline: {}, mam: { defaultPageSize: 10, maxPageSize: 20 }, muc: {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idsOf = (p: MamPage) => p.items.map((i) => i.id);
const bodies = (p: MamPage) => p.items.map((i) => i.message.getChildText('body'));
/** A query whose RSM <set/> holds exactly the given raw children (for the malformed ones the helper cannot build). */
const rawRsm = (...children: ReturnType<typeof xml>[]) => xml('query', { xmlns: NS_MAM }, xml('set', { xmlns: NS_RSM }, ...children));

describe('MAM RSM positions and page jumps (XEP-0059 index)', function () {
  let t: TestServer;
  const clients: TestClient[] = [];
  const connect = async (username: string): Promise<TestClient> => {
    const c = await connectClient({ port: t.c2sPort, username, password: 'pw', resource: 'one' });
    clients.push(c);
    await c.xmpp.send(xml('presence', {}));
    await c.waitFor((e) => e.is('presence') && e.attrs.from === c.jid);
    return c;
  };
  const chat = async (from: TestClient, to: TestClient, body: string) => {
    const id = `m-${body}`;
    await from.xmpp.send(xml('message', { to: to.jid.split('/')[0], type: 'chat', id }, xml('body', {}, body)));
    await to.waitFor((e) => e.is('message') && e.attrs.id === id);
  };

  before(async () => {
    t = await startTestServer({ modules: MODULES });
    for (const u of ['alice', 'bob', 'carol']) await t.addUser(u, 'pw');
  });
  after(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await t.stop();
  });

  describe('a user archive of 15 messages', function () {
    let a: TestClient;
    let ids: string[];
    let stamps: string[];
    before(async () => {
      a = await connect('alice');
      const b = await connect('bob');
      const c = await connect('carol');
      // b0 b1 c2 b3 b4 c5 b6 b7 c8 b9 b10 c11 b12 b13 c14
      for (let i = 0; i < 15; i++) {
        if (i % 3 === 2) await chat(c, a, `c${i}`);
        else await chat(b, a, `b${i}`);
        await sleep(3);   // distinct millisecond stamps for the time filters
      }
      const all = await mamQuery(a, { max: 20 });
      ids = idsOf(all);
      stamps = all.items.map((i) => i.stamp);
      expect(ids).to.have.length(15);
      expect([all.firstIndex, all.count, all.complete]).to.deep.equal([0, 15, true]);
    });

    it('gives the position of the first item on each page forwards, and none on an empty page', async () => {
      const p1 = await mamQuery(a, { max: 6 });
      expect([p1.firstIndex, p1.count]).to.deep.equal([0, 15]);
      const p2 = await mamQuery(a, { max: 6, after: p1.last });
      expect(idsOf(p2)).to.deep.equal(ids.slice(6, 12));
      expect(p2.firstIndex).to.equal(6);
      const p3 = await mamQuery(a, { max: 6, after: p2.last });
      expect([p3.firstIndex, p3.items.length, p3.complete]).to.deep.equal([12, 3, true]);
      const p4 = await mamQuery(a, { max: 6, after: p3.last });
      expect([p4.items.length, p4.first, p4.firstIndex, p4.count]).to.deep.equal([0, undefined, undefined, 15]);
      const set = p4.fin.getChild('set', NS_RSM)!;
      expect(set.getChild('first')).to.equal(undefined);
    });

    it('gives count minus page size on the last page and counts down paging backwards', async () => {
      const p1 = await mamQuery(a, { max: 6, before: true });
      expect(idsOf(p1)).to.deep.equal(ids.slice(9));
      expect(p1.firstIndex).to.equal(9);   // XEP-0059: count minus the items of the last page
      const p2 = await mamQuery(a, { max: 6, before: p1.first });
      expect([p2.firstIndex, p2.first]).to.deep.equal([3, ids[3]]);
      const p3 = await mamQuery(a, { max: 6, before: p2.first });
      expect([p3.firstIndex, p3.items.length, p3.complete]).to.deep.equal([0, 3, true]);
      const mid = await mamQuery(a, { max: 2, before: ids[8] });
      expect([mid.first, mid.firstIndex]).to.deep.equal([ids[6], 6]);
    });

    it('counts positions within the with, start and end filters', async () => {
      // carol's messages: c2 c5 c8 c11 c14
      const w1 = await mamQuery(a, { with: 'carol@localhost', max: 2 });
      expect([bodies(w1), w1.firstIndex, w1.count]).to.deep.equal([['c2', 'c5'], 0, 5]);
      const w2 = await mamQuery(a, { with: 'carol@localhost', max: 2, after: w1.last });
      expect([bodies(w2), w2.firstIndex]).to.deep.equal([['c8', 'c11'], 2]);
      const wl = await mamQuery(a, { with: 'carol@localhost', max: 2, before: true });
      expect([bodies(wl), wl.firstIndex]).to.deep.equal([['c11', 'c14'], 3]);

      const r1 = await mamQuery(a, { start: stamps[4], end: stamps[11], max: 3 });
      expect([idsOf(r1), r1.firstIndex, r1.count]).to.deep.equal([ids.slice(4, 7), 0, 8]);
      const r2 = await mamQuery(a, { start: stamps[4], end: stamps[11], max: 3, after: r1.last });
      expect([idsOf(r2), r2.firstIndex]).to.deep.equal([ids.slice(7, 10), 3]);
      const rl = await mamQuery(a, { start: stamps[4], end: stamps[11], max: 3, before: true });
      expect([idsOf(rl), rl.firstIndex]).to.deep.equal([ids.slice(9, 12), 5]);
      const rb = await mamQuery(a, { start: stamps[4], end: stamps[11], max: 2, before: ids[7] });
      expect([idsOf(rb), rb.firstIndex]).to.deep.equal([ids.slice(5, 7), 1]);

      // bob from b6 on: b6 b7 b9 b10 b12 b13
      const wb = await mamQuery(a, { with: 'bob@localhost', start: stamps[5], max: 4, before: true });
      expect([bodies(wb), wb.firstIndex, wb.count]).to.deep.equal([['b9', 'b10', 'b12', 'b13'], 2, 6]);
    });

    it('counts positions within an ids set, and from the start of the set with after-id and before-id', async () => {
      const picked = await mamQuery(a, { ids: [ids[9]!, ids[1]!, ids[5]!], max: 2, after: ids[1] });
      expect([idsOf(picked), picked.firstIndex, picked.count]).to.deep.equal([[ids[5], ids[9]], 1, 3]);
      // after-id and before-id bound the page like RSM <after/> and <before/>; <count/> and the index refer to the
      // whole set the with/start/end filters select (the same set as without them).
      const between = await mamQuery(a, { afterId: ids[2], beforeId: ids[9], max: 3 });
      expect([idsOf(between), between.firstIndex, between.count]).to.deep.equal([ids.slice(3, 6), 3, 15]);
      const betweenLast = await mamQuery(a, { afterId: ids[2], beforeId: ids[9], max: 2, before: true });
      expect([idsOf(betweenLast), betweenLast.firstIndex]).to.deep.equal([ids.slice(7, 9), 7]);
    });

    it('gives the position of the item <first/> names on a flipped page', async () => {
      const flipped = await mamQuery(a, { max: 4, before: true, flip: true });
      expect([flipped.first, flipped.firstIndex]).to.deep.equal([ids[14], 14]);
      const fwd = await mamQuery(a, { max: 4, after: ids[2], flip: true });
      expect([idsOf(fwd), fwd.firstIndex]).to.deep.equal([ids.slice(3, 7).reverse(), 6]);
    });

    it('jumps to a page by index', async () => {
      const j7 = await mamQuery(a, { index: 7, max: 3 });
      expect([idsOf(j7), j7.firstIndex, j7.count, j7.complete]).to.deep.equal([ids.slice(7, 10), 7, 15, false]);
      const j0 = await mamQuery(a, { index: 0, max: 2 });
      expect([idsOf(j0), j0.firstIndex]).to.deep.equal([ids.slice(0, 2), 0]);
      const tail = await mamQuery(a, { index: 12, max: 5 });
      expect([idsOf(tail), tail.firstIndex, tail.complete]).to.deep.equal([ids.slice(12), 12, true]);
      // paging on from a jump with <after/>
      const next = await mamQuery(a, { max: 3, after: j7.last });
      expect([idsOf(next), next.firstIndex]).to.deep.equal([ids.slice(10, 13), 10]);
      // without <max/>: the default page size
      const dflt = await mamQuery(a, { index: 1 });
      expect([dflt.items.length, dflt.firstIndex]).to.deep.equal([10, 1]);
      const flipped = await mamQuery(a, { index: 4, max: 3, flip: true });
      expect([idsOf(flipped), flipped.firstIndex]).to.deep.equal([ids.slice(4, 7).reverse(), 6]);
    });

    it('gives an empty, complete page for an index at or past the end', async () => {
      for (const index of [15, 16, 999_999_999]) {
        const p = await mamQuery(a, { index, max: 3 });
        expect([p.items.length, p.first, p.last, p.firstIndex, p.count, p.complete], String(index)).to.deep.equal([0, undefined, undefined, undefined, 15, true]);
      }
      const carol = await mamQuery(a, { with: 'carol@localhost', index: 5 });
      expect([carol.items.length, carol.count, carol.complete]).to.deep.equal([0, 5, true]);
    });

    it('jumps within the with, start, end and ids filters, and with after-id and before-id', async () => {
      const w = await mamQuery(a, { with: 'carol@localhost', index: 3, max: 10 });
      expect([bodies(w), w.firstIndex, w.count, w.complete]).to.deep.equal([['c11', 'c14'], 3, 5, true]);
      const r = await mamQuery(a, { start: stamps[4], end: stamps[11], index: 6, max: 5 });
      expect([idsOf(r), r.firstIndex, r.count]).to.deep.equal([ids.slice(10, 12), 6, 8]);
      const picked = await mamQuery(a, { ids: [ids[9]!, ids[1]!, ids[5]!], index: 2 });
      expect([idsOf(picked), picked.firstIndex]).to.deep.equal([[ids[9]], 2]);
      // before-id ends the page early
      const upTo = await mamQuery(a, { beforeId: ids[9], index: 7, max: 5 });
      expect([idsOf(upTo), upTo.firstIndex, upTo.complete]).to.deep.equal([ids.slice(7, 9), 7, true]);
      // an after-id beyond the index wins, as it does over an RSM <after/>
      const later = await mamQuery(a, { afterId: ids[10], index: 2, max: 2 });
      expect([idsOf(later), later.firstIndex]).to.deep.equal([ids.slice(11, 13), 11]);
      const earlier = await mamQuery(a, { afterId: ids[1], index: 5, max: 2 });
      expect([idsOf(earlier), earlier.firstIndex]).to.deep.equal([ids.slice(5, 7), 5]);
    });

    it('refuses malformed <index/> requests with bad-request and unknown ids with item-not-found', async () => {
      for (const text of ['abc', '-1', '', '1.5', '1e3', '12345678901']) {
        expect(await mamError(a, rawRsm(xml('index', {}, text))), `index '${text}'`).to.equal('bad-request');
      }
      expect(await mamError(a, { index: 2, after: ids[3] })).to.equal('bad-request');
      expect(await mamError(a, { index: 2, before: ids[3] })).to.equal('bad-request');
      expect(await mamError(a, { index: 2, before: true })).to.equal('bad-request');
      expect(await mamError(a, rawRsm(xml('index', {}, '1'), xml('after', {}, ids[3]!)))).to.equal('bad-request');
      expect(await mamError(a, { index: 2, afterId: 'no-such-id' })).to.equal('item-not-found');
      expect(await mamError(a, { index: 50, afterId: 'no-such-id' })).to.equal('item-not-found');
      expect(await mamError(a, { index: 50, ids: [ids[0]!, 'no-such-id'] })).to.equal('item-not-found');
    });
  });

  describe('a room archive', function () {
    let owner: MucUser;
    let bob: MucUser;
    let visitor: TestClient;
    let room: string;
    let ids: string[];
    before(async () => {
      owner = await MucUser.login(t.c2sPort, 'alice', 'muc');
      bob = await MucUser.login(t.c2sPort, 'bob', 'muc');
      visitor = await connect('carol');
      room = `rsm@${SERVICE}`;
      await owner.createRoom(room, 'Alice', { 'muc#roomconfig_enablearchiving': '1', 'muc#roomconfig_whois': 'anyone' });
      await bob.joinOk(room, 'Bob');
      // a0 a1 B2 a3 a4 B5 a6
      for (let i = 0; i < 7; i++) {
        const [u, nick] = i % 3 === 2 ? [bob, 'Bob'] : [owner, 'Alice'];
        await u.send(`<message to='${room}' type='groupchat'><body>r${i}</body></message>`);
        await u.waitFor((s) => s.name === 'message' && s.attrs.from === `${room}/${nick}` && s.getChildText('body') === `r${i}`);
      }
      const all = await mamQuery(visitor, { to: room, max: 20 });
      ids = idsOf(all);
      expect([ids.length, all.firstIndex, all.count]).to.deep.equal([7, 0, 7]);
    });
    after(async () => {
      await owner?.stop();
      await bob?.stop();
    });

    it('gives positions forwards, backwards and within a with filter', async () => {
      const p1 = await mamQuery(visitor, { to: room, max: 3 });
      expect([bodies(p1), p1.firstIndex, p1.count]).to.deep.equal([['r0', 'r1', 'r2'], 0, 7]);
      const p2 = await mamQuery(visitor, { to: room, max: 3, after: p1.last });
      expect([bodies(p2), p2.firstIndex]).to.deep.equal([['r3', 'r4', 'r5'], 3]);
      const last = await mamQuery(visitor, { to: room, max: 3, before: true });
      expect([bodies(last), last.firstIndex]).to.deep.equal([['r4', 'r5', 'r6'], 4]);
      const back = await mamQuery(visitor, { to: room, max: 3, before: last.first });
      expect([bodies(back), back.firstIndex]).to.deep.equal([['r1', 'r2', 'r3'], 1]);
      const byBob = await mamQuery(visitor, { to: room, with: 'bob@localhost', max: 1, before: true });
      expect([bodies(byBob), byBob.firstIndex, byBob.count]).to.deep.equal([['r5'], 1, 2]);
    });

    it('jumps by index, and refuses a bad one', async () => {
      const j = await mamQuery(visitor, { to: room, index: 5, max: 3 });
      expect([bodies(j), j.firstIndex, j.complete]).to.deep.equal([['r5', 'r6'], 5, true]);
      const past = await mamQuery(visitor, { to: room, index: 7 });
      expect([past.items.length, past.count, past.complete]).to.deep.equal([0, 7, true]);
      expect(await mamError(visitor, { to: room, index: 1, after: ids[0] })).to.equal('bad-request');
      const bad = xml('query', { xmlns: NS_MAM }, xml('set', { xmlns: NS_RSM }, xml('index', {}, 'x')));
      let condition = '';
      try {
        await visitor.xmpp.iqCaller.request(xml('iq', { type: 'set', to: room, id: 'bad-index' }, bad));
      } catch (err) {
        condition = (err as { condition?: string }).condition ?? String(err);
      }
      expect(condition).to.equal('bad-request');
    });
  });
});
