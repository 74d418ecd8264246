// RFC 6121 §4 presence over real sockets: initial presence with probes (an online contact's
// presence, an offline contact's last unavailable presence with a delay stamp), broadcast to
// subscribers and the user's own resources, logout and dropped connections, directed presence,
// priority, presence errors, and delivery to available resources only.
import { expect } from 'chai';
import * as ltx from 'ltx';
import { z } from 'zod';
import { defineModule, PRIORITY, type ModuleContext } from '../../src/api/index.js';
import type { RosterService, Subscription } from '../../modules/roster/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const NS_DELAY = 'urn:xmpp:delay';
const parse = (ltx as unknown as { parse(s: string): ltx.Element }).parse;

class Conn {
  #seq = 0;
  constructor(readonly c: RawClient, readonly jid: string) {}
  get bare(): string {
    return this.jid.split('/')[0]!;
  }
  async drain(): Promise<ltx.Element[]> {
    const id = `sync${++this.#seq}`;
    this.c.send(`<iq type='get' id='${id}' to='${this.jid.split('@')[1]!.split('/')[0]}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const m = await this.c.expect(new RegExp(`^(.*?)<iq [^>]*id="${id}"[^>]*/>`, 's'));
    return parse(`<r>${m[1]!}</r>`).getChildElements();
  }
  async send(xml: string): Promise<ltx.Element[]> {
    this.c.send(xml);
    return this.drain();
  }
  /** Waits for a presence matching `pred`, skipping others. */
  async presence(pred: (p: ltx.Element) => boolean): Promise<ltx.Element> {
    for (;;) {
      const m = await this.c.expect(/^\s*(<(iq|message|presence)\b(?:[^>]*?\/>|[^>]*>.*?<\/\2>))/s, 3000);
      const s = parse(m[1]!);
      if (s.name === 'presence' && pred(s)) return s;
    }
  }
}

const presences = (list: ltx.Element[], type?: string) => list.filter((s) => s.name === 'presence' && s.attrs.type === type);
const froms = (list: ltx.Element[], type?: string) => presences(list, type).map((p) => p.attrs.from);

// A test module: direct roster access for setting up subscriptions, and a record of probes and
// of the presence lifecycle events other modules rely on.
const probes: string[] = [];
const lifecycle: string[] = [];
const ctxs = new Map<string, ModuleContext<unknown>>();
const spy = defineModule({
  name: 'presence_spy',
  description: 'test helper',
  depends: ['presence'],
  options: z.object({}).strict(),
  setup(ctx) {
    ctxs.set(ctx.host, ctx);
    ctx.hook('presence/bare', ({ stanza }) => {
      if (stanza.attrs.type === 'probe') probes.push(`${stanza.attrs.from}>${stanza.attrs.to}`);
      return false;
    }, PRIORITY.POLICY);
    ctx.hook('presence-available', ({ session, initial }) => {
      lifecycle.push(`available ${session.jid!.full()} ${initial ? 'initial' : 'update'} ${session.priority}`);
    });
    ctx.hook('presence-unavailable', ({ session }) => {
      lifecycle.push(`unavailable ${session.jid!.full()}`);
    });
  },
});

describe('presence (RFC 6121 §4)', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  let n = 0;

  const login = async (username: string, resource: string, host = 'localhost'): Promise<Conn> => {
    const { client, jid } = await rawLogin({ port: t.c2sPort, username, password: 'pw', resource, host });
    client.socket.setNoDelay(true);
    open.push(client);
    await client.expect(/^.*?<\/iq>/s);
    return new Conn(client, jid);
  };
  const user = async (prefix: string, host = 'localhost'): Promise<string> => {
    const name = `${prefix}${++n}`;
    await t.addUser(name, 'pw', host);
    return name;
  };
  const roster = (host = 'localhost'): RosterService => ctxs.get(host)!.use('roster');
  /** Makes `a` subscribed to `b`'s presence ('to' for a, 'from' for b), or both ways. */
  const link = async (a: string, b: string, how: 'to' | 'both' = 'both') => {
    const [al, ad] = a.split('@') as [string, string];
    const [bl, bd] = b.split('@') as [string, string];
    const set = (host: string, owner: string, contact: string, subscription: Subscription) =>
      roster(host).update(owner, contact, () => ({ jid: contact, groups: [], subscription, ask: false, approved: false, pendingIn: false, hidden: false }));
    await set(ad, al, b, how === 'both' ? 'both' : 'to');
    await set(bd, bl, a, how === 'both' ? 'both' : 'from');
  };

  before(async () => {
    t = await startTestServer({ modules: { ping: {}, roster: {}, presence: {}, presence_spy: {} } }, ['localhost', 'a.example'], { extraModules: [spy] });
  });
  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('initial presence: to the user itself and subscribers, probes answered by online contacts', async () => {
    const [an, bn] = [await user('a'), await user('b')];
    await link(`${an}@localhost`, `${bn}@localhost`);
    const b = await login(bn, 'home');
    await b.send('<presence><status>here</status></presence>');
    const a = await login(an, 'desk');
    probes.length = 0;
    const got = await a.send("<presence><show>chat</show><priority>3</priority></presence>");
    // Its own presence, and b's presence answering the probe.
    const own = presences(got).find((p) => p.attrs.from === a.jid)!;
    expect(own.attrs.to).to.equal(a.jid);
    expect(own.getChildText('show')).to.equal('chat');
    const fromB = presences(got).find((p) => p.attrs.from === b.jid)!;
    expect(fromB.getChildText('status')).to.equal('here');
    expect(probes).to.deep.equal([`${a.bare}>${b.bare}`]);
    // b sees a come online.
    const seen = presences(await b.drain()).filter((p) => p.attrs.from === a.jid);
    expect(seen.map((p) => [p.attrs.to, p.getChildText('show'), p.getChildText('priority')])).to.deep.equal([[b.bare, 'chat', '3']]);
    expect(ctxs.get('localhost')!.sessions.get(an, 'desk')!.priority).to.equal(3);
    expect(lifecycle).to.include(`available ${a.jid} initial 3`);

    // Subsequent presence: broadcast again, no new probes.
    probes.length = 0;
    await a.send('<presence><show>away</show></presence>');
    expect(presences(await b.drain()).map((p) => p.getChildText('show'))).to.deep.equal(['away']);
    expect(probes).to.deep.equal([]);
    expect(lifecycle).to.include(`available ${a.jid} update 0`);
  });

  it("probes of offline contacts: the last unavailable presence with a delay, or plain unavailable", async () => {
    const [an, cn, dn] = [await user('a'), await user('c'), await user('d')];
    await link(`${an}@localhost`, `${cn}@localhost`);
    await link(`${an}@localhost`, `${dn}@localhost`, 'to');
    const c = await login(cn, 'phone');
    await c.send('<presence/>');
    const before = Date.now();
    await c.send("<presence type='unavailable'><status>gone fishing</status></presence>");
    c.c.close();

    const a = await login(an, 'desk');
    const got = await a.send('<presence/>');
    const fromC = presences(got, 'unavailable').find((p) => p.attrs.from === `${cn}@localhost`)!;
    expect(fromC, 'unavailable from c').to.not.equal(undefined);
    expect(fromC.getChildText('status')).to.equal('gone fishing');
    const delay = fromC.getChild('delay', NS_DELAY)!;
    expect(delay.attrs.from).to.equal('localhost');
    const stamp = Date.parse(delay.attrs.stamp!);
    expect(stamp).to.be.within(before - 1000, Date.now());
    // d never logged in: unavailable without a delay.
    const fromD = presences(got, 'unavailable').find((p) => p.attrs.from === `${dn}@localhost`)!;
    expect(fromD.getChild('delay', NS_DELAY)).to.equal(undefined);
  });

  it('does not answer probes from entities without a subscription', async () => {
    const [an, en] = [await user('a'), await user('e')];
    const a = await login(an, 'desk');
    await a.send('<presence/>');
    const e = await login(en, 'x');
    const got = await e.send(`<presence type='probe' to='${a.bare}'/>`);
    expect(presences(got).filter((p) => p.attrs.from?.startsWith(a.bare))).to.deep.equal([]);
  });

  it('logout: unavailable with its status to subscribers and the other resources; last resource saves it', async () => {
    const [an, bn] = [await user('a'), await user('b')];
    await link(`${an}@localhost`, `${bn}@localhost`);
    const b = await login(bn, 'home');
    await b.send('<presence/>');
    const a1 = await login(an, 'one');
    const a2 = await login(an, 'two');
    await a1.send('<presence/>');
    await a2.send('<presence/>');
    await b.drain();
    await a1.drain();

    await a2.send("<presence type='unavailable'><status>bye</status></presence>");
    const atB = presences(await b.drain(), 'unavailable');
    expect(atB.map((p) => [p.attrs.from, p.getChildText('status')])).to.deep.equal([[a2.jid, 'bye']]);
    expect(froms(await a1.drain(), 'unavailable')).to.deep.equal([a2.jid]);
    expect(lifecycle).to.include(`unavailable ${a2.jid}`);
    expect(ctxs.get('localhost')!.use('presence').isAvailable(an)).to.equal(true);
    expect(await ctxs.get('localhost')!.use('presence').lastUnavailable(an), 'a1 still online').to.equal(null);

    await a1.send("<presence type='unavailable'><status>really</status></presence>");
    const last = await ctxs.get('localhost')!.use('presence').lastUnavailable(an);
    expect(last?.status).to.equal('really');
    expect(ctxs.get('localhost')!.use('presence').isAvailable(an)).to.equal(false);
  });

  it('a dropped connection makes the resource unavailable for its contacts', async () => {
    const [an, bn] = [await user('a'), await user('b')];
    await link(`${an}@localhost`, `${bn}@localhost`);
    const b = await login(bn, 'home');
    await b.send('<presence/>');
    const a = await login(an, 'desk');
    await a.send('<presence/>');
    await b.drain();
    a.c.socket.destroy();
    const p = await b.presence((x) => x.attrs.type === 'unavailable');
    expect(p.attrs.from).to.equal(a.jid);
    // And a probe now gets the saved logout time.
    const b2 = await login(bn, 'other');
    const got = await b2.send('<presence/>');
    const fromA = presences(got, 'unavailable').find((x) => x.attrs.from === a.bare)!;
    expect(fromA.getChild('delay', NS_DELAY)).to.not.equal(undefined);
  });

  it('directed presence: delivered, and followed by unavailable at logout unless already sent', async () => {
    const [an, fn, gn] = [await user('a'), await user('f'), await user('g')];
    const f = await login(fn, 'r');
    await f.send('<presence/>');
    const g = await login(gn, 'r');
    await g.send('<presence/>');
    const a = await login(an, 'desk');
    await a.send('<presence/>');
    await a.send(`<presence to='${f.bare}'><status>just for you</status></presence>`);
    await a.send(`<presence to='${g.jid}'/>`);
    expect(presences(await f.drain()).map((p) => [p.attrs.from, p.getChildText('status')])).to.deep.equal([[a.jid, 'just for you']]);
    expect(froms(await g.drain())).to.deep.equal([a.jid]);
    // Directed unavailable to g: g is not told again at logout.
    await a.send(`<presence type='unavailable' to='${g.jid}'/>`);
    expect(froms(await g.drain(), 'unavailable')).to.deep.equal([a.jid]);
    await a.send("<presence type='unavailable'/>");
    expect(froms(await f.drain(), 'unavailable')).to.deep.equal([a.jid]);
    expect(froms(await g.drain(), 'unavailable')).to.deep.equal([]);
  });

  it('directed presence from a session that never went available is undone when it ends', async () => {
    const [an, fn] = [await user('a'), await user('f')];
    const f = await login(fn, 'r');
    await f.send('<presence/>');
    const a = await login(an, 'quiet');
    await a.send(`<presence to='${f.bare}'/>`);
    expect(froms(await f.drain())).to.deep.equal([a.jid]);
    a.c.socket.destroy();
    expect((await f.presence((p) => p.attrs.type === 'unavailable')).attrs.from).to.equal(a.jid);
  });

  it("the user's resources see each other", async () => {
    const an = await user('a');
    const a1 = await login(an, 'one');
    await a1.send('<presence><show>dnd</show></presence>');
    const a2 = await login(an, 'two');
    const got = await a2.send('<presence/>');
    expect(froms(got).sort()).to.deep.equal([a1.jid, a2.jid].sort());
    expect(presences(got).find((p) => p.attrs.from === a1.jid)!.getChildText('show')).to.equal('dnd');
    expect(froms(await a1.drain())).to.deep.equal([a2.jid]);
  });

  it('refuses a bad priority with bad-request and broadcasts nothing', async () => {
    const [an, bn] = [await user('a'), await user('b')];
    await link(`${an}@localhost`, `${bn}@localhost`);
    const b = await login(bn, 'home');
    await b.send('<presence/>');
    const a = await login(an, 'desk');
    for (const bad of ['high', '128', '-129', '1.5', '']) {
      const got = await a.send(`<presence id='p1'><priority>${bad}</priority></presence>`);
      const err = presences(got, 'error');
      expect(err, `priority '${bad}'`).to.have.length(1);
      expect(err[0]!.getChild('error')!.getChild('bad-request')).to.not.equal(undefined);
    }
    expect(presences(await b.drain())).to.have.length(0);
    expect(ctxs.get('localhost')!.sessions.get(an, 'desk')!.presence).to.equal(null);
    await a.send('<presence><priority>-128</priority></presence>');
    expect(ctxs.get('localhost')!.sessions.get(an, 'desk')!.priority).to.equal(-128);
  });

  it('routes presence errors without answering them', async () => {
    const [an, bn] = [await user('a'), await user('b')];
    const b = await login(bn, 'home');
    await b.send('<presence/>');
    const a = await login(an, 'desk');
    const got = await a.send(`<presence type='error' to='${b.bare}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`);
    expect(got).to.have.length(0);
    expect(froms(await b.drain(), 'error')).to.deep.equal([a.jid]);
  });

  it('presence to a bare JID reaches available resources only; to a full JID, any connected one', async () => {
    const [bn, fn] = [await user('b'), await user('f')];
    const b1 = await login(bn, 'available');
    await b1.send('<presence/>');
    const b2 = await login(bn, 'connected');
    const f = await login(fn, 'r');
    await f.send(`<presence to='${bn}@localhost'/>`);
    expect(froms(await b1.drain())).to.deep.equal([f.jid]);
    expect(froms(await b2.drain())).to.deep.equal([]);
    await f.send(`<presence to='${b2.jid}'/>`);
    expect(froms(await b2.drain())).to.deep.equal([f.jid]);
  });

  it('works across virtual hosts', async () => {
    const [an, gn] = [await user('a'), await user('g', 'a.example')];
    await link(`${an}@localhost`, `${gn}@a.example`);
    const g = await login(gn, 'far', 'a.example');
    await g.send('<presence/>');
    const a = await login(an, 'near');
    const got = await a.send('<presence/>');
    expect(froms(got)).to.include(g.jid);
    expect(froms(await g.drain())).to.deep.equal([a.jid]);
    a.c.socket.destroy();
    expect((await g.presence((p) => p.attrs.type === 'unavailable')).attrs.from).to.equal(a.jid);
  });
});
