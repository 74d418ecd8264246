// XEP-0054 vcard-temp and XEP-0153 avatar hashes over real sockets. A small test module stands in for
// roster and presence (bob is subscribed to alice's presence; broadcasts go to him and to alice's own
// resources), so these tests do not depend on those modules.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { clone } from 'ltx';
import { z } from 'zod';
import { defineModule } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { RawClient } from '../helpers/raw-client.js';
import { RawSessions } from '../helpers/raw-sessions.js';

const NS = 'vcard-temp';
const UPDATE = 'vcard-temp:x:update';

const presenceStub = defineModule({
  name: 'presence_stub',
  description: 'test helper: roster subscriptions and minimal presence broadcast',
  options: z.object({ subscribers: z.record(z.string(), z.array(z.string())).default({}) }).strict(),
  setup(ctx) {
    const subscribers = ctx.options.subscribers;
    const entry = (jid: string) => ({ jid, groups: [], subscription: 'from', ask: false, approved: false, pendingIn: false, hidden: false });
    (ctx.provide as (name: string, svc: unknown) => void)('roster', {
      items: async (user: string) => new Map((subscribers[user] ?? []).map((c) => [c, entry(c)])),
      item: async (user: string, c: string) => ((subscribers[user] ?? []).includes(c) ? entry(c) : null),
    });
    ctx.hook('pre-presence', async (ev) => {
      if (ev.stanza.attrs.to || !ev.origin?.jid) return false;
      ev.origin.presence = ev.stanza.attrs.type === 'unavailable' ? null : ev.stanza;
      const own = [...ctx.sessions.ofUser(ev.origin.username!).values()].map((s) => s.jid!.full());
      for (const to of [...(subscribers[ev.origin.username!] ?? []), ...own]) {
        const p = clone(ev.stanza);
        p.attrs.from = ev.origin.jid.full();
        p.attrs.to = to;
        await ctx.send(p);
      }
      return true;
    });
    ctx.hook('presence/bare', (ev) => {
      for (const s of ctx.sessions.ofUser(ev.to.local).values()) s.send(ev.stanza);
      return true;
    });
  },
});

const photo1 = Buffer.from('\x89PNG\r\n\x1a\nfirst avatar image bytes, not really a PNG', 'latin1');
const photo2 = Buffer.from('GIF89a second avatar', 'latin1');
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
/** base64 broken into lines, as clients send it (XEP-0153 §4.7: whitespace is ignored). */
const b64lines = (b: Buffer) => b.toString('base64').replace(/(.{16})/g, '$1\n');

const aliceCard = (photo?: Buffer) =>
  `<vCard xmlns='${NS}'><FN>Alice Liddell</FN><N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN></N><NICKNAME>ally &amp; co</NICKNAME>` +
  `<EMAIL><INTERNET/><USERID>alice@example.org</USERID></EMAIL><x:extra xmlns:x='urn:example:x' x:a='1'>kept</x:extra>` +
  (photo ? `<PHOTO><TYPE>image/png</TYPE><BINVAL>${b64lines(photo)}</BINVAL></PHOTO>` : '') + '</vCard>';

describe('vcard (XEP-0054, XEP-0153)', function () {
  let t: TestServer;
  const raw = new RawSessions(() => t.c2sPort, { idPrefix: 'v' });
  let alice: RawClient;
  let bob: RawClient;

  const login = (username: string, resource: string) => raw.login(username, resource);
  const iq = (c: RawClient, type: 'get' | 'set', payload: string, to?: string) => raw.iq(c, type, payload, to);
  const barrier = async (c: RawClient): Promise<string> => {
    const id = raw.nextId('b');
    c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    return (await c.expect(new RegExp(`^(.*?)<iq [^>]*id="${id}"[^>]*/>`, 's')))[1]!;
  };
  const start = async (dataDir?: string) => {
    t = await startTestServer({
      modules: { disco: {}, ping: {}, vcard: { maxBytes: 2048 }, presence_stub: { subscribers: { alice: ['bob@localhost'] } } },
    }, ['localhost'], { extraModules: [presenceStub], dataDir });
  };

  before(async () => {
    await start();
    for (const u of ['alice', 'bob', 'carol']) await t.addUser(u, 'pw');
    alice = await login('alice', 'home');
    bob = await login('bob', 'b');
  });
  after(async () => {
    raw.closeAll();
    await t.stop();
  });

  it('announces vcard-temp and answers an empty vCard for the own account when none is stored', async () => {
    const info = await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", 'localhost');
    expect(info).to.include(`<feature var="${NS}"/>`);
    const own = await iq(alice, 'get', `<vCard xmlns='${NS}'/>`);
    expect(own).to.match(new RegExp(`<iq type="result" id="v\\d+"[^>]*><vCard xmlns="${NS}"/></iq>`));
  });

  it("answers service-unavailable for another user's missing vCard and for an unknown user alike (§3.3)", async () => {
    const none = await iq(bob, 'get', `<vCard xmlns='${NS}'/>`, 'carol@localhost');
    expect(none).to.include('type="error"').and.include('<service-unavailable');
    const unknown = await iq(bob, 'get', `<vCard xmlns='${NS}'/>`, 'nobody@localhost');
    expect(unknown.replace(/ id="v\d+"/, '').replace('nobody', 'carol')).to.equal(none.replace(/ id="v\d+"/, ''));
  });

  it('stores the own vCard (with or without a to) and serves it to its owner and to others', async () => {
    expect(await iq(alice, 'set', aliceCard(photo1))).to.match(/^<iq type="result" id="v\d+"[^>]*\/>$/);
    const own = await iq(alice, 'get', `<vCard xmlns='${NS}'/>`, 'alice@localhost');
    expect(own).to.include('<FN>Alice Liddell</FN>').and.include('<NICKNAME>ally &amp; co</NICKNAME>')
      .and.include('<x:extra xmlns:x="urn:example:x" x:a="1">kept</x:extra>').and.include(b64lines(photo1));
    const other = await iq(bob, 'get', `<vCard xmlns='${NS}'/>`, 'alice@localhost');
    expect(other).to.include('from="alice@localhost"').and.include('<GIVEN>Alice</GIVEN>').and.include('<USERID>alice@example.org</USERID>');
  });

  it("refuses to change another user's vCard with forbidden (§3.2)", async () => {
    const res = await iq(bob, 'set', `<vCard xmlns='${NS}'><FN>Mallory</FN></vCard>`, 'alice@localhost');
    expect(res).to.include('type="error"').and.include('<error type="auth"><forbidden');
    expect(await iq(bob, 'get', `<vCard xmlns='${NS}'/>`, 'alice@localhost')).to.include('Alice Liddell').and.not.include('Mallory');
  });

  it('refuses a vCard over the size limit with not-acceptable and a text, and keeps the old one', async () => {
    const big = `<vCard xmlns='${NS}'><DESC>${'x'.repeat(3000)}</DESC></vCard>`;
    const res = await iq(alice, 'set', big);
    expect(res).to.include('type="error"').and.include('<not-acceptable').and.match(/<text [^>]*>the vCard is \d+ bytes; at most 2048 are accepted<\/text>/);
    expect(await iq(alice, 'get', `<vCard xmlns='${NS}'/>`)).to.include('Alice Liddell');
  });

  it('refuses a PHOTO whose BINVAL is not base64 with bad-request', async () => {
    const res = await iq(alice, 'set', `<vCard xmlns='${NS}'><PHOTO><BINVAL>not*base64!</BINVAL></PHOTO></vCard>`);
    expect(res).to.include('<bad-request').and.include('BINVAL');
  });

  it('adds the photo hash to a broadcast presence without one (XEP-0153)', async () => {
    alice.send('<presence><show>chat</show></presence>');
    const p = (await bob.expect(/<presence [^>]*>.*?<\/presence>/s))[0];
    expect(p).to.include('from="alice@localhost/home"').and.include('<show>chat</show>')
      .and.include(`<x xmlns="${UPDATE}"><photo>${sha1(photo1)}</photo></x>`);
    // The broadcast to the user's own resource carries it too.
    expect((await alice.expect(/<presence [^>]*>.*?<\/presence>/s))[0]).to.include(`<photo>${sha1(photo1)}</photo>`);
  });

  it("leaves a client's own update element alone", async () => {
    alice.send(`<presence><x xmlns='${UPDATE}'/></presence>`);
    const p = (await bob.expect(/<presence [^>]*>.*?<\/presence>/s))[0];
    expect(p).to.include(`<x xmlns="${UPDATE}"/>`).and.not.include('<photo');
    await barrier(alice);
  });

  it('sends presence again with the new hash when the photo changes, for sessions relying on the server', async () => {
    // alice's last broadcast had its own <x/>: a photo change does not make the server speak for it.
    expect(await iq(alice, 'set', aliceCard(photo2))).to.include('type="result"');
    expect(await barrier(bob)).to.not.include('<presence');
    // Now a broadcast without <x/>: the server added the hash, so it republishes on the next change.
    alice.send('<presence><status>here</status></presence>');
    expect((await bob.expect(/<presence [^>]*>.*?<\/presence>/s))[0]).to.include(`<photo>${sha1(photo2)}</photo>`);
    expect(await iq(alice, 'set', aliceCard(photo1))).to.include('type="result"');
    const again = (await bob.expect(/<presence [^>]*>.*?<\/presence>/s))[0];
    expect(again).to.include('from="alice@localhost/home"').and.include('<status>here</status>')
      .and.include(`<photo>${sha1(photo1)}</photo>`).and.not.include(sha1(photo2));
    // An unchanged photo (another field changed) sends nothing.
    expect(await iq(alice, 'set', aliceCard(photo1).replace('Alice Liddell', 'Alice P. Liddell'))).to.include('type="result"');
    expect(await barrier(bob)).to.not.include('<presence');
  });

  it('advertises an empty <photo/> once the stored vCard has no photo', async () => {
    expect(await iq(alice, 'set', aliceCard())).to.include('type="result"');
    const p = (await bob.expect(/<presence [^>]*>.*?<\/presence>/s))[0];
    expect(p).to.include(`<x xmlns="${UPDATE}"><photo/></x>`);
  });

  it('keeps the vCard across a reconnect and a server restart', async () => {
    const again = await login('alice', 'second');
    expect(await iq(again, 'get', `<vCard xmlns='${NS}'/>`)).to.include('<FN>Alice Liddell</FN>');
    raw.closeAll();
    await t.stop(true);
    await start(t.dataDir);
    bob = await login('bob', 'b');
    expect(await iq(bob, 'get', `<vCard xmlns='${NS}'/>`, 'alice@localhost')).to.include('<FN>Alice Liddell</FN>');
  });

  it('removes the vCard when an empty one is stored', async () => {
    alice = await login('alice', 'home');
    expect(await iq(alice, 'set', `<vCard xmlns='${NS}'/>`)).to.include('type="result"');
    expect(await iq(alice, 'get', `<vCard xmlns='${NS}'/>`)).to.match(new RegExp(`<vCard xmlns="${NS}"/></iq>$`));
    expect(await iq(bob, 'get', `<vCard xmlns='${NS}'/>`, 'alice@localhost')).to.include('<service-unavailable');
  });
});

describe('vcard avatar hashes with the roster and presence modules', function () {
  let t: TestServer;
  const raw = new RawSessions(() => t.c2sPort);
  const login = (username: string, resource: string) => raw.login(username, resource);
  const set = (c: RawClient, vcard: string) => raw.iq(c, 'set', vcard);

  before(async () => {
    t = await startTestServer({ modules: { roster: {}, presence: {}, vcard: {} } });
    for (const u of ['alice', 'bob']) await t.addUser(u, 'pw');
  });
  after(async () => {
    raw.closeAll();
    await t.stop();
  });

  it('puts the hash in the broadcast to subscribers and sends it again when the photo changes', async () => {
    const alice = await login('alice', 'home');
    const bob = await login('bob', 'b');
    expect(await set(alice, aliceCard(photo1))).to.include('type="result"');
    bob.send('<presence/>');
    bob.send("<presence to='alice@localhost' type='subscribe'/>");
    alice.send('<presence/>');
    await alice.expect(/<presence [^>]*type="subscribe"[^>]*\/>/);
    alice.send("<presence to='bob@localhost' type='subscribed'/>");
    // On approval bob gets alice's current presence, which carries the hash the server added.
    const current = (await bob.expect(/<presence [^>]*from="alice@localhost\/home"[^>]*>.*?<\/presence>/s))[0];
    expect(current).to.include(`<photo>${sha1(photo1)}</photo>`);
    expect(await set(alice, aliceCard(photo2))).to.include('type="result"');
    const again = (await bob.expect(/<presence [^>]*from="alice@localhost\/home"[^>]*>.*?<\/presence>/s))[0];
    expect(again).to.include(`<photo>${sha1(photo2)}</photo>`);
  });
});
