// One contract suite for every storage driver (ARCHITECTURE.md §C7): memory and SQLite today.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import type { StoredCredentials } from '../../src/auth/types.js';
import { openStorage } from '../../src/storage/index.js';
import type { SqliteStorage } from '../../src/storage/sqlite/driver.js';
import { MIGRATIONS, runMigrations } from '../../src/storage/sqlite/migrations.js';
import type { ArchiveItem, ArchiveStore, StorageDriver } from '../../src/storage/types.js';

interface Harness {
  driver: StorageDriver;
  cleanup(): Promise<void>;
}

function cred(n: number): StoredCredentials {
  const c = (hash: string) => ({ salt: `salt-${hash}-${n}`, iterations: 4096 + n, storedKey: `sk-${hash}-${n}`, serverKey: `svk-${hash}-${n}` });
  return { 'SHA-1': c('1'), 'SHA-256': c('256') };
}

/** Rejection of a promise, as a value (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

const T0 = 1_700_000_000_000;

/** Appends m1..mN for `user`, one second apart, alternating between two peers. */
async function fill(a: ArchiveStore, user: string, n: number): Promise<ArchiveItem[]> {
  const out: ArchiveItem[] = [];
  for (let i = 1; i <= n; i++) {
    out.push(await a.append(user, { id: `m${i}`, when: T0 + i * 1000, with: i % 2 ? 'juliet@capulet.lit' : 'nurse@capulet.lit', kind: 'chat', xml: `<message id='${i}'/>` }));
  }
  return out;
}

const ids = (items: ArchiveItem[]) => items.map((i) => i.id);

function storageContract(label: string, create: () => Promise<Harness>): void {
  describe(`storage contract: ${label}`, () => {
    let h: Harness;
    let s: StorageDriver;
    beforeEach(async () => {
      h = await create();
      s = h.driver;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    describe('accounts', () => {
      it('creates an account and reads it back', async () => {
        const before = Date.now();
        expect(await s.accounts.create('example.com', 'alice', cred(1))).to.equal(true);
        const rec = await s.accounts.get('example.com', 'alice');
        expect(rec).to.not.equal(null);
        expect(rec!.host).to.equal('example.com');
        expect(rec!.username).to.equal('alice');
        expect(rec!.credentials).to.deep.equal(cred(1));
        expect(rec!.disabled).to.equal(false);
        expect(rec!.createdAt).to.be.within(before, Date.now());
      });

      it('refuses a duplicate without changing the existing account', async () => {
        await s.accounts.create('example.com', 'alice', cred(1));
        expect(await s.accounts.create('example.com', 'alice', cred(2))).to.equal(false);
        expect((await s.accounts.get('example.com', 'alice'))!.credentials).to.deep.equal(cred(1));
      });

      it('gives null for an unknown account', async () => {
        expect(await s.accounts.get('example.com', 'nobody')).to.equal(null);
      });

      it('replaces credentials, and says false for an unknown account', async () => {
        await s.accounts.create('example.com', 'alice', cred(1));
        expect(await s.accounts.setCredentials('example.com', 'alice', cred(2))).to.equal(true);
        expect((await s.accounts.get('example.com', 'alice'))!.credentials).to.deep.equal(cred(2));
        expect(await s.accounts.setCredentials('example.com', 'nobody', cred(2))).to.equal(false);
        expect(await s.accounts.get('example.com', 'nobody')).to.equal(null);
      });

      it('disables and re-enables an account', async () => {
        await s.accounts.create('example.com', 'alice', cred(1));
        expect(await s.accounts.setDisabled('example.com', 'alice', true)).to.equal(true);
        expect((await s.accounts.get('example.com', 'alice'))!.disabled).to.equal(true);
        expect(await s.accounts.setDisabled('example.com', 'alice', false)).to.equal(true);
        expect((await s.accounts.get('example.com', 'alice'))!.disabled).to.equal(false);
        expect(await s.accounts.setDisabled('example.com', 'nobody', true)).to.equal(false);
      });

      it('deletes an account once', async () => {
        await s.accounts.create('example.com', 'alice', cred(1));
        expect(await s.accounts.delete('example.com', 'alice')).to.equal(true);
        expect(await s.accounts.get('example.com', 'alice')).to.equal(null);
        expect(await s.accounts.delete('example.com', 'alice')).to.equal(false);
        expect(await s.accounts.create('example.com', 'alice', cred(3))).to.equal(true);
      });

      it('lists usernames sorted (binary order)', async () => {
        for (const u of ['carol', 'alice', 'bob', 'Zed', 'émile', '😀', '\uffee']) await s.accounts.create('example.com', u, cred(1));
        expect(await s.accounts.list('example.com')).to.deep.equal(['Zed', 'alice', 'bob', 'carol', 'émile', '\uffee', '😀']);
        expect(await s.accounts.list('empty.example')).to.deep.equal([]);
      });

      it('keeps hosts apart', async () => {
        await s.accounts.create('a.example', 'alice', cred(1));
        await s.accounts.create('b.example', 'alice', cred(2));
        await s.accounts.create('b.example', 'bob', cred(3));
        expect((await s.accounts.get('a.example', 'alice'))!.credentials).to.deep.equal(cred(1));
        expect((await s.accounts.get('b.example', 'alice'))!.credentials).to.deep.equal(cred(2));
        expect(await s.accounts.list('a.example')).to.deep.equal(['alice']);
        expect(await s.accounts.list('b.example')).to.deep.equal(['alice', 'bob']);
        await s.accounts.setDisabled('a.example', 'alice', true);
        expect((await s.accounts.get('b.example', 'alice'))!.disabled).to.equal(false);
        await s.accounts.delete('a.example', 'alice');
        expect(await s.accounts.get('b.example', 'alice')).to.not.equal(null);
      });
    });

    describe('keyval', () => {
      it('gets null, then what was set, then the overwrite', async () => {
        const kv = s.open('example.com', 'private', 'keyval');
        expect(await kv.get('alice')).to.equal(null);
        await kv.set('alice', { a: [1, 2, { b: 'ü' }] });
        expect(await kv.get('alice')).to.deep.equal({ a: [1, 2, { b: 'ü' }] });
        await kv.set('alice', 'second');
        expect(await kv.get('alice')).to.equal('second');
      });

      it('deletes on null and keeps falsy values', async () => {
        const kv = s.open('example.com', 'private', 'keyval');
        await kv.set('alice', { x: 1 });
        await kv.set('alice', null);
        expect(await kv.get('alice')).to.equal(null);
        await kv.set('alice', null);            // deleting nothing is fine
        for (const v of [false, 0, '', []]) {
          await kv.set('alice', v);
          expect(await kv.get('alice')).to.deep.equal(v);
        }
      });

      it('returns copies, not the stored value', async () => {
        const kv = s.open('example.com', 'private', 'keyval');
        const value = { list: [1] };
        await kv.set('alice', value);
        value.list.push(2);
        const got = (await kv.get('alice')) as { list: number[] };
        expect(got).to.deep.equal({ list: [1] });
        got.list.push(3);
        expect(await kv.get('alice')).to.deep.equal({ list: [1] });
      });

      it('rejects a value JSON cannot hold', async () => {
        const kv = s.open('example.com', 'private', 'keyval');
        expect(await rejection(kv.set('alice', undefined as unknown as null))).to.be.instanceOf(TypeError);
      });

      it('keeps users, stores and hosts apart', async () => {
        const a = s.open('example.com', 'private', 'keyval');
        const b = s.open('example.com', 'vcard', 'keyval');
        const c = s.open('other.example', 'private', 'keyval');
        await a.set('alice', 'a');
        await b.set('alice', 'b');
        await c.set('alice', 'c');
        await a.set('bob', 'a-bob');
        expect(await a.get('alice')).to.equal('a');
        expect(await b.get('alice')).to.equal('b');
        expect(await c.get('alice')).to.equal('c');
        await a.set('alice', null);
        expect(await b.get('alice')).to.equal('b');
        expect(await c.get('alice')).to.equal('c');
        expect(await a.get('bob')).to.equal('a-bob');
      });
    });

    describe('map', () => {
      it('gets, sets, overwrites and deletes single keys', async () => {
        const m = s.open('example.com', 'pep', 'map');
        expect(await m.get('alice', 'urn:x')).to.equal(null);
        await m.set('alice', 'urn:x', { n: 1 });
        await m.set('alice', 'urn:y', [true]);
        expect(await m.get('alice', 'urn:x')).to.deep.equal({ n: 1 });
        await m.set('alice', 'urn:x', { n: 2 });
        expect(await m.get('alice', 'urn:x')).to.deep.equal({ n: 2 });
        await m.set('alice', 'urn:x', null);
        expect(await m.get('alice', 'urn:x')).to.equal(null);
        expect(await m.get('alice', 'urn:y')).to.deep.equal([true]);
      });

      it('gets all keys of a user, sorted, and deletes them all', async () => {
        const m = s.open('example.com', 'pep', 'map');
        await m.set('alice', 'b', 2);
        await m.set('alice', 'a', 1);
        await m.set('alice', 'c', { three: 3 });
        await m.set('bob', 'a', 'bob');
        const all = await m.getAll('alice');
        expect([...all.entries()]).to.deep.equal([['a', 1], ['b', 2], ['c', { three: 3 }]]);
        expect((await m.getAll('nobody')).size).to.equal(0);
        await m.deleteAll('alice');
        expect((await m.getAll('alice')).size).to.equal(0);
        expect(await m.get('alice', 'a')).to.equal(null);
        expect(await m.get('bob', 'a')).to.equal('bob');
      });

      it('keeps stores and hosts apart', async () => {
        const a = s.open('example.com', 'pep', 'map');
        const b = s.open('example.com', 'bookmarks', 'map');
        const c = s.open('other.example', 'pep', 'map');
        await a.set('alice', 'k', 'a');
        await b.set('alice', 'k', 'b');
        await c.set('alice', 'k', 'c');
        await a.deleteAll('alice');
        expect(await b.get('alice', 'k')).to.equal('b');
        expect(await c.get('alice', 'k')).to.equal('c');
      });
    });

    describe('archive', () => {
      let a: ArchiveStore;
      beforeEach(() => {
        a = s.open('example.com', 'mam', 'archive');
      });

      it('appends with a given id and returns the stored item', async () => {
        const item = await a.append('alice', { id: 'abc', when: T0, with: 'juliet@capulet.lit', kind: 'chat', xml: '<message/>' });
        expect(item).to.deep.include({ id: 'abc', when: T0, with: 'juliet@capulet.lit', kind: 'chat', xml: '<message/>' });
        expect(item.sortId).to.be.a('number');
        const found = await a.find('alice', {});
        expect(found.items).to.deep.equal([item]);
        expect(found.complete).to.equal(true);
      });

      it('generates random url-safe ids and increasing sortIds', async () => {
        const x = await a.append('alice', { when: T0, with: 'j@c', kind: 'chat', xml: '<a/>' });
        const y = await a.append('alice', { when: T0, with: 'j@c', kind: 'chat', xml: '<b/>' });
        expect(x.id).to.match(/^[A-Za-z0-9_-]{16,}$/);
        expect(y.id).to.not.equal(x.id);
        expect(y.sortId).to.be.greaterThan(x.sortId);
      });

      it('rejects a duplicate given id, but not for another user or store', async () => {
        await a.append('alice', { id: 'dup', when: T0, with: 'j@c', kind: 'chat', xml: '<a/>' });
        const err = await rejection(a.append('alice', { id: 'dup', when: T0 + 1, with: 'j@c', kind: 'chat', xml: '<b/>' }));
        expect(err.code).to.equal('conflict');
        await a.append('bob', { id: 'dup', when: T0, with: 'j@c', kind: 'chat', xml: '<c/>' });
        await s.open('example.com', 'muc', 'archive').append('alice', { id: 'dup', when: T0, with: 'j@c', kind: 'chat', xml: '<d/>' });
        const all = await a.find('alice', {});
        expect(all.items.map((i) => i.xml)).to.deep.equal(['<a/>']);
      });

      it('appends many items for several users in one call, in order, all or nothing', async () => {
        const out = await a.appendMany([
          { user: 'alice', id: 'b1', when: T0, with: 'j@c', kind: 'chat', xml: '<a/>' },
          { user: 'bob', when: T0 + 1, with: 'k@c', kind: 'chat', xml: '<b/>' },
          { user: 'alice', id: 'b2', when: T0 + 2, with: 'j@c', kind: 'normal', xml: '<c/>' },
        ]);
        expect(out.map((i) => i.xml)).to.deep.equal(['<a/>', '<b/>', '<c/>']);
        expect(out[1]!.id).to.match(/^[A-Za-z0-9_-]{16,}$/);
        expect(out[1]!.sortId).to.be.greaterThan(out[0]!.sortId);
        expect(out[2]!.sortId).to.be.greaterThan(out[1]!.sortId);
        expect((await a.find('alice', {})).items).to.deep.equal([out[0], out[2]]);
        expect((await a.find('bob', {})).items).to.deep.equal([out[1]]);
        // a conflicting id anywhere in the batch stores nothing of it
        const err = await rejection(a.appendMany([
          { user: 'carol', id: 'c1', when: T0, with: 'j@c', kind: 'chat', xml: '<x/>' },
          { user: 'alice', id: 'b2', when: T0, with: 'j@c', kind: 'chat', xml: '<y/>' },
        ]));
        expect(err.code).to.equal('conflict');
        expect((await a.find('carol', {})).items).to.deep.equal([]);
        expect(await a.appendMany([])).to.deep.equal([]);
      });

      it('finds everything oldest first, and by peer', async () => {
        await fill(a, 'alice', 6);
        expect(ids((await a.find('alice', {})).items)).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
        const r = await a.find('alice', { with: 'nurse@capulet.lit' });
        expect(ids(r.items)).to.deep.equal(['m2', 'm4', 'm6']);
        expect(r.complete).to.equal(true);
        expect((await a.find('alice', { with: 'romeo@montague.lit' })).items).to.deep.equal([]);
        expect((await a.find('bob', {})).items).to.deep.equal([]);
      });

      it('finds by time range, bounds inclusive', async () => {
        await fill(a, 'alice', 6);
        expect(ids((await a.find('alice', { start: T0 + 2000, end: T0 + 4000 })).items)).to.deep.equal(['m2', 'm3', 'm4']);
        expect(ids((await a.find('alice', { start: T0 + 5000 })).items)).to.deep.equal(['m5', 'm6']);
        expect(ids((await a.find('alice', { end: T0 + 1000 })).items)).to.deep.equal(['m1']);
        expect(ids((await a.find('alice', { start: T0 + 2500, end: T0 + 5500, with: 'juliet@capulet.lit' })).items)).to.deep.equal(['m3', 'm5']);
      });

      it('finds by ids, in archive order, ignoring unknown ids', async () => {
        await fill(a, 'alice', 6);
        const r = await a.find('alice', { ids: ['m5', 'nope', 'm2', 'm5'], total: true });
        expect(ids(r.items)).to.deep.equal(['m2', 'm5']);
        expect(r.total).to.equal(2);
        expect(r.complete).to.equal(true);
        expect(ids((await a.find('alice', { ids: ['m5', 'm2', 'm3'], with: 'juliet@capulet.lit' })).items)).to.deep.equal(['m3', 'm5']);
        expect(ids((await a.find('alice', { ids: ['m1', 'm2', 'm3', 'm4'], limit: 2, reverse: true })).items)).to.deep.equal(['m3', 'm4']);
        expect((await a.find('alice', { ids: [] })).items).to.deep.equal([]);
      });

      it('pages forwards with after, with complete flags', async () => {
        await fill(a, 'alice', 10);
        const p1 = await a.find('alice', { limit: 4 });
        expect(ids(p1.items)).to.deep.equal(['m1', 'm2', 'm3', 'm4']);
        expect(p1.complete).to.equal(false);
        const p2 = await a.find('alice', { limit: 4, after: 'm4' });
        expect(ids(p2.items)).to.deep.equal(['m5', 'm6', 'm7', 'm8']);
        expect(p2.complete).to.equal(false);
        const p3 = await a.find('alice', { limit: 4, after: 'm8' });
        expect(ids(p3.items)).to.deep.equal(['m9', 'm10']);
        expect(p3.complete).to.equal(true);
        const p4 = await a.find('alice', { limit: 4, after: 'm10' });
        expect(p4.items).to.deep.equal([]);
        expect(p4.complete).to.equal(true);
      });

      it('is complete when the last page is exactly full', async () => {
        await fill(a, 'alice', 8);
        const fwd = await a.find('alice', { limit: 4, after: 'm4' });
        expect(ids(fwd.items)).to.deep.equal(['m5', 'm6', 'm7', 'm8']);
        expect(fwd.complete).to.equal(true);
        const back = await a.find('alice', { limit: 4, before: 'm5', reverse: true });
        expect(ids(back.items)).to.deep.equal(['m1', 'm2', 'm3', 'm4']);
        expect(back.complete).to.equal(true);
      });

      it('pages backwards with reverse and before, each page oldest first', async () => {
        await fill(a, 'alice', 10);
        const p1 = await a.find('alice', { limit: 4, reverse: true });
        expect(ids(p1.items)).to.deep.equal(['m7', 'm8', 'm9', 'm10']);
        expect(p1.complete).to.equal(false);
        const p2 = await a.find('alice', { limit: 4, reverse: true, before: 'm7' });
        expect(ids(p2.items)).to.deep.equal(['m3', 'm4', 'm5', 'm6']);
        expect(p2.complete).to.equal(false);
        const p3 = await a.find('alice', { limit: 4, reverse: true, before: 'm3' });
        expect(ids(p3.items)).to.deep.equal(['m1', 'm2']);
        expect(p3.complete).to.equal(true);
      });

      it('pages within a filter and between two anchors', async () => {
        await fill(a, 'alice', 10);
        const r = await a.find('alice', { with: 'juliet@capulet.lit', after: 'm2', limit: 2 });
        expect(ids(r.items)).to.deep.equal(['m3', 'm5']);
        expect(r.complete).to.equal(false);
        const between = await a.find('alice', { after: 'm3', before: 'm7' });
        expect(ids(between.items)).to.deep.equal(['m4', 'm5', 'm6']);
        expect(between.complete).to.equal(true);
        const between2 = await a.find('alice', { after: 'm3', before: 'm7', limit: 2, reverse: true });
        expect(ids(between2.items)).to.deep.equal(['m5', 'm6']);
        expect(between2.complete).to.equal(false);
        const timed = await a.find('alice', { start: T0 + 3000, end: T0 + 8000, limit: 2, reverse: true, before: 'm8' });
        expect(ids(timed.items)).to.deep.equal(['m6', 'm7']);
        expect(timed.complete).to.equal(false);
      });

      it('counts the total ignoring after, before and limit', async () => {
        await fill(a, 'alice', 10);
        await fill(a, 'bob', 3);
        const r = await a.find('alice', { limit: 2, after: 'm2', total: true });
        expect(r.total).to.equal(10);
        expect(ids(r.items)).to.deep.equal(['m3', 'm4']);
        expect((await a.find('alice', { with: 'nurse@capulet.lit', before: 'm9', reverse: true, limit: 1, total: true })).total).to.equal(5);
        expect((await a.find('alice', { start: T0 + 4000, end: T0 + 6000, total: true })).total).to.equal(3);
        expect((await a.find('carol', { total: true })).total).to.equal(0);
        expect(await a.find('alice', { limit: 1 })).to.not.have.property('total');
      });

      it('honours limit, including 0', async () => {
        await fill(a, 'alice', 5);
        expect(ids((await a.find('alice', { limit: 3 })).items)).to.deep.equal(['m1', 'm2', 'm3']);
        const zero = await a.find('alice', { limit: 0 });
        expect(zero.items).to.deep.equal([]);
        expect(zero.complete).to.equal(false);
        expect((await a.find('carol', { limit: 0 })).complete).to.equal(true);
        expect(await rejection(a.find('alice', { limit: -1 }))).to.be.instanceOf(RangeError);
      });

      it('refuses item times outside 1970..2248 in every driver (RangeError), and takes both ends', async () => {
        const latest = Math.floor(Number.MAX_SAFE_INTEGER / 1024) - 1;
        for (const when of [-1, latest + 1]) {
          expect(await rejection(a.append('alice', { when, with: 'bob@localhost', kind: 'chat', xml: '<message/>' })), String(when)).to.be.instanceOf(RangeError);
          expect(await rejection(a.appendMany([{ user: 'alice', when, with: 'bob@localhost', kind: 'chat', xml: '<message/>' }]))).to.be.instanceOf(RangeError);
          expect(() => a.newId(when)).to.throw(RangeError);
        }
        for (const when of [0, latest]) await a.append('alice', { when, with: 'bob@localhost', kind: 'chat', xml: '<message/>' });
        expect((await a.find('alice', {})).items.map((i) => i.when)).to.deep.equal([0, latest]);
      });

      it('rejects an unknown after or before with item-not-found', async () => {
        await fill(a, 'alice', 3);
        await fill(a, 'bob', 5);
        expect((await rejection(a.find('alice', { after: 'nope' }))).code).to.equal('item-not-found');
        expect((await rejection(a.find('alice', { before: 'nope', reverse: true }))).code).to.equal('item-not-found');
        expect((await rejection(a.find('alice', { after: 'm5' }))).code).to.equal('item-not-found');   // bob's, not alice's
        expect((await rejection(a.find('alice', { after: 'nope', ids: ['m1'] }))).code).to.equal('item-not-found');
        expect((await rejection(s.open('example.com', 'other', 'archive').find('alice', { after: 'm1' }))).code).to.equal('item-not-found');
      });

      it('deletes by peer and by time, returning the count', async () => {
        await fill(a, 'alice', 10);
        await fill(a, 'bob', 10);
        expect(await a.delete('alice', { with: 'nurse@capulet.lit' })).to.equal(5);
        expect(ids((await a.find('alice', {})).items)).to.deep.equal(['m1', 'm3', 'm5', 'm7', 'm9']);
        expect(await a.delete('alice', { start: T0 + 3000, end: T0 + 7000 })).to.equal(3);
        expect(ids((await a.find('alice', {})).items)).to.deep.equal(['m1', 'm9']);
        expect(await a.delete('alice', { with: 'juliet@capulet.lit', end: T0 + 1000 })).to.equal(1);
        expect(ids((await a.find('alice', {})).items)).to.deep.equal(['m9']);
        expect(await a.delete('alice')).to.equal(1);
        expect((await a.find('alice', {})).items).to.deep.equal([]);
        expect(await a.delete('alice')).to.equal(0);
        expect((await a.find('bob', {})).items).to.have.length(10);
        // ids of deleted items are free again, and unknown as anchors
        expect((await rejection(a.find('alice', { after: 'm1' }))).code).to.equal('item-not-found');
        await a.append('alice', { id: 'm1', when: T0, with: 'j@c', kind: 'chat', xml: '<again/>' });
      });

      it('deletes items older than a time for every user of the store only', async () => {
        const other = s.open('example.com', 'muc', 'archive');
        await fill(a, 'alice', 10);
        await fill(a, 'bob', 4);
        await fill(other, 'alice', 10);
        expect(await a.deleteOlderThan(T0 + 5000)).to.equal(4 + 4);
        expect(ids((await a.find('alice', {})).items)).to.deep.equal(['m5', 'm6', 'm7', 'm8', 'm9', 'm10']);
        expect((await a.find('bob', {})).items).to.deep.equal([]);
        expect((await other.find('alice', {})).items).to.have.length(10);
        expect(await a.deleteOlderThan(T0)).to.equal(0);
      });

      it('counts the items of every user of the store, and only of this store', async () => {
        const other = s.open('example.com', 'muc', 'archive');
        expect(await a.countAll()).to.equal(0);
        await fill(a, 'alice', 3);
        await fill(a, 'bob', 2);
        await fill(other, 'alice', 7);
        expect(await a.countAll()).to.equal(5);
        expect(await other.countAll()).to.equal(7);
        await a.delete('bob');
        expect(await a.countAll()).to.equal(3);
      });

      it('keeps sortIds growing after deletes', async () => {
        const [first] = await fill(a, 'alice', 3);
        await a.delete('alice');
        // (SQLite sort ids are time order: a newer item sorts after the deleted ones, and never takes their ids.)
        const next = await a.append('alice', { when: T0 + 60_000, with: 'j@c', kind: 'chat', xml: '<n/>' });
        expect(next.sortId).to.be.greaterThan(first!.sortId + 2);
      });
    });

    describe('purgeUser', () => {
      it('removes the account, kv rows and archives of one user on one host', async () => {
        for (const host of ['example.com', 'other.example']) {
          for (const user of ['alice', 'bob']) {
            await s.accounts.create(host, user, cred(1));
            await s.open(host, 'private', 'keyval').set(user, { who: user });
            await s.open(host, 'roster', 'keyval').set(user, [user]);
            await s.open(host, 'pep', 'map').set(user, 'k1', 1);
            await s.open(host, 'pep', 'map').set(user, 'k2', 2);
            await fill(s.open(host, 'mam', 'archive'), user, 5);
            await fill(s.open(host, 'muc', 'archive'), user, 2);
          }
        }
        await s.purgeUser('example.com', 'alice');

        expect(await s.accounts.get('example.com', 'alice')).to.equal(null);
        expect(await s.open('example.com', 'private', 'keyval').get('alice')).to.equal(null);
        expect(await s.open('example.com', 'roster', 'keyval').get('alice')).to.equal(null);
        expect((await s.open('example.com', 'pep', 'map').getAll('alice')).size).to.equal(0);
        expect((await s.open('example.com', 'mam', 'archive').find('alice', {})).items).to.deep.equal([]);
        expect((await s.open('example.com', 'muc', 'archive').find('alice', {})).items).to.deep.equal([]);

        for (const [host, user] of [['example.com', 'bob'], ['other.example', 'alice'], ['other.example', 'bob']] as const) {
          expect(await s.accounts.get(host, user)).to.not.equal(null);
          expect(await s.open(host, 'private', 'keyval').get(user)).to.deep.equal({ who: user });
          expect(await s.open(host, 'roster', 'keyval').get(user)).to.deep.equal([user]);
          expect((await s.open(host, 'pep', 'map').getAll(user)).size).to.equal(2);
          expect((await s.open(host, 'mam', 'archive').find(user, {})).items).to.have.length(5);
          expect((await s.open(host, 'muc', 'archive').find(user, {})).items).to.have.length(2);
        }
        expect(await s.accounts.list('example.com')).to.deep.equal(['bob']);
      });

      it('is fine for a user with nothing stored', async () => {
        await s.purgeUser('example.com', 'nobody');
      });
    });

    describe('close', () => {
      it('makes later calls reject with a clear error', async () => {
        const kv = s.open('example.com', 'private', 'keyval');
        const a = s.open('example.com', 'mam', 'archive');
        await s.close();
        for (const p of [kv.get('alice'), a.find('alice', {}), a.append('alice', { when: T0, with: 'j@c', kind: 'chat', xml: '<x/>' }),
          s.accounts.get('example.com', 'alice'), s.purgeUser('example.com', 'alice'), s.migrate()]) {
          const err = await rejection(p);
          expect(err.code).to.equal('closed');
          expect(err.message).to.match(/closed/);
        }
        expect(() => s.open('example.com', 'x', 'map')).to.throw(/closed/);
        await s.close();   // twice is fine
      });
    });

    it('migrate() is idempotent', async () => {
      await s.migrate();
      await s.migrate();
      await s.accounts.create('example.com', 'alice', cred(1));
      await s.migrate();
      expect(await s.accounts.list('example.com')).to.deep.equal(['alice']);
    });
  });
}

storageContract('memory', async () => {
  const driver = await openStorage({ driver: 'memory' });
  return { driver, cleanup: () => driver.close() };
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'starling-storage-'));
}

storageContract('sqlite', async () => {
  const dir = tempDir();
  const driver = await openStorage({ driver: 'sqlite', path: join(dir, 'db', 'starling.db') });
  return {
    driver,
    cleanup: async () => {
      await driver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('storage: sqlite specifics', () => {
  let dir: string;
  let path: string;
  const open = async () => (await openStorage({ driver: 'sqlite', path })) as SqliteStorage;
  beforeEach(() => {
    dir = tempDir();
    path = join(dir, 'nested', 'dir', 'starling.db');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the parent directory, and keeps data across a reopen without re-running migrations', async () => {
    const first = await open();
    await first.accounts.create('example.com', 'alice', cred(1));
    await first.open('example.com', 'private', 'keyval').set('alice', { x: 1 });
    const item = await first.open('example.com', 'mam', 'archive').append('alice', { id: 'keep', when: T0, with: 'j@c', kind: 'chat', xml: '<x/>' });
    await first.close();

    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
    expect(runMigrations(raw)).to.equal(0);
    raw.close();

    const second = await open();   // migration 1 (plain CREATE TABLE) would fail if it ran again
    expect((await second.accounts.get('example.com', 'alice'))!.credentials).to.deep.equal(cred(1));
    expect(await second.open('example.com', 'private', 'keyval').get('alice')).to.deep.equal({ x: 1 });
    expect((await second.open('example.com', 'mam', 'archive').find('alice', {})).items).to.deep.equal([item]);
    await second.close();
  });

  it('migrates schema-1 archives to sort ids: same items, ids, times and order, per host, store and owner', async () => {
    // A schema-1 database as Starling wrote it before migration 2.
    mkdirSync(join(dir, 'nested', 'dir'), { recursive: true });
    const raw = new Database(path);
    runMigrations(raw, MIGRATIONS.slice(0, 1));
    const insert = raw.prepare('INSERT INTO archive (host, store, owner, stanza_id, ts, with_bare, kind, xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const rows: [string, string, string, string, number][] = [
      ['example.com', 'mam', 'alice', 'a1', T0 + 10], ['example.com', 'mam', 'alice', 'a2', T0 + 5],   // out of time order
      ['example.com', 'mam', 'alice', 'a3', T0 + 10], ['example.com', 'mam', 'bob', 'a1', T0],
      ['example.com', 'muc', 'alice', 'r1', T0 + 1], ['other.example', 'mam', 'alice', 'o1', T0 + 2],
    ];
    for (const [host, store, owner, id, ts] of rows) insert.run(host, store, owner, id, ts, 'j@c', 'chat', `<m id='${id}'/>`);
    raw.close();

    const s = await open();
    const a = s.open('example.com', 'mam', 'archive');
    const alice = await a.find('alice', { total: true });
    expect(alice.items.map((i) => [i.id, i.when])).to.deep.equal([['a2', T0 + 5], ['a1', T0 + 10], ['a3', T0 + 10]]);
    expect(alice.items.map((i) => i.xml)).to.deep.equal(["<m id='a2'/>", "<m id='a1'/>", "<m id='a3'/>"]);
    expect(ids((await a.find('alice', { after: 'a2' })).items)).to.deep.equal(['a1', 'a3']);
    expect(ids((await a.find('alice', { ids: ['a3', 'a1'] })).items)).to.deep.equal(['a1', 'a3']);
    expect(ids((await a.find('bob', {})).items)).to.deep.equal(['a1']);
    expect(ids((await s.open('example.com', 'muc', 'archive').find('alice', {})).items)).to.deep.equal(['r1']);
    expect(ids((await s.open('other.example', 'mam', 'archive').find('alice', {})).items)).to.deep.equal(['o1']);
    // New items go after the migrated ones; a migrated id is still refused as a duplicate.
    const next = await a.append('alice', { when: T0 + 20, with: 'j@c', kind: 'chat', xml: '<n/>' });
    expect(next.sortId).to.be.greaterThan(alice.items[2]!.sortId);
    expect((await rejection(a.append('alice', { id: 'a1', when: T0 + 30, with: 'j@c', kind: 'chat', xml: '<d/>' }))).code).to.equal('conflict');
    expect(s.database.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'archive'").pluck().get()).to.equal(0);
    await s.close();
  });

  it('applies only the new migrations, each once', async () => {
    (await open()).close();
    const raw = new Database(path);
    const next = [...MIGRATIONS, 'CREATE TABLE extra (x INTEGER NOT NULL) STRICT;'];
    expect(runMigrations(raw, next)).to.equal(1);
    expect(runMigrations(raw, next)).to.equal(0);
    expect(raw.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length + 1);
    raw.close();
  });

  it('refuses a database from a newer version, without touching it', async () => {
    (await open()).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    const err = await rejection(open());
    expect(err.message).to.contain(path);
    expect(err.message).to.match(/newer/);
    expect(err.code).to.equal('schema-too-new');
    const check = new Database(path);
    expect(check.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length + 1);
    check.close();
  });

  it('names the path when the file cannot be opened', async () => {
    const err = await rejection(openStorage({ driver: 'sqlite', path: dir }));   // a directory
    expect(err.message).to.contain(dir);
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not a database, just text that is long enough to have a header'.repeat(20));
    const err2 = await rejection(openStorage({ driver: 'sqlite', path: garbage }));
    expect(err2.message).to.contain(garbage);
  });

  it('runs in WAL mode with the configured pragmas', async () => {
    const s = await open();
    const db = s.database;
    expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    expect(db.pragma('synchronous', { simple: true })).to.equal(1);   // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).to.equal(5000);
    expect(db.pragma('foreign_keys', { simple: true })).to.equal(1);
    expect(String(db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'archive_items'").pluck().get())).to.match(/STRICT\s*$/);
    await s.close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).to.equal('wal');
    raw.close();
  });

  it('reads pages through indexes, never the whole table', async () => {
    const s = await open();
    const plan = (sql: string) => (s.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<number>((sql.match(/\?/g) ?? []).length).fill(1)) as { detail: string }[])
      .map((r) => r.detail).join(' | ');
    const inner = (where: string, order = 'DESC') => `SELECT id, xml FROM archive_items WHERE id IN (SELECT id FROM archive_items WHERE oid = ?${where} ORDER BY id ${order} LIMIT ?) ORDER BY id ${order}`;
    // Time bounds are sort id bounds (sort-ids.ts), so every filter is a range of one index.
    for (const where of ['', ' AND id < ?', ' AND with_bare = ? AND id < ?', ' AND with_bare = ? AND id >= ?', ' AND id >= ? AND id <= ?']) {
      const p = plan(inner(where));
      expect(p, where).to.not.match(/SCAN archive|TEMP B-TREE/);
      expect(p, where).to.match(/COVERING INDEX archive_items_(owner|with)/);
    }
    await s.close();
  });

  describe('long deletes yield to the event loop', () => {
    let s: SqliteStorage;
    let a: ArchiveStore;
    beforeEach(async () => {
      s = await open();
      a = s.open('example.com', 'mam', 'archive');
      const rows = Array.from({ length: 5000 }, (_, i) => ({ user: 'alice', when: T0 + i, with: 'j@c', kind: 'chat', xml: '<m/>' }));
      await a.appendMany([...rows, { user: 'bob', id: 'b1', when: T0, with: 'j@c', kind: 'chat', xml: '<m/>' }]);
    });
    afterEach(async () => {
      await s.close();
    });

    /** Counts setImmediate turns taken while `work` runs. */
    async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
      let turns = 0;
      let running = true;
      const tick = () => { if (running) { turns++; setImmediate(tick); } };
      setImmediate(tick);
      await work();
      running = false;
      return turns;
    }

    it('archive delete', async () => {
      let n = 0;
      expect(await turnsDuring(async () => { n = await a.delete('alice'); })).to.be.at.least(4);
      expect(n).to.equal(5000);
      expect((await a.find('bob', {})).items).to.have.length(1);
    });

    it('deleteOlderThan', async () => {
      let n = 0;
      expect(await turnsDuring(async () => { n = await a.deleteOlderThan(T0 + 5000); })).to.be.at.least(4);
      expect(n).to.equal(5001);
    });

    it('purgeUser', async () => {
      expect(await turnsDuring(() => s.purgeUser('example.com', 'alice'))).to.be.at.least(4);
      expect((await a.find('alice', { total: true })).total).to.equal(0);
      expect((await a.find('bob', {})).items).to.have.length(1);
    });

    it('a callback scheduled before the delete runs before it resolves', async () => {
      let ran = false;
      setImmediate(() => { ran = true; });
      await a.delete('alice');
      expect(ran).to.equal(true);
    });
  });
});
