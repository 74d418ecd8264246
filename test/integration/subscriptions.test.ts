// RFC 6121 §3 and Appendix A over real sockets: the subscription state table for every state and
// every subscription stanza in both directions, then whole flows between local users (approval,
// refusal, pending requests redelivered at login, pre-approval, roster removal).
//
// For the table the contact is an address on a test domain (capture.test) that records what the
// server routes to it and from which the test injects stanzas, so each case sees exactly one side.
import { expect } from 'chai';
import * as ltx from 'ltx';
import { z } from 'zod';
import { defineModule, el, type ModuleContext } from '../../src/api/index.js';
import type { RosterItem, RosterService, Subscription } from '../../modules/roster/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSecure, rawLogin, saslAuth } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const NS = 'jabber:iq:roster';
const parse = (ltx as unknown as { parse(s: string): ltx.Element }).parse;

class Conn {
  #seq = 0;
  constructor(readonly c: RawClient, readonly jid: string) {}
  get bare(): string {
    return this.jid.split('/')[0]!;
  }
  async drain(): Promise<ltx.Element[]> {
    const id = `sync${++this.#seq}`;
    this.c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const m = await this.c.expect(new RegExp(`^(.*?)<iq [^>]*id="${id}"[^>]*/>`, 's'));
    return stanzas(m[1]!);
  }
  async iq(type: 'get' | 'set', payload: string): Promise<{ reply: ltx.Element; before: ltx.Element[] }> {
    const id = `iq${++this.#seq}`;
    this.c.send(`<iq type='${type}' id='${id}'>${payload}</iq>`);
    const m = await this.c.expect(new RegExp(`^(.*?)(<iq [^>]*id="${id}"[^>]*?(?:/>|>.*?</iq>))`, 's'));
    return { reply: parse(m[2]!), before: stanzas(m[1]!) };
  }
  /** Sends, then returns everything received until the server has processed it. */
  async send(xml: string): Promise<ltx.Element[]> {
    this.c.send(xml);
    return this.drain();
  }
}

function stanzas(text: string): ltx.Element[] {
  return parse(`<r>${text}</r>`).getChildElements();
}

const pushes = (list: ltx.Element[]) => list.filter((s) => s.name === 'iq' && s.attrs.type === 'set' && s.getChild('query', NS));
const pushedItems = (list: ltx.Element[]) => pushes(list).map((p) => p.getChild('query', NS)!.getChild('item')!);
const presences = (list: ltx.Element[], type?: string) => list.filter((s) => s.name === 'presence' && s.attrs.type === type);

// ---- the test domain ----

const captured: ltx.Element[] = [];
let hostCtx: ModuleContext<unknown> | undefined;
const captureModule = defineModule({
  name: 'capture_domain',
  description: 'test helper: capture.test records what is routed to it; the test reaches the roster service',
  depends: ['roster'],
  options: z.object({}).strict(),
  setup(ctx) {
    if (ctx.host !== 'localhost') return;
    hostCtx = ctx;
    ctx.addRoute('capture.test', (ev) => {
      captured.push(ltx.clone(ev.stanza));
    });
  },
});
const roster = (): RosterService => hostCtx!.use('roster');

// ---- Appendix A ----

interface State { sub: Subscription; out: boolean; in: boolean; approved?: boolean }
const S: Record<string, State> = {
  'None': { sub: 'none', out: false, in: false },
  'None + Pending Out': { sub: 'none', out: true, in: false },
  'None + Pending In': { sub: 'none', out: false, in: true },
  'None + Pending Out/In': { sub: 'none', out: true, in: true },
  'To': { sub: 'to', out: false, in: false },
  'To + Pending In': { sub: 'to', out: false, in: true },
  'From': { sub: 'from', out: false, in: false },
  'From + Pending Out': { sub: 'from', out: true, in: false },
  'Both': { sub: 'both', out: false, in: false },
  // §3.4 pre-approval of a request that has not arrived yet.
  'None (pre-approved)': { sub: 'none', out: false, in: false, approved: true },
  'None + Pending Out (pre-approved)': { sub: 'none', out: true, in: false, approved: true },
  'To (pre-approved)': { sub: 'to', out: false, in: false, approved: true },
};
const ORDER = ['None', 'None + Pending Out', 'None + Pending In', 'None + Pending Out/In', 'To', 'To + Pending In', 'From', 'From + Pending Out', 'Both'];

/** One row: does the stanza go on (ROUTE?/DELIVER?), the new state ('' = no state change), what else the server sends the contact. */
type Row = [pass: boolean, next: string, alsoSent?: string[]];
type Table = Record<'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed', Row[]>;

// A.2: outbound, from the user. Every subscribe and unsubscribe is routed (the contact's server
// answers for a subscription that already exists). A 'subscribed' that approves nothing is a
// pre-approval (§3.4). Granting a subscription sends the current presence; revoking one, unavailable.
const OUTBOUND: Table = {
  subscribe: [
    [true, 'None + Pending Out'], [true, ''], [true, 'None + Pending Out/In'], [true, ''],
    [true, ''], [true, ''], [true, 'From + Pending Out'], [true, ''], [true, ''],
  ],
  unsubscribe: [
    [true, ''], [true, 'None'], [true, ''], [true, 'None + Pending In'],
    [true, 'None'], [true, 'None + Pending In'], [true, ''], [true, 'From'], [true, 'From'],
  ],
  subscribed: [
    [false, 'None (pre-approved)'], [false, 'None + Pending Out (pre-approved)'], [true, 'From', ['available']], [true, 'From + Pending Out', ['available']],
    [false, 'To (pre-approved)'], [true, 'Both', ['available']], [false, ''], [false, ''], [false, ''],
  ],
  unsubscribed: [
    [false, ''], [false, ''], [true, 'None'], [true, 'None + Pending Out'],
    [false, ''], [true, 'To'], [true, 'None', ['unavailable']], [true, 'None + Pending Out', ['unavailable']], [true, 'To', ['unavailable']],
  ],
};

// A.3: inbound, from the contact. '*' rows of A.3.1 are answered by the server with 'subscribed'.
const INBOUND: Table = {
  subscribe: [
    [true, 'None + Pending In'], [true, 'None + Pending Out/In'], [false, ''], [false, ''],
    [true, 'To + Pending In'], [false, ''], [false, '', ['subscribed', 'available']], [false, '', ['subscribed', 'available']], [false, '', ['subscribed', 'available']],
  ],
  unsubscribe: [
    [false, ''], [false, ''], [true, 'None'], [true, 'None + Pending Out'],
    [false, ''], [true, 'To'], [true, 'None', ['unavailable']], [true, 'None + Pending Out', ['unavailable']], [true, 'To', ['unavailable']],
  ],
  subscribed: [
    [false, ''], [true, 'To'], [false, ''], [true, 'To + Pending In'],
    [false, ''], [false, ''], [false, ''], [true, 'Both'], [false, ''],
  ],
  unsubscribed: [
    [false, ''], [true, 'None'], [false, ''], [true, 'None + Pending In'],
    [true, 'None'], [true, 'None + Pending In'], [false, ''], [true, 'From'], [true, 'From'],
  ],
};

const stateOf = (item: RosterItem | null): State | null =>
  item && { sub: item.subscription, out: item.ask, in: item.pendingIn, ...(item.approved ? { approved: true } : {}) };
/** What the user sees of a state: subscription, ask, approved (§2.1.2). */
const seen = (s: State) => `${s.sub}|${s.out ? 'subscribe' : ''}|${s.approved && s.sub !== 'from' && s.sub !== 'both' ? 'true' : ''}`;
const kind = (p: ltx.Element) => p.attrs.type ?? 'available';

describe('subscriptions (RFC 6121 §3, Appendix A)', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  let n = 0;

  const login = async (username: string, resource: string, available = true): Promise<Conn> => {
    const { client, jid } = await rawLogin({ port: t.c2sPort, username, password: 'pw', resource });
    client.socket.setNoDelay(true);
    open.push(client);
    await client.expect(/^.*?<\/iq>/s);
    const c = new Conn(client, jid);
    await c.iq('get', `<query xmlns='${NS}'/>`);   // interested: gets pushes
    if (available) await c.send('<presence/>');
    return c;
  };
  const user = async (prefix = 'u'): Promise<string> => {
    const name = `${prefix}${++n}`;
    await t.addUser(name, 'pw');
    return name;
  };

  before(async () => {
    t = await startTestServer({ modules: { ping: {}, roster: { maxItems: 200 }, presence: {}, capture_domain: {} } }, ['localhost'], { extraModules: [captureModule] });
  });
  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('announces subscription pre-approval after authentication', async () => {
    const u = await user();
    const { client } = await connectSecure({ port: t.c2sPort });
    open.push(client);
    expect((await saslAuth(client, { port: t.c2sPort, username: u, password: 'pw' })).ok).to.equal(true);
    client.open('localhost');
    const m = await client.expect(/<stream:features>.*?<\/stream:features>/s);
    expect(m[0]).to.include('<sub xmlns="urn:xmpp:features:pre-approval"/>');
    client.close();
  });

  for (const [direction, table] of [['outbound', OUTBOUND], ['inbound', INBOUND]] as const) {
    describe(`Appendix A: ${direction} subscription stanzas`, function () {
      let me: Conn;
      let name: string;
      before(async () => {
        name = await user('table');
        me = await login(name, 'r');
      });

      for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'] as const) {
        ORDER.forEach((stateName, i) => {
          const [pass, nextName, alsoSent = []] = table[type][i]!;
          const label = `${stateName} + ${type} → ${pass ? (direction === 'outbound' ? 'routed' : 'delivered') : 'not passed on'}, ${nextName || 'no state change'}${alsoSent.length ? ` (+ ${alsoSent.join(', ')})` : ''}`;
          it(label, async () => {
            const contact = `c${++n}@capture.test`;
            const from = S[stateName]!;
            await roster().update(name, contact, () => ({
              jid: contact, groups: [], subscription: from.sub, ask: from.out, approved: false, pendingIn: from.in, hidden: false,
              ...(from.in ? { request: JSON.stringify({ n: 'presence', a: { type: 'subscribe', from: contact, to: `${name}@localhost` }, c: [] }) } : {}),
            }));
            await me.drain();   // the push of the setup
            captured.length = 0;

            let got: ltx.Element[];
            if (direction === 'outbound') got = await me.send(`<presence type='${type}' to='${contact}'/>`);
            else {
              await hostCtx!.send(el('presence', { type, from: contact, to: `${name}@localhost` }));
              got = await me.drain();
            }

            const expected = nextName === '' ? from : S[nextName]!;
            expect(stateOf(await roster().item(name, contact)), 'new state').to.deep.equal(expected);

            // A push exactly when what the user sees changed, showing the new state.
            const items = pushedItems(got);
            if (seen(from) === seen(expected)) expect(items, 'no push').to.have.length(0);
            else {
              expect(items, 'one push').to.have.length(1);
              const a = items[0]!.attrs;
              expect(`${a.subscription}|${a.ask ?? ''}|${a.approved ?? ''}`).to.equal(seen(expected));
            }

            const toContact = captured.filter((s) => (s.attrs.to ?? '').split('/')[0] === contact);
            if (direction === 'outbound') {
              const routed = toContact.filter((s) => s.attrs.type === type);
              expect(routed, 'routed to the contact').to.have.length(pass ? 1 : 0);
              if (pass) expect(routed[0]!.attrs.from, 'stamped with the bare JID').to.equal(`${name}@localhost`);
              expect(toContact.filter((s) => s.attrs.type !== type).map(kind)).to.deep.equal(alsoSent);
              expect(presences(got, type), 'nothing comes back to the user').to.have.length(0);
            } else {
              const delivered = got.filter((s) => s.name === 'presence' && s.attrs.type === type);
              expect(delivered, 'delivered to the user').to.have.length(pass ? 1 : 0);
              if (pass) expect(delivered[0]!.attrs.from).to.equal(contact);
              expect(toContact.map(kind), 'sent to the contact').to.deep.equal(alsoSent);
            }
          });
        });
      }
    });
  }

  describe('between local users', function () {
    it('request, approval and mutual subscription, with presence flowing', async () => {
      const [an, bn] = [await user('a'), await user('b')];
      const a = await login(an, 'r');
      const b = await login(bn, 'r');

      // a asks: pending out for a (pushed), the request delivered to b, b's roster unchanged (not in it).
      let gotA = await a.send(`<presence type='subscribe' to='${b.bare}'><status>hi</status></presence>`);
      expect(pushedItems(gotA).map((i) => i.attrs)).to.deep.equal([{ jid: b.bare, subscription: 'none', ask: 'subscribe' }]);
      let gotB = await b.drain();
      const req = presences(gotB, 'subscribe');
      expect(req).to.have.length(1);
      expect(req[0]!.attrs.from).to.equal(a.bare);
      expect(req[0]!.getChildText('status')).to.equal('hi');
      expect(pushes(gotB)).to.have.length(0);
      expect((await b.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.getChildren('item')).to.have.length(0);

      // b approves: b gets 'from', a gets 'to', the approval and b's presence.
      gotB = await b.send(`<presence type='subscribed' to='${a.bare}'/>`);
      expect(pushedItems(gotB).map((i) => i.attrs)).to.deep.equal([{ jid: a.bare, subscription: 'from' }]);
      gotA = await a.drain();
      expect(pushedItems(gotA).map((i) => i.attrs)).to.deep.equal([{ jid: b.bare, subscription: 'to' }]);
      expect(presences(gotA, 'subscribed').map((p) => p.attrs.from)).to.deep.equal([b.bare]);
      expect(presences(gotA).map((p) => p.attrs.from)).to.deep.equal([b.jid]);

      // The other way round.
      await b.send(`<presence type='subscribe' to='${a.bare}'/>`);
      expect(presences(await a.drain(), 'subscribe')).to.have.length(1);
      gotA = await a.send(`<presence type='subscribed' to='${b.bare}'/>`);
      expect(pushedItems(gotA).map((i) => i.attrs.subscription)).to.deep.equal(['both']);
      gotB = await b.drain();
      expect(pushedItems(gotB).map((i) => i.attrs.subscription)).to.deep.equal(['both']);
      expect(presences(gotB).map((p) => p.attrs.from)).to.deep.equal([a.jid]);

      // Presence now flows both ways.
      await a.send('<presence><show>away</show></presence>');
      const seenByB = presences(await b.drain());
      expect(seenByB.map((p) => [p.attrs.from, p.getChildText('show')])).to.deep.equal([[a.jid, 'away']]);
    });

    it('refusal: unsubscribed clears the pending request on both sides', async () => {
      const [an, bn] = [await user('a'), await user('b')];
      const a = await login(an, 'r');
      const b = await login(bn, 'r');
      await a.send(`<presence type='subscribe' to='${b.bare}'/>`);
      await b.drain();
      const gotB = await b.send(`<presence type='unsubscribed' to='${a.bare}'/>`);
      expect(pushes(gotB), 'b never had a in the roster').to.have.length(0);
      const gotA = await a.drain();
      expect(pushedItems(gotA).map((i) => i.attrs)).to.deep.equal([{ jid: b.bare, subscription: 'none' }]);
      expect(presences(gotA, 'unsubscribed').map((p) => p.attrs.from)).to.deep.equal([b.bare]);
      expect(await roster().item(bn, a.bare), "b's hidden request is gone").to.equal(null);
    });

    it('the contact withdraws its request with unsubscribe', async () => {
      const [an, bn] = [await user('a'), await user('b')];
      const a = await login(an, 'r');
      const b = await login(bn, 'r');
      await a.send(`<presence type='subscribe' to='${b.bare}'/>`);
      await b.drain();
      await a.send(`<presence type='unsubscribe' to='${b.bare}'/>`);
      expect(presences(await b.drain(), 'unsubscribe')).to.have.length(1);
      expect(await roster().item(bn, a.bare)).to.equal(null);
    });

    it('keeps a request for an offline user and delivers it at every login until answered', async () => {
      const [an, bn] = [await user('a'), await user('b')];
      const a = await login(an, 'r');
      await a.send(`<presence type='subscribe' to='${bn}@localhost'><status>let me in</status></presence>`);

      for (const resource of ['first', 'second']) {
        const b = await login(bn, resource, false);
        expect(presences(await b.drain(), 'subscribe'), 'nothing before initial presence').to.have.length(0);
        const got = await b.send('<presence/>');
        const req = presences(got, 'subscribe');
        expect(req.map((p) => [p.attrs.from, p.getChildText('status')])).to.deep.equal([[a.bare, 'let me in']]);
        if (resource === 'first') b.c.close();
        else {
          await b.send(`<presence type='subscribed' to='${a.bare}'/>`);
          b.c.close();
        }
      }
      const b3 = await login(bn, 'third', false);
      expect(presences(await b3.send('<presence/>'), 'subscribe'), 'answered: not delivered again').to.have.length(0);
      expect(pushedItems(await a.drain()).map((i) => i.attrs.subscription)).to.deep.equal(['to']);
    });

    it('pre-approval: the request is approved without reaching the user; unsubscribed cancels a pre-approval', async () => {
      const [an, bn, cn] = [await user('a'), await user('b'), await user('c')];
      const a = await login(an, 'r');
      const b = await login(bn, 'r');
      const c = await login(cn, 'r');

      let gotB = await b.send(`<presence type='subscribed' to='${a.bare}'/>`);
      expect(pushedItems(gotB).map((i) => i.attrs)).to.deep.equal([{ jid: a.bare, subscription: 'none', approved: 'true' }]);
      expect(presences(await a.drain(), 'subscribed'), 'a pre-approval is not routed').to.have.length(0);

      // The answer comes back before the request's round trip ends: everything is local.
      const gotA = await a.send(`<presence type='subscribe' to='${b.bare}'/>`);
      expect(pushedItems(gotA).map((i) => i.attrs)).to.deep.equal([
        { jid: b.bare, subscription: 'none', ask: 'subscribe' },
        { jid: b.bare, subscription: 'to' },
      ]);
      expect(presences(gotA, 'subscribed').map((p) => p.attrs.from)).to.deep.equal([b.bare]);
      expect(presences(gotA).map((p) => p.attrs.from), "b's presence follows").to.deep.equal([b.jid]);
      gotB = await b.drain();
      expect(presences(gotB, 'subscribe'), 'the pre-approved request is not delivered').to.have.length(0);
      expect(pushedItems(gotB).map((i) => i.attrs)).to.deep.equal([{ jid: a.bare, subscription: 'from' }]);

      // c pre-approves a, then takes it back: a's request then reaches c.
      await c.send(`<presence type='subscribed' to='${a.bare}'/>`);
      const cancel = await c.send(`<presence type='unsubscribed' to='${a.bare}'/>`);
      expect(pushedItems(cancel).map((i) => i.attrs)).to.deep.equal([{ jid: a.bare, subscription: 'none' }]);
      await a.send(`<presence type='subscribe' to='${c.bare}'/>`);
      expect(presences(await c.drain(), 'subscribe').map((p) => p.attrs.from)).to.deep.equal([a.bare]);
    });

    it('roster removal cancels both subscriptions and tells the contact (§2.5.2)', async () => {
      const [an, bn] = [await user('a'), await user('b')];
      const a = await login(an, 'r');
      const b = await login(bn, 'r');
      for (const [x, y] of [[a, b], [b, a]] as const) {
        await x.send(`<presence type='subscribe' to='${y.bare}'/>`);
        await y.send(`<presence type='subscribed' to='${x.bare}'/>`);
      }
      await a.drain();
      await b.drain();
      expect((await roster().item(an, b.bare))!.subscription).to.equal('both');

      const rm = await a.iq('set', `<query xmlns='${NS}'><item jid='${b.bare}' subscription='remove'/></query>`);
      expect(rm.reply.attrs.type).to.equal('result');
      expect(pushedItems(rm.before).map((i) => i.attrs.subscription)).to.deep.equal(['remove']);
      const gotB = await b.drain();
      expect(presences(gotB, 'unsubscribe').map((p) => p.attrs.from)).to.deep.equal([a.bare]);
      expect(presences(gotB, 'unsubscribed').map((p) => p.attrs.from)).to.deep.equal([a.bare]);
      expect(presences(gotB, 'unavailable').map((p) => p.attrs.from)).to.deep.equal([a.jid]);
      expect(pushedItems(gotB).map((i) => i.attrs.subscription).pop()).to.equal('none');
      expect((await roster().item(bn, a.bare))!.subscription).to.equal('none');
      expect(await roster().item(an, b.bare)).to.equal(null);
    });

    it('a request to an account that does not exist is refused with unsubscribed', async () => {
      const a = await login(await user('a'), 'r');
      const got = await a.send("<presence type='subscribe' to='nobody@localhost'/>");
      expect(presences(got, 'unsubscribed').map((p) => p.attrs.from)).to.deep.equal(['nobody@localhost']);
      expect(pushedItems(got).map((i) => i.attrs)).to.deep.equal([
        { jid: 'nobody@localhost', subscription: 'none', ask: 'subscribe' },
        { jid: 'nobody@localhost', subscription: 'none' },
      ]);
    });

    it('ignores subscription stanzas to oneself and keeps strangers out of the roster', async () => {
      const [an, bn] = [await user('a'), await user('b')];
      const a = await login(an, 'r');
      const b = await login(bn, 'r');
      expect(await a.send(`<presence type='subscribe' to='${a.bare}'/>`)).to.have.length(0);
      expect(await roster().item(an, a.bare)).to.equal(null);
      // A request from someone not in the roster is held without showing up in roster gets.
      await b.send(`<presence type='subscribe' to='${a.bare}'/>`);
      await a.drain();
      const item = await roster().item(an, b.bare);
      expect(item && [item.hidden, item.pendingIn]).to.deep.equal([true, true]);
      expect((await a.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.getChildren('item')).to.have.length(0);
      // Adding the contact keeps the pending request.
      await a.iq('set', `<query xmlns='${NS}'><item jid='${b.bare}' name='B'/></query>`);
      const now = await roster().item(an, b.bare);
      expect(now && [now.hidden, now.pendingIn, now.name]).to.deep.equal([false, true, 'B']);
    });

    it('an account deletion takes the roster, its version and the last presence with it', async () => {
      const [an, bn] = [await user('a'), await user('b')];
      const a = await login(an, 'r');
      const b = await login(bn, 'r', false);
      await b.send(`<presence type='subscribe' to='${a.bare}'/>`);
      await a.iq('set', `<query xmlns='${NS}'><item jid='x@example.com'/></query>`);
      const ver = (await a.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.attrs.ver!;
      expect(await hostCtx!.accounts.delete(an)).to.equal(true);
      await a.c.waitClosed();
      expect((await roster().items(an, { includeHidden: true })).size).to.equal(0);

      await t.addUser(an, 'pw');
      const again = await login(an, 'r', false);
      const res = await again.iq('get', `<query xmlns='${NS}' ver='${ver}'/>`);
      const q = res.reply.getChild('query', NS)!;
      expect(q.getChildren('item')).to.have.length(0);
      expect(q.attrs.ver).to.not.equal(ver);
      expect(await hostCtx!.use('presence').lastUnavailable(an), 'nothing written back for the deleted account').to.equal(null);
    });

    it('refuses a subscription that would overflow the roster with resource-constraint', async () => {
      const u = await user('full');
      for (let i = 0; i < 200; i++) await roster().update(u, `x${i}@example.com`, () => ({ jid: `x${i}@example.com`, groups: [], subscription: 'none', ask: false, approved: false, pendingIn: false, hidden: false }));
      const a = await login(u, 'r');
      const got = await a.send("<presence type='subscribe' to='y@capture.test' id='full1'/>");
      const err = got.find((s) => s.name === 'presence' && s.attrs.type === 'error');
      expect(err?.attrs.id).to.equal('full1');
      expect(err!.getChild('error')!.getChild('resource-constraint')).to.not.equal(undefined);
    });
  });
});
