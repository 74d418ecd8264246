// XEP-0160 offline messages over real sockets: what is stored, delivery with XEP-0203 stamps in order and
// exactly once (also to two resources coming online together, and to a session that closes at once),
// the quota, the hints, negative priorities, and a server restart in between.
import { expect } from 'chai';
import { z } from 'zod';
import { defineModule, el } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';
import { fakePresence } from '../helpers/fake-presence.js';

/** Tells a session that an offline delivery run for it ended, and how many messages it wrote. */
const probe = defineModule({
  name: 'offline-probe',
  description: 'test helper: reports offline/delivered to the session',
  options: z.object({}).strict(),
  setup(ctx) {
    ctx.hook('offline/delivered', ({ session, count }) => {
      session.send(el('message', { from: ctx.host, to: session.jid!.full(), type: 'headline', id: `delivered-${count}` }));
    });
  },
});

/** Holds messages whose id starts with 'slow' before offline storage sees them, until the test opens the gate. */
let gate: Promise<void> = Promise.resolve();
let onHeld: (() => void) | undefined;
const slow = defineModule({
  name: 'slow-hook',
  description: 'test helper: a slow handler of message/offline that runs before offline storage',
  options: z.object({}).strict(),
  setup(ctx) {
    ctx.hook('message/offline', async (ev) => {
      if (ev.stanza.attrs.id?.startsWith('slow')) {
        onHeld?.();
        await gate;
      }
      return false;
    }, 100);
  },
});

const MODULES = {
  modules: { message: {}, offline: { maxMessages: 5, pageSize: 2 }, ping: {}, disco: {}, 'fake-presence': {}, 'offline-probe': {}, 'slow-hook': {} },
};
const EXTRA = { extraModules: [fakePresence, probe, slow] };

interface Session {
  t: () => TestServer;
  open: RawClient[];
}

function helpers(s: Session) {
  let pings = 0;
  const login = async (username: string, resource: string, priority?: number | null): Promise<RawClient> => {
    const { client } = await rawLogin({ port: s.t().c2sPort, username, password: 'pw', resource });
    s.open.push(client);
    await client.expect(/^<\/bind><\/iq>/);   // the rest of the bind result
    if (priority !== null) client.send(priority === undefined ? '<presence/>' : `<presence><priority>${priority}</priority></presence>`);
    return client;
  };
  const barrier = async (c: RawClient): Promise<string> => {
    const id = `ping${++pings}`;
    c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    return (await c.expect(new RegExp(`^(.*?)<iq [^>]*id="${id}"[^>]*/>`, 's')))[1]!;
  };
  /** Waits for the end of the session's offline delivery run; returns what came before and the count. */
  const delivered = async (c: RawClient): Promise<{ before: string; count: number }> => {
    const m = await c.expect(/^(.*?)<message [^>]*id="delivered-(\d+)"[^>]*\/>/s);
    return { before: m[1]!, count: Number(m[2]) };
  };
  return { login, barrier, delivered };
}

const messagesIn = (text: string): string[] => [...text.matchAll(/<message [^>]*>.*?<\/message>/gs)].map((m) => m[0]);
const idOf = (m: string): string => m.match(/ id="([^"]+)"/)![1]!;
const errorIn = (text: string, id: string): string | undefined =>
  text.match(new RegExp(`<message (?=[^>]*id="${id}")(?=[^>]*type="error")[^>]*>.*?</message>`, 's'))?.[0];

describe('offline messages (XEP-0160, XEP-0203)', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  const { login, barrier, delivered } = helpers({ t: () => t, open });
  let alice: RawClient;

  const send = async (xml: string): Promise<string> => {
    alice.send(xml);
    return barrier(alice);
  };

  before(async () => {
    t = await startTestServer(MODULES, ['localhost'], EXTRA);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'henry']) await t.addUser(u, 'pw');
    alice = await login('alice', 'a', null);
  });

  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('advertises msgoffline', async () => {
    alice.send("<iq type='get' to='localhost' id='disco1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    const m = await alice.expect(/<iq [^>]*id="disco1"[^>]*>.*?<\/iq>/s);
    expect(m[0]).to.include('<feature var="msgoffline"/>');
  });

  it('stores chat and normal messages and delivers them in order with delay stamps, exactly once', async () => {
    const t0 = Date.now();
    const routed = await send(
      "<message to='bob@localhost' type='chat' id='o1'><body>one</body></message>" +
      "<message to='bob@localhost' id='o2'><body>two</body></message>" +
      // §8.5.3.2.1: a chat to a resource that is not online is handled as if sent to the bare JID.
      "<message to='bob@localhost/gone' type='chat' id='o3'><body>three</body></message>");
    const t1 = Date.now();
    expect(routed, 'stored, not refused').to.equal('');

    const bob = await login('bob', 'first', 0);
    const run = await delivered(bob);
    expect(run.count).to.equal(3);
    const msgs = messagesIn(run.before);
    expect(msgs.map(idOf)).to.deep.equal(['o1', 'o2', 'o3']);
    expect(msgs[0]).to.include('from="alice@localhost/a"').and.include('to="bob@localhost"').and.include('<body>one</body>');
    expect(msgs[2]).to.include('to="bob@localhost/gone"');
    for (const m of msgs) {
      const d = m.match(/<delay xmlns="urn:xmpp:delay" from="localhost" stamp="([^"]+)">Offline Storage<\/delay>/);
      expect(d, m).to.not.equal(null);
      expect(d![1]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      const stamp = Date.parse(d![1]!);
      expect(stamp).to.be.within(t0, t1);
    }

    // Gone from the store: the next session gets nothing.
    bob.close();
    const again = await login('bob', 'second', 0);
    const run2 = await delivered(again);
    expect(run2.count).to.equal(0);
    expect(messagesIn(run2.before)).to.deep.equal([]);
  });

  it('gives each message to exactly one of two resources that come online at the same moment', async () => {
    const ids = ['x1', 'x2', 'x3', 'x4'];
    expect(await send(ids.map((id) => `<message to='carol@localhost' type='chat' id='${id}'><body>${id}</body></message>`).join(''))).to.equal('');
    const c1 = await login('carol', 'one', null);
    const c2 = await login('carol', 'two', null);
    c1.send('<presence/>');
    c2.send('<presence/>');
    const [r1, r2] = await Promise.all([delivered(c1), delivered(c2)]);
    const got = [...messagesIn(r1.before), ...messagesIn(r2.before)].map(idOf);
    expect(r1.count + r2.count).to.equal(4);
    expect(got.sort()).to.deep.equal(ids);
    // One run took the whole queue, in order.
    expect([r1.count, r2.count].sort()).to.deep.equal([0, 4]);
  });

  it('refuses a message beyond the quota with resource-constraint and keeps the others', async () => {
    for (let i = 1; i <= 5; i++) expect(await send(`<message to='dave@localhost' type='chat' id='q${i}'><body>${i}</body></message>`)).to.equal('');
    const routed = await send("<message to='dave@localhost' type='chat' id='q6'><body>6</body></message>");
    const err = errorIn(routed, 'q6');
    expect(err).to.include('from="dave@localhost"').and.include('<error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    const dave = await login('dave', 'd');
    const run = await delivered(dave);
    expect(messagesIn(run.before).map(idOf)).to.deep.equal(['q1', 'q2', 'q3', 'q4', 'q5']);
  });

  it('follows XEP-0160 §3 and the XEP-0334 hints in what it stores', async () => {
    const cases: [string, 'stored' | 'refused' | 'dropped'][] = [
      ["<message to='erin@localhost' type='chat' id='h1'><body>secret</body><no-store xmlns='urn:xmpp:hints'/></message>", 'refused'],
      ["<message to='erin@localhost' type='chat' id='h2'><thread>t</thread><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", 'refused'],
      ["<message to='erin@localhost' type='chat' id='h3'><composing xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>", 'stored'],
      ["<message to='erin@localhost' id='h4'><received xmlns='urn:xmpp:receipts' id='abc'/></message>", 'stored'],
      ["<message to='erin@localhost' type='chat' id='h5'><body>otr</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>", 'stored'],
      ["<message to='erin@localhost' type='headline' id='h6'><body>news</body><store xmlns='urn:xmpp:hints'/></message>", 'dropped'],
      ["<message to='erin@localhost' type='groupchat' id='h7'><body>room</body></message>", 'refused'],
      ["<message to='erin@localhost' type='error' id='h8'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>", 'dropped'],
    ];
    for (const [xml, outcome] of cases) {
      const id = xml.match(/id='(h\d)'/)![1]!;
      const routed = await send(xml);
      if (outcome === 'refused') expect(errorIn(routed, id), id).to.include('<service-unavailable');
      else expect(routed, id).to.equal('');
    }
    const erin = await login('erin', 'e');
    const run = await delivered(erin);
    expect(messagesIn(run.before).map(idOf)).to.deep.equal(['h3', 'h4', 'h5']);
  });

  it('keeps messages while the only resource has a negative priority and delivers when it turns non-negative', async () => {
    const frank = await login('frank', 'f', -1);
    await barrier(frank);
    expect(await send("<message to='frank@localhost' type='chat' id='n1'><body>later</body></message>")).to.equal('');
    expect(messagesIn(await barrier(frank))).to.deep.equal([]);
    frank.send('<presence><priority>1</priority></presence>');
    const run = await delivered(frank);
    const msgs = messagesIn(run.before);
    expect(msgs.map(idOf)).to.deep.equal(['n1']);
    expect(msgs[0]).to.include('<delay xmlns="urn:xmpp:delay" from="localhost"');
    // Available and non-negative now: a new message comes live, without a delay.
    await send("<message to='frank@localhost' type='chat' id='n2'><body>now</body></message>");
    const live = messagesIn(await barrier(frank));
    expect(live.map(idOf)).to.deep.equal(['n2']);
    expect(live[0]).to.not.include('urn:xmpp:delay');
  });

  it('delivers live, not into storage, when a resource got the queue while the message was on its way', async () => {
    let open!: () => void;
    gate = new Promise<void>((resolve) => { open = resolve; });
    const held = new Promise<void>((resolve) => { onHeld = resolve; });
    // Routed while henry is offline, then held by a slow hook before the offline module gets it.
    alice.send("<message to='henry@localhost' type='chat' id='slow1'><body>late</body></message>");
    await held;
    const henry = await login('henry', 'h');
    expect((await delivered(henry)).count).to.equal(0);
    open();
    expect(await barrier(alice), 'neither stored nor refused').to.equal('');
    const live = messagesIn(await barrier(henry));
    expect(live.map(idOf)).to.deep.equal(['slow1']);
    expect(live[0]).to.not.include('urn:xmpp:delay');
  });

  it('loses nothing and duplicates nothing when the session closes right after its presence', async () => {
    const ids = ['k1', 'k2', 'k3', 'k4', 'k5'];
    expect(await send(ids.map((id) => `<message to='gina@localhost' type='chat' id='${id}'><body>${id}</body></message>`).join(''))).to.equal('');
    const first = await login('gina', 'g1', null);
    first.send('<presence/></stream:stream>');
    await first.waitClosed();
    const early = messagesIn(first.buffer).map(idOf);
    const second = await login('gina', 'g2');
    const run = await delivered(second);
    const late = messagesIn(run.before).map(idOf);
    expect([...early, ...late]).to.deep.equal(ids);
  });
});

describe('offline messages across a restart', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  const { login, barrier, delivered } = helpers({ t: () => t, open });

  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('delivers messages stored before the server stopped', async () => {
    t = await startTestServer(MODULES, ['localhost'], EXTRA);
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    const alice = await login('alice', 'a', null);
    alice.send("<message to='bob@localhost' type='chat' id='r1'><body>before</body></message><message to='bob@localhost' type='chat' id='r2'><body>the restart</body></message>");
    expect(await barrier(alice)).to.equal('');
    alice.close();

    const dataDir = t.dataDir;
    await t.stop(true);
    t = await startTestServer(MODULES, ['localhost'], { ...EXTRA, dataDir });

    const bob = await login('bob', 'b');
    const run = await delivered(bob);
    const msgs = messagesIn(run.before);
    expect(msgs.map(idOf)).to.deep.equal(['r1', 'r2']);
    expect(msgs[1]).to.include('<body>the restart</body>').and.include('<delay xmlns="urn:xmpp:delay" from="localhost"');
  });
});
