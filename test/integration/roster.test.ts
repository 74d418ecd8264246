// RFC 6121 §2 roster management over real sockets: get, set, remove, pushes to interested
// resources only, every error case of a roster set, and roster versioning (§2.6).
import { expect } from 'chai';
import * as ltx from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSecure, rawLogin, saslAuth } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';

const NS = 'jabber:iq:roster';
const parse = (ltx as unknown as { parse(s: string): ltx.Element }).parse;

/** A logged-in client that reads whole stanzas. */
class Conn {
  #seq = 0;
  constructor(readonly c: RawClient, readonly jid: string) {}

  /** The stanzas already received, up to the answer of a round trip to the server. */
  async drain(): Promise<ltx.Element[]> {
    const id = `sync${++this.#seq}`;
    this.c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const m = await this.c.expect(new RegExp(`^(.*?)<iq [^>]*id="${id}"[^>]*/>`, 's'));
    return stanzas(m[1]!);
  }

  /** Sends an IQ and returns its answer and everything received before it. */
  async iq(type: 'get' | 'set', payload: string, to?: string): Promise<{ reply: ltx.Element; before: ltx.Element[] }> {
    const id = `iq${++this.#seq}`;
    this.c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
    const m = await this.c.expect(new RegExp(`^(.*?)(<iq [^>]*id="${id}"[^>]*?(?:/>|>.*?</iq>))`, 's'));
    return { reply: parse(m[2]!), before: stanzas(m[1]!) };
  }
}

function stanzas(text: string): ltx.Element[] {
  return parse(`<r>${text}</r>`).getChildElements();
}

const pushes = (list: ltx.Element[]) => list.filter((s) => s.name === 'iq' && s.attrs.type === 'set' && s.getChild('query', NS));
const itemsOf = (q: ltx.Element) => q.getChild('query', NS)!.getChildren('item');
const errorOf = (reply: ltx.Element) => {
  expect(reply.attrs.type, reply.toString()).to.equal('error');
  return reply.getChild('error')!.getChildElements().find((c) => c.name !== 'text')!.name;
};

describe('roster (RFC 6121 §2)', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  let n = 0;

  const login = async (username: string, resource: string): Promise<Conn> => {
    const { client, jid } = await rawLogin({ port: t.c2sPort, username, password: 'pw', resource });
    client.socket.setNoDelay(true);
    open.push(client);
    await client.expect(/^.*?<\/iq>/s);   // the rest of the bind result
    return new Conn(client, jid);
  };
  /** A fresh user for each test. */
  const user = async (): Promise<string> => {
    const name = `r${++n}`;
    await t.addUser(name, 'pw');
    return name;
  };

  before(async () => {
    t = await startTestServer({
      modules: { ping: {}, roster: { maxItems: 3, maxNameLength: 10, maxGroupLength: 8, maxGroups: 3, versionLog: 4 } },
    });
  });
  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('announces roster versioning after authentication only', async () => {
    const u = await user();
    const { client, features } = await connectSecure({ port: t.c2sPort });
    open.push(client);
    expect(features).to.not.include('urn:xmpp:features:rosterver');
    expect((await saslAuth(client, { port: t.c2sPort, username: u, password: 'pw' })).ok).to.equal(true);
    client.open('localhost');
    const m = await client.expect(/<stream:features>.*?<\/stream:features>/s);
    expect(m[0]).to.include('<ver xmlns="urn:xmpp:features:rosterver"/>');
    client.close();
  });

  it('returns an empty roster with a version', async () => {
    const a = await login(await user(), 'a');
    const { reply } = await a.iq('get', `<query xmlns='${NS}'/>`);
    expect(reply.attrs.type).to.equal('result');
    const q = reply.getChild('query', NS)!;
    expect(q.attrs.ver).to.be.a('string').and.not.equal('');
    expect(q.getChildElements()).to.have.length(0);
  });

  it('adds, updates and removes items, pushing to interested resources only', async () => {
    const u = await user();
    const a = await login(u, 'a');
    const b = await login(u, 'b');      // asks for the roster: interested
    const c = await login(u, 'c');      // never asks: gets no pushes
    await a.iq('get', `<query xmlns='${NS}'/>`);
    await b.iq('get', `<query xmlns='${NS}'/>`);

    const add = await a.iq('set', `<query xmlns='${NS}'><item jid='Nurse@Example.com' name='Nurse'><group>Servants</group><group>B</group></item></query>`);
    expect(add.reply.attrs.type).to.equal('result');
    expect(add.reply.getChildElements()).to.have.length(0);
    const [push] = pushes(add.before);
    expect(push, 'push to the resource that sent the set').to.not.equal(undefined);
    expect(push!.attrs.to).to.equal(`${u}@localhost/a`);
    expect(push!.attrs.from).to.equal(`${u}@localhost`);
    const item = itemsOf(push!)[0]!;
    expect(item.attrs).to.deep.equal({ jid: 'nurse@example.com', name: 'Nurse', subscription: 'none' });
    expect(item.getChildren('group').map((g) => g.getText())).to.deep.equal(['Servants', 'B']);
    const ver1 = push!.getChild('query', NS)!.attrs.ver;

    const bPushes = pushes(await b.drain());
    expect(bPushes).to.have.length(1);
    expect(bPushes[0]!.attrs.id).to.not.equal(push!.attrs.id);
    expect(pushes(await c.drain())).to.have.length(0);

    // An update replaces name and groups; the version moves on.
    const upd = await b.iq('set', `<query xmlns='${NS}'><item jid='nurse@example.com'><group>Friends</group></item></query>`);
    expect(upd.reply.attrs.type).to.equal('result');
    const up = itemsOf(pushes(upd.before)[0]!)[0]!;
    expect(up.attrs.name).to.equal(undefined);
    expect(up.getChildren('group').map((g) => g.getText())).to.deep.equal(['Friends']);
    expect(pushes(upd.before)[0]!.getChild('query', NS)!.attrs.ver).to.not.equal(ver1);
    expect(pushes(await a.drain())).to.have.length(1);

    const get = await c.iq('get', `<query xmlns='${NS}'/>`);
    expect(itemsOf(get.reply).map((i) => i.attrs.jid)).to.deep.equal(['nurse@example.com']);

    // Removal: a push with subscription='remove' to every interested resource (c asked now too).
    const rm = await a.iq('set', `<query xmlns='${NS}'><item jid='nurse@example.com' subscription='remove'/></query>`);
    expect(rm.reply.attrs.type).to.equal('result');
    expect(itemsOf(pushes(rm.before)[0]!)[0]!.attrs).to.deep.equal({ jid: 'nurse@example.com', subscription: 'remove' });
    expect(pushes(await b.drain())).to.have.length(1);
    expect(pushes(await c.drain())).to.have.length(1);
    expect(itemsOf((await a.iq('get', `<query xmlns='${NS}'/>`)).reply)).to.have.length(0);

    // Removing what is not there.
    const again = await a.iq('set', `<query xmlns='${NS}'><item jid='nurse@example.com' subscription='remove'/></query>`);
    expect(errorOf(again.reply)).to.equal('item-not-found');
  });

  it('ignores subscription, ask and approved sent by the client', async () => {
    const a = await login(await user(), 'a');
    await a.iq('get', `<query xmlns='${NS}'/>`);
    const set = await a.iq('set', `<query xmlns='${NS}'><item jid='x@example.com' subscription='both' ask='subscribe' approved='true'/></query>`);
    expect(set.reply.attrs.type).to.equal('result');
    expect(itemsOf(pushes(set.before)[0]!)[0]!.attrs).to.deep.equal({ jid: 'x@example.com', subscription: 'none' });
  });

  describe('refuses bad roster sets (§2.3.3)', function () {
    let a: Conn;
    let name: string;
    before(async () => {
      name = await user();
      a = await login(name, 'a');
      await a.iq('get', `<query xmlns='${NS}'/>`);
    });
    const cases: [string, string, string][] = [
      ['two items', "<item jid='a@example.com'/><item jid='b@example.com'/>", 'bad-request'],
      ['no item', '', 'bad-request'],
      ['an item without jid', "<item name='x'/>", 'bad-request'],
      ['a malformed jid', "<item jid='a@b@c'/>", 'jid-malformed'],
      ['a full jid', "<item jid='a@example.com/res'/>", 'bad-request'],
      ['duplicate groups', "<item jid='a@example.com'><group>G</group><group>G</group></item>", 'bad-request'],
      ['an empty group', "<item jid='a@example.com'><group/></item>", 'not-acceptable'],
      ['a group of spaces', "<item jid='a@example.com'><group>  </group></item>", 'not-acceptable'],
      ['a name over the limit', "<item jid='a@example.com' name='12345678901'/>", 'not-acceptable'],
      ['a group over the limit', "<item jid='a@example.com'><group>123456789</group></item>", 'not-acceptable'],
      ['too many groups', "<item jid='a@example.com'><group>1</group><group>2</group><group>3</group><group>4</group></item>", 'not-acceptable'],
    ];
    for (const [what, items, condition] of cases) {
      it(`${what} → ${condition}`, async () => {
        const { reply, before } = await a.iq('set', `<query xmlns='${NS}'>${items}</query>`);
        expect(errorOf(reply)).to.equal(condition);
        expect(pushes(before)).to.have.length(0);
      });
    }
    it("the user's own JID → not-allowed", async () => {
      expect(errorOf((await a.iq('set', `<query xmlns='${NS}'><item jid='${name}@localhost'/></query>`)).reply)).to.equal('not-allowed');
    });
    it('limits at the boundary are accepted (10-character name, 8-character groups, 3 groups)', async () => {
      const { reply } = await a.iq('set', `<query xmlns='${NS}'><item jid='ok@example.com' name='1234567890'><group>12345678</group><group>b</group><group>c</group></item></query>`);
      expect(reply.attrs.type).to.equal('result');
    });
    it('a full roster → resource-constraint; changing an existing item still works', async () => {
      for (const c of ['f1', 'f2']) await a.iq('set', `<query xmlns='${NS}'><item jid='${c}@example.com'/></query>`);
      expect(errorOf((await a.iq('set', `<query xmlns='${NS}'><item jid='f3@example.com'/></query>`)).reply)).to.equal('resource-constraint');
      expect((await a.iq('set', `<query xmlns='${NS}'><item jid='f1@example.com' name='renamed'/></query>`)).reply.attrs.type).to.equal('result');
    });
  });

  it("refuses another user's roster: get → service-unavailable, set → forbidden", async () => {
    const owner = await user();
    const a = await login(await user(), 'a');
    expect(errorOf((await a.iq('get', `<query xmlns='${NS}'/>`, `${owner}@localhost`)).reply)).to.equal('service-unavailable');
    expect(errorOf((await a.iq('set', `<query xmlns='${NS}'><item jid='x@example.com'/></query>`, `${owner}@localhost`)).reply)).to.equal('forbidden');
    // Explicitly addressed to the user's own bare JID is the same as no 'to'.
    expect((await a.iq('get', `<query xmlns='${NS}'/>`, a.jid.split('/')[0])).reply.attrs.type).to.equal('result');
  });

  describe('versioning (§2.6)', function () {
    it('answers a get with the current version with an empty result', async () => {
      const a = await login(await user(), 'a');
      await a.iq('set', `<query xmlns='${NS}'><item jid='v@example.com'/></query>`);
      const ver = (await a.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.attrs.ver!;
      const again = await a.iq('get', `<query xmlns='${NS}' ver='${ver}'/>`);
      expect(again.reply.attrs.type).to.equal('result');
      expect(again.reply.getChildElements()).to.have.length(0);
      expect(pushes(await a.drain())).to.have.length(0);
    });

    it('sends only the changes, as pushes after the empty result, ending at the current version', async () => {
      const u = await user();
      const a = await login(u, 'a');
      const add = (jid: string, name?: string) => a.iq('set', `<query xmlns='${NS}'><item jid='${jid}'${name ? ` name='${name}'` : ''}/></query>`);
      await add('one@example.com');
      await add('two@example.com');
      const old = (await a.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.attrs.ver!;
      await a.drain();
      // Changes since `old`: three (within versionLog: 4), two of them to the same contact.
      await add('three@example.com');
      await add('one@example.com', 'First');
      await a.iq('set', `<query xmlns='${NS}'><item jid='two@example.com' subscription='remove'/></query>`);
      const current = (await a.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.attrs.ver!;

      const b = await login(u, 'b');
      const res = await b.iq('get', `<query xmlns='${NS}' ver='${old}'/>`);
      expect(res.reply.attrs.type).to.equal('result');
      expect(res.reply.getChildElements(), 'empty result').to.have.length(0);
      expect(pushes(res.before), 'pushes come after the result').to.have.length(0);
      const got = pushes(await b.drain());
      const summary = got.map((p) => {
        const i = itemsOf(p)[0]!;
        return [i.attrs.jid, i.attrs.subscription, i.attrs.name ?? null];
      });
      expect(summary).to.deep.equal([
        ['three@example.com', 'none', null],
        ['one@example.com', 'none', 'First'],
        ['two@example.com', 'remove', null],
      ]);
      expect(got[got.length - 1]!.getChild('query', NS)!.attrs.ver).to.equal(current);
      const vers = got.map((p) => p.getChild('query', NS)!.attrs.ver);
      expect(new Set(vers).size).to.equal(3);
    });

    it('returns the full roster for an unknown, empty or too old version', async () => {
      const a = await login(await user(), 'a');
      await a.iq('set', `<query xmlns='${NS}'><item jid='p@example.com'/></query>`);
      const old = (await a.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.attrs.ver!;
      for (const ver of ['', 'nonsense', 'ffffffff-1', `${old}0`]) {
        const r = await a.iq('get', `<query xmlns='${NS}' ver='${ver}'/>`);
        expect(itemsOf(r.reply).map((i) => i.attrs.jid), `ver='${ver}'`).to.deep.equal(['p@example.com']);
      }
      // Five changes with a log of four: the client is too far behind for pushes.
      for (let i = 0; i < 5; i++) await a.iq('set', `<query xmlns='${NS}'><item jid='p@example.com' name='n${i}'/></query>`);
      await a.drain();
      const r = await a.iq('get', `<query xmlns='${NS}' ver='${old}'/>`);
      expect(itemsOf(r.reply)[0]!.attrs.name).to.equal('n4');
      expect(pushes(await a.drain())).to.have.length(0);
    });
  });

  it('keeps the roster and its version across a restart', async () => {
    const u = await user();
    let a = await login(u, 'a');
    await a.iq('set', `<query xmlns='${NS}'><item jid='kept@example.com' name='K'><group>G</group></item></query>`);
    const ver = (await a.iq('get', `<query xmlns='${NS}'/>`)).reply.getChild('query', NS)!.attrs.ver!;
    for (const c of open.splice(0)) c.close();
    await t.stop(true);
    t = await startTestServer({
      modules: { ping: {}, roster: { maxItems: 3, maxNameLength: 10, maxGroupLength: 8, maxGroups: 3, versionLog: 4 } },
    }, ['localhost'], { dataDir: t.dataDir });
    a = await login(u, 'a');
    expect((await a.iq('get', `<query xmlns='${NS}' ver='${ver}'/>`)).reply.getChildElements()).to.have.length(0);
    const full = await a.iq('get', `<query xmlns='${NS}'/>`);
    expect(full.reply.getChild('query', NS)!.attrs.ver).to.equal(ver);
    const item = itemsOf(full.reply)[0]!;
    expect([item.attrs.jid, item.attrs.name, item.getChildText('group')]).to.deep.equal(['kept@example.com', 'K', 'G']);
  });
});
