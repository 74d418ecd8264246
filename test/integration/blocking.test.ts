// XEP-0191 Blocking Command over real sockets: the commands, pushes, and what happens to stanzas in
// both directions. A small test module stands in for roster and presence (bob and erin are
// subscribed to alice's presence) so these tests do not depend on those modules.
import { expect } from 'chai';
import { clone } from 'ltx';
import { z } from 'zod';
import { defineModule } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const NS = 'urn:xmpp:blocking';

const presenceStub = defineModule({
  name: 'presence_stub',
  description: 'test helper: roster subscriptions and minimal presence',
  options: z.object({ subscribers: z.record(z.string(), z.array(z.string())).default({}) }).strict(),
  setup(ctx) {
    const subscribers = ctx.options.subscribers;
    const entry = (jid: string) => ({ jid, groups: [], subscription: 'from', ask: false, approved: false });
    (ctx.provide as (name: string, svc: unknown) => void)('roster', {
      items: async (user: string) => new Map((subscribers[user] ?? []).map((c) => [c, entry(c)])),
      item: async (user: string, c: string) => ((subscribers[user] ?? []).includes(c) ? entry(c) : null),
      isSubscribed: async (user: string, c: string) => (subscribers[user] ?? []).includes(c),
      put: async () => undefined,
    });
    // Broadcast presence is recorded and sent by the server to the subscribers (as the presence
    // module does); presence to a bare JID goes to every resource.
    ctx.hook('pre-presence', async (ev) => {
      if (ev.stanza.attrs.to || !ev.origin?.jid) return false;
      ev.origin.presence = ev.stanza.attrs.type === 'unavailable' ? null : ev.stanza;
      for (const to of subscribers[ev.origin.username!] ?? []) {
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

describe('blocking (XEP-0191)', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  let a1: RawClient;   // alice/one: asks for the blocklist, so it gets pushes
  let a2: RawClient;   // alice/two: never asks, so it gets none
  let bob: RawClient;
  let carolX: RawClient;
  let carolY: RawClient;
  let dave: RawClient;   // dave@a.example, another virtual host
  let erin: RawClient;   // subscribed to alice, never blocked

  const login = async (username: string, resource: string, host = 'localhost') => {
    const { client } = await rawLogin({ port: t.c2sPort, username, password: 'pw', resource, host });
    open.push(client);
    return client;
  };
  /** Round trip to the server: everything the client sent before has been processed. */
  let pings = 0;
  const barrier = async (c: RawClient, host = 'localhost'): Promise<string> => {
    const id = `barrier${++pings}`;
    c.send(`<iq type='get' id='${id}' to='${host}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const m = await c.expect(new RegExp(`^(.*?)<iq [^>]*id="${id}"[^>]*/>`, 's'));
    return m[1]!;
  };
  const iqResultOf = async (c: RawClient, xml: string, id: string) => (await c.expect(new RegExp(`<iq [^>]*id="${id}"[^>]*?(?:/>|>.*?</iq>)`, 's')))[0];

  before(async () => {
    t = await startTestServer({
      modules: {
        disco: {}, ping: {}, blocking: { maxItems: 5 },
        presence_stub: { subscribers: { alice: ['bob@localhost', 'erin@localhost'] } },
      },
    }, ['localhost', 'a.example'], { extraModules: [presenceStub] });
    for (const u of ['alice', 'bob', 'carol', 'erin']) await t.addUser(u, 'pw');
    await t.addUser('dave', 'pw', 'a.example');
    a1 = await login('alice', 'one');
    a2 = await login('alice', 'two');
    bob = await login('bob', 'b');
    carolX = await login('carol', 'x');
    carolY = await login('carol', 'y');
    dave = await login('dave', 'd', 'a.example');
    erin = await login('erin', 'e');
    a1.send('<presence/>');
    await barrier(a1);
  });
  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('announces urn:xmpp:blocking and returns an empty blocklist', async () => {
    a1.send("<iq type='get' to='localhost' id='disco1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    expect(await iqResultOf(a1, '', 'disco1')).to.include(`<feature var="${NS}"/>`);
    a1.send(`<iq type='get' id='bl1'><blocklist xmlns='${NS}'/></iq>`);
    expect(await iqResultOf(a1, '', 'bl1')).to.match(new RegExp(`<iq type="result" id="bl1"[^>]*><blocklist xmlns="${NS}"/></iq>`));
  });

  it('blocks: result, a push to the resource that asked for the list only, unavailable to the subscribed contact', async () => {
    a1.send(`<iq type='set' id='blk1'><block xmlns='${NS}'><item jid='bob@localhost'/></block></iq>`);
    expect(await iqResultOf(a1, '', 'blk1')).to.match(/type="result"/);
    const push = await a1.expect(/<iq [^>]*type="set"[^>]*>.*?<\/iq>/s);
    expect(push[0]).to.include('to="alice@localhost/one"').and.include(`<block xmlns="${NS}"><item jid="bob@localhost"/></block>`);
    // The push loop already ran for both resources: a2 got nothing before its barrier.
    expect(await barrier(a2)).to.not.include('<block');
    // §3.3: bob, who may see alice's presence, now sees her offline.
    const p = await bob.expect(/<presence [^>]*type="unavailable"[^>]*\/>/);
    expect(p[0]).to.include('from="alice@localhost/one"').and.include('to="bob@localhost"');
    // The list now holds bob.
    a1.send(`<iq type='get' id='bl2'><blocklist xmlns='${NS}'/></iq>`);
    expect(await iqResultOf(a1, '', 'bl2')).to.include(`<blocklist xmlns="${NS}"><item jid="bob@localhost"/></blocklist>`);
  });

  it("does not deliver the user's presence broadcasts to a blocked contact", async () => {
    a1.send('<presence><show>away</show></presence>');
    expect((await erin.expect(/<presence [^>]*>.*?<\/presence>/s))[0]).to.include('from="alice@localhost/one"').and.include('<show>away</show>');
    expect(await barrier(bob)).to.not.include('away');
  });

  it('answers messages and IQ get/set from the blocked contact with service-unavailable and delivers nothing', async () => {
    bob.send("<message to='alice@localhost' type='chat' id='bm1'><body>hello?</body></message>");
    const err = await bob.expect(/<message [^>]*type="error"[^>]*>.*?<\/message>/s);
    expect(err[0]).to.include('id="bm1"').and.include('from="alice@localhost"').and.include('<service-unavailable');
    bob.send("<iq type='get' to='alice@localhost/one' id='bi1'><ping xmlns='urn:xmpp:ping'/></iq>");
    expect(await iqResultOf(bob, '', 'bi1')).to.include('type="error"').and.include('<service-unavailable');
    bob.send("<iq type='get' to='alice@localhost' id='bi2'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    expect(await iqResultOf(bob, '', 'bi2')).to.include('type="error"').and.include('<service-unavailable');
    // Presence (here a subscription request and a directed presence) is dropped without an answer.
    bob.send("<presence to='alice@localhost' type='subscribe' id='bp1'/>");
    bob.send("<presence to='alice@localhost/one' id='bp2'/>");
    expect(await barrier(bob)).to.equal('');
    // Alice got none of it: a later message from carol is the first thing she sees.
    carolX.send("<message to='alice@localhost/one' type='chat' id='cm1'><body>marker</body></message>");
    const before = await a1.expect(/^(.*?)<message [^>]*id="cm1"/s);
    expect(before[1]).to.not.include('bob@localhost');
    expect(await barrier(a2)).to.not.include('bob@localhost');
  });

  it('refuses stanzas from the user to a blocked JID with not-acceptable and <blocked/>', async () => {
    a1.send("<message to='bob@localhost' type='chat' id='am1'><body>hi</body></message>");
    const err = await a1.expect(/<message [^>]*type="error"[^>]*>.*?<\/message>/s);
    expect(err[0]).to.include('id="am1"').and.include('from="bob@localhost"')
      .and.match(/<error type="cancel"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><blocked xmlns="urn:xmpp:blocking:errors"\/><\/error>/);
    a1.send("<presence to='bob@localhost/b' id='ap1'/>");
    expect((await a1.expect(/<presence [^>]*type="error"[^>]*>.*?<\/presence>/s))[0]).to.include('<blocked xmlns="urn:xmpp:blocking:errors"/>');
    a1.send("<iq type='get' to='bob@localhost/b' id='ai1'><ping xmlns='urn:xmpp:ping'/></iq>");
    expect(await iqResultOf(a1, '', 'ai1')).to.include('<not-acceptable').and.include('<blocked');
    expect(await barrier(bob)).to.not.include('alice@localhost');
  });

  it('matches a full-JID item against that resource only, and a domain item against every address there', async () => {
    a1.send(`<iq type='set' id='blk2'><block xmlns='${NS}'><item jid='carol@localhost/x'/><item jid='a.example'/></block></iq>`);
    await iqResultOf(a1, '', 'blk2');
    const push = await a1.expect(/<iq [^>]*type="set"[^>]*>.*?<\/iq>/s);
    expect(push[0]).to.include('<item jid="carol@localhost/x"/>').and.include('<item jid="a.example"/>');
    carolX.send("<message to='alice@localhost/one' type='chat' id='cx1'><body>x</body></message>");
    expect((await carolX.expect(/<message [^>]*type="error"[^>]*>/))[0]).to.include('id="cx1"');
    carolY.send("<message to='alice@localhost/one' type='chat' id='cy1'><body>y</body></message>");
    expect((await a1.expect(/<message [^>]*id="cy1"[^>]*>/))[0]).to.include('from="carol@localhost/y"');
    dave.send("<message to='alice@localhost/one' type='chat' id='dm1'><body>from another host</body></message>");
    expect((await dave.expect(/<message [^>]*type="error"[^>]*>.*?<\/message>/s))[0]).to.include('id="dm1"').and.include('<service-unavailable');
  });

  it('rejects malformed commands', async () => {
    a1.send(`<iq type='set' id='bad1'><block xmlns='${NS}'/></iq>`);
    expect(await iqResultOf(a1, '', 'bad1')).to.include('type="error"').and.include('<bad-request');
    a1.send(`<iq type='set' id='bad2'><block xmlns='${NS}'><item/></block></iq>`);
    expect(await iqResultOf(a1, '', 'bad2')).to.include('<bad-request');
    a1.send(`<iq type='set' id='bad3'><block xmlns='${NS}'><item jid='@localhost'/></block></iq>`);
    expect(await iqResultOf(a1, '', 'bad3')).to.include('<jid-malformed');
    a1.send(`<iq type='set' id='bad4'><unblock xmlns='${NS}'><item jid='a@b@c'/></unblock></iq>`);
    expect(await iqResultOf(a1, '', 'bad4')).to.include('<jid-malformed');
    a1.send(`<iq type='set' id='bad5'><block xmlns='${NS}'><thing jid='x@localhost'/></block></iq>`);
    expect(await iqResultOf(a1, '', 'bad5')).to.include('<bad-request');
    // Another user's blocklist is not reachable.
    bob.send(`<iq type='get' to='alice@localhost' id='bad6'><blocklist xmlns='${NS}'/></iq>`);
    expect(await iqResultOf(bob, '', 'bad6')).to.include('<service-unavailable');
    // The list limit (maxItems: 5; three are blocked).
    a1.send(`<iq type='set' id='bad7'><block xmlns='${NS}'><item jid='p@x.org'/><item jid='q@x.org'/><item jid='r@x.org'/></block></iq>`);
    expect(await iqResultOf(a1, '', 'bad7')).to.include('<policy-violation');
    a1.send(`<iq type='get' id='bl3'><blocklist xmlns='${NS}'/></iq>`);
    expect((await iqResultOf(a1, '', 'bl3')).match(/<item /g)).to.have.length(3);
  });

  it('unblocks one contact: push, current presence to the contact, and messages flow again', async () => {
    a1.send(`<iq type='set' id='ub1'><unblock xmlns='${NS}'><item jid='bob@localhost'/></unblock></iq>`);
    await iqResultOf(a1, '', 'ub1');
    expect((await a1.expect(/<iq [^>]*type="set"[^>]*>.*?<\/iq>/s))[0]).to.include(`<unblock xmlns="${NS}"><item jid="bob@localhost"/></unblock>`);
    const p = await bob.expect(/<presence [^>]*>/);
    expect(p[0]).to.include('from="alice@localhost/one"').and.not.include('type=');
    bob.send("<message to='alice@localhost/one' type='chat' id='bm2'><body>back</body></message>");
    expect((await a1.expect(/<message [^>]*id="bm2"[^>]*>/))[0]).to.include('from="bob@localhost/b"');
  });

  it('unblocks everybody with an empty <unblock/>', async () => {
    a1.send(`<iq type='set' id='ub2'><unblock xmlns='${NS}'/></iq>`);
    await iqResultOf(a1, '', 'ub2');
    expect((await a1.expect(/<iq [^>]*type="set"[^>]*>.*?(?:<\/iq>|\/>)/s))[0]).to.match(new RegExp(`<unblock xmlns="${NS}"/>`));
    a1.send(`<iq type='get' id='bl4'><blocklist xmlns='${NS}'/></iq>`);
    expect(await iqResultOf(a1, '', 'bl4')).to.include(`<blocklist xmlns="${NS}"/>`);
    dave.send("<message to='alice@localhost/one' type='chat' id='dm2'><body>hi again</body></message>");
    expect((await a1.expect(/<message [^>]*id="dm2"[^>]*>/))[0]).to.include('from="dave@a.example/d"');
  });
});
