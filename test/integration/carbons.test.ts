// XEP-0280 Message Carbons over real sockets, with three resources: enable/disable, sent and received copies by
// the eligibility rules (full and bare JID delivery, priorities), private and no-copy (XEP-0334), the archive's
// stanza-id on the copies, and refusal for another account.
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { mamQuery } from '../helpers/mam.js';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const MODULES = { modules: { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, offline: {}, mam: {}, carbons: {} } };

const isCarbon = (kind: 'sent' | 'received') => (e: Element) => e.is('message') && e.getChild(kind, NS_CARBONS) !== undefined;
const inner = (e: Element, kind: 'sent' | 'received'): Element => e.getChild(kind, NS_CARBONS)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;

describe('message carbons (XEP-0280, XEP-0334 hints)', function () {
  let t: TestServer;
  const clients: TestClient[] = [];
  let one: TestClient;
  let two: TestClient;
  let three: TestClient;
  let bob: TestClient;
  let pings = 0;

  const connect = async (username: string, resource: string, priority = 0): Promise<TestClient> => {
    const c = await connectClient({ port: t.c2sPort, username, password: 'pw', resource });
    clients.push(c);
    await c.xmpp.send(xml('presence', {}, xml('priority', {}, String(priority))));
    await c.waitFor((e) => e.is('presence') && e.attrs.from === c.jid);
    return c;
  };
  const enable = (c: TestClient, on = true) => c.xmpp.iqCaller.request(xml('iq', { type: 'set', id: `cb${++pings}` }, xml(on ? 'enable' : 'disable', { xmlns: NS_CARBONS })));
  /** A round trip on `c`: whatever the server wrote to it before is in c.received afterwards. */
  const flush = (c: TestClient) => c.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }), 'localhost');
  const carbons = (c: TestClient) => c.received.filter((e) => isCarbon('sent')(e) || isCarbon('received')(e));
  const send = async (from: TestClient, to: string, id: string, ...children: Element[]) => {
    await from.xmpp.send(xml('message', { to, type: 'chat', id }, xml('body', {}, id), ...children));
  };

  beforeEach(async () => {
    t = await startTestServer(MODULES);
    for (const u of ['alice', 'bob']) await t.addUser(u, 'pw');
    one = await connect('alice', 'one', 5);
    two = await connect('alice', 'two');
    three = await connect('alice', 'three');
    bob = await connect('bob', 'phone');
    await enable(two);
    await enable(three);
    for (const c of [one, two, three]) c.received.splice(0);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await t.stop();
  });

  it('advertises urn:xmpp:carbons:2 on the server', async () => {
    const info = await one.xmpp.iqCaller.get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'localhost');
    expect(info.getChildren('feature').map((f) => f.attrs.var)).to.include.members([NS_CARBONS, 'urn:xmpp:carbons:rules:0']);
  });

  it('copies a received message to the enabled resources that did not get it (full and bare JID)', async () => {
    await send(bob, 'alice@localhost/one', 'to-full');
    await one.waitFor((e) => e.attrs.id === 'to-full');
    for (const c of [two, three]) {
      const copy = await c.waitFor(isCarbon('received'));
      expect(copy.attrs).to.include({ from: 'alice@localhost', to: c.jid, type: 'chat' });
      const m = inner(copy, 'received');
      expect(m.attrs).to.include({ id: 'to-full', from: 'bob@localhost/phone', to: 'alice@localhost/one', xmlns: 'jabber:client' });
      // the archive's id travels with the copy
      const sid = m.getChild('stanza-id', 'urn:xmpp:sid:0')!;
      expect(sid.attrs.by).to.equal('alice@localhost');
      expect((await mamQuery(c)).items.map((i) => i.id)).to.include(sid.attrs.id);
    }
    // to the bare JID: one has the highest priority and gets it; two and three get copies
    await send(bob, 'alice@localhost', 'to-bare');
    await one.waitFor((e) => e.attrs.id === 'to-bare');
    for (const c of [two, three]) expect(inner(await c.waitFor(isCarbon('received')), 'received').attrs.id).to.equal('to-bare');
    await flush(one);
    expect(carbons(one)).to.have.length(0);   // never enabled
  });

  it('copies a sent message to the other enabled resources, not to the sender, with the sender\'s stanza-id', async () => {
    await enable(one);
    await send(one, 'bob@localhost', 'out');
    const got = await bob.waitFor((e) => e.attrs.id === 'out');
    expect(got.getChildren('stanza-id', 'urn:xmpp:sid:0').map((s) => s.attrs.by)).to.deep.equal(['bob@localhost']);
    const archived = (await mamQuery(two)).items.find((i) => i.message.attrs.id === 'out')!;
    for (const c of [two, three]) {
      const copy = await c.waitFor(isCarbon('sent'));
      expect(copy.attrs).to.include({ from: 'alice@localhost', to: c.jid });
      const m = inner(copy, 'sent');
      expect(m.attrs).to.include({ id: 'out', from: 'alice@localhost/one', to: 'bob@localhost' });
      expect(m.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs).to.include({ by: 'alice@localhost', id: archived.id });
    }
    await flush(one);
    expect(carbons(one)).to.have.length(0);
  });

  it('makes no copies of private or no-copy messages, and strips <private/> before delivery', async () => {
    await send(one, 'bob@localhost', 'priv-out', xml('private', { xmlns: NS_CARBONS }));
    const got = await bob.waitFor((e) => e.attrs.id === 'priv-out');
    expect(got.getChild('private', NS_CARBONS)).to.equal(undefined);
    await send(one, 'bob@localhost', 'nocopy-out', xml('no-copy', { xmlns: 'urn:xmpp:hints' }));
    await bob.waitFor((e) => e.attrs.id === 'nocopy-out');
    await send(bob, 'alice@localhost/one', 'priv-in', xml('private', { xmlns: NS_CARBONS }));
    const pin = await one.waitFor((e) => e.attrs.id === 'priv-in');
    expect(pin.getChild('private', NS_CARBONS)).to.equal(undefined);
    await send(bob, 'alice@localhost', 'nocopy-in', xml('no-copy', { xmlns: 'urn:xmpp:hints' }));
    await one.waitFor((e) => e.attrs.id === 'nocopy-in');
    // a plain one afterwards does get copied, so the ones before would have arrived first
    await send(bob, 'alice@localhost/one', 'plain');
    for (const c of [two, three]) {
      const copy = await c.waitFor(isCarbon('received'));
      expect(inner(copy, 'received').attrs.id).to.equal('plain');
      await flush(c);
      expect(carbons(c)).to.have.length(0);
    }
  });

  it('follows the eligibility rules: chat and normal-with-body only', async () => {
    await bob.xmpp.send(xml('message', { to: 'alice@localhost/one', type: 'normal', id: 'n-empty' }, xml('subject', {}, 'x')));
    await bob.xmpp.send(xml('message', { to: 'alice@localhost/one', type: 'headline', id: 'hl' }, xml('body', {}, 'news')));
    await bob.xmpp.send(xml('message', { to: 'alice@localhost/one', type: 'chat', id: 'state' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await bob.xmpp.send(xml('message', { to: 'alice@localhost/one', id: 'n-body' }, xml('body', {}, 'hi')));
    await one.waitFor((e) => e.attrs.id === 'n-body');
    for (const c of [two, three]) {
      await c.waitFor((e) => isCarbon('received')(e) && inner(e, 'received').attrs.id === 'n-body');
      await flush(c);
      expect(carbons(c).map((e) => inner(e, 'received').attrs.id)).to.deep.equal(['state']);
    }
  });

  it('stops copying after disable, and refuses carbons for another account', async () => {
    await enable(three, false);
    await enable(three, false);   // twice is fine (§9.1)
    await send(bob, 'alice@localhost/one', 'after-disable');
    await two.waitFor(isCarbon('received'));
    await flush(three);
    expect(carbons(three)).to.have.length(0);
    let condition = '';
    try {
      await bob.xmpp.iqCaller.request(xml('iq', { type: 'set', to: 'alice@localhost', id: 'evil' }, xml('enable', { xmlns: NS_CARBONS })));
    } catch (e) { condition = (e as { condition: string }).condition; }
    expect(condition).to.equal('not-allowed');
  });
});
