// The archive store's RSM-index support, the same for every driver: `offset` (a page that starts N matches in,
// forwards or backwards) and `position` (the 0-based position of a page's first item among all matches, the
// XEP-0059 <first index/>), with filters, ids and after/before; for SQLite also that the count behind the
// position is read from an index, not the table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStorage } from '../../src/storage/index.js';
import type { SqliteStorage } from '../../src/storage/sqlite/driver.js';
import type { ArchiveItem, ArchiveStore, StorageDriver } from '../../src/storage/types.js';

const T0 = 1_700_000_000_000;
const PEERS = ['juliet@capulet.lit', 'nurse@capulet.lit', 'romeo@montague.lit'];

/** m0..m(n-1) for `user`, one second apart, peers in turn (m0 juliet, m1 nurse, m2 romeo, m3 juliet, ...). */
async function fill(a: ArchiveStore, user: string, n: number): Promise<ArchiveItem[]> {
  const out: ArchiveItem[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await a.append(user, { id: `m${i}`, when: T0 + i * 1000, with: PEERS[i % 3]!, kind: 'chat', xml: `<message id='${i}'/>` }));
  }
  return out;
}

const ids = (items: ArchiveItem[]) => items.map((i) => i.id);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

function positionContract(label: string, open: () => Promise<{ driver: StorageDriver; cleanup(): Promise<void> }>): void {
  describe(`archive offset and position: ${label}`, () => {
    let h: { driver: StorageDriver; cleanup(): Promise<void> };
    let a: ArchiveStore;
    beforeEach(async () => {
      h = await open();
      a = h.driver.open('example.com', 'mam', 'archive');
      await fill(a, 'alice', 20);
      await fill(a, 'bob', 3);   // another owner's rows are never counted
    });
    afterEach(() => h.cleanup());

    it('gives the position of the first item forwards, backwards and after/before an anchor', async () => {
      expect((await a.find('alice', { limit: 5, position: true })).index).to.equal(0);
      expect((await a.find('alice', { limit: 5, after: 'm6', position: true })).index).to.equal(7);
      const last = await a.find('alice', { limit: 5, reverse: true, total: true, position: true });
      expect([ids(last.items), last.index, last.total]).to.deep.equal([range(15, 20), 15, 20]);
      // backwards without the total
      expect((await a.find('alice', { limit: 4, before: 'm10', reverse: true, position: true })).index).to.equal(6);
      expect((await a.find('alice', { limit: 4, before: 'm2', reverse: true, total: true, position: true })).index).to.equal(0);
    });

    it('leaves index unset for an empty page and without position', async () => {
      expect((await a.find('alice', { after: 'm19', position: true })).index).to.equal(undefined);
      expect((await a.find('alice', { limit: 0, position: true })).index).to.equal(undefined);
      expect((await a.find('carol', { position: true })).index).to.equal(undefined);
      expect((await a.find('alice', { limit: 3 })).index).to.equal(undefined);
    });

    it('counts the position among the matches of with, start, end and ids only', async () => {
      // juliet: m0 m3 m6 m9 m12 m15 m18
      const j = await a.find('alice', { with: PEERS[0], after: 'm8', limit: 2, position: true, total: true });
      expect([ids(j.items), j.index, j.total]).to.deep.equal([['m9', 'm12'], 3, 7]);
      const jr = await a.find('alice', { with: PEERS[0], before: 'm15', limit: 2, reverse: true, position: true, total: true });
      expect([ids(jr.items), jr.index]).to.deep.equal([['m9', 'm12'], 3]);
      const t = await a.find('alice', { start: T0 + 5000, end: T0 + 14_000, after: 'm9', limit: 3, position: true });
      expect([ids(t.items), t.index]).to.deep.equal([['m10', 'm11', 'm12'], 5]);
      const both = await a.find('alice', { with: PEERS[1], start: T0 + 4000, reverse: true, limit: 2, position: true, total: true });
      expect([ids(both.items), both.index, both.total]).to.deep.equal([['m16', 'm19'], 4, 6]);   // nurse from m4: m4 m7 m10 m13 m16 m19
      const picked = await a.find('alice', { ids: ['m17', 'm2', 'm9', 'm4'], after: 'm4', limit: 1, position: true });
      expect([ids(picked.items), picked.index]).to.deep.equal([['m9'], 2]);
    });

    it('skips `offset` matches in the direction of travel, with the complete flag of the page', async () => {
      const f = await a.find('alice', { offset: 7, limit: 3, position: true });
      expect([ids(f.items), f.index, f.complete]).to.deep.equal([range(7, 10), 7, false]);
      const end = await a.find('alice', { offset: 17, limit: 3 });
      expect([ids(end.items), end.complete]).to.deep.equal([range(17, 20), true]);
      const past = await a.find('alice', { offset: 25, limit: 3, total: true });
      expect([ids(past.items), past.complete, past.total]).to.deep.equal([[], true, 20]);
      const r = await a.find('alice', { offset: 2, limit: 3, reverse: true, position: true });
      expect([ids(r.items), r.index, r.complete]).to.deep.equal([range(15, 18), 15, false]);
      const rStart = await a.find('alice', { offset: 18, limit: 3, reverse: true });
      expect([ids(rStart.items), rStart.complete]).to.deep.equal([['m0', 'm1'], true]);
      const filtered = await a.find('alice', { with: PEERS[2], after: 'm2', offset: 1, limit: 2, position: true });
      expect([ids(filtered.items), filtered.index]).to.deep.equal([['m8', 'm11'], 2]);   // romeo: m2 m5 m8 m11 m14 m17
      const noLimit = await a.find('alice', { offset: 18 });
      expect([ids(noLimit.items), noLimit.complete]).to.deep.equal([['m18', 'm19'], true]);
      const byIds = await a.find('alice', { ids: ['m1', 'm3', 'm5', 'm7'], offset: 1, limit: 2, position: true });
      expect([ids(byIds.items), byIds.index, byIds.complete]).to.deep.equal([['m3', 'm5'], 1, false]);
    });

    it('rejects a negative or fractional offset', async () => {
      for (const offset of [-1, 1.5]) {
        let err: unknown;
        try { await a.find('alice', { offset }); } catch (e) { err = e; }
        expect(err, String(offset)).to.be.instanceOf(RangeError);
      }
    });
  });
}

positionContract('memory', async () => {
  const driver = await openStorage({ driver: 'memory' });
  return { driver, cleanup: () => driver.close() };
});

positionContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'starling-position-'));
  const driver = await openStorage({ driver: 'sqlite', path: join(dir, 'starling.db') });
  return { driver, cleanup: async () => { await driver.close(); rmSync(dir, { recursive: true, force: true }); } };
});

describe('archive position: sqlite reads it from an index', () => {
  it('counts the rows before (or from) a page through a covering index, never the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starling-position-'));
    const s = (await openStorage({ driver: 'sqlite', path: join(dir, 'starling.db') })) as SqliteStorage;
    try {
      const plan = (sql: string) => (s.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<number>((sql.match(/\?/g) ?? []).length).fill(1)) as { detail: string }[])
        .map((r) => r.detail).join(' | ');
      const base = 'SELECT count(*) AS n FROM archive_items WHERE oid = ?';
      // Time bounds are sort id bounds (src/storage/sqlite/sort-ids.ts).
      for (const where of [' AND id < ?', ' AND id >= ?', ' AND with_bare = ? AND id < ?', ' AND with_bare = ? AND id >= ? AND id >= ?', ' AND id >= ? AND id <= ? AND id < ?']) {
        const p = plan(base + where);
        expect(p, where).to.match(/^SEARCH archive_items USING COVERING INDEX archive_items_\w+ \(oid=\?/);
        expect(p, where).to.not.match(/SCAN/);
      }
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
