// XEP-0060 on pubsub.<host> over real sockets: node creation policy and configuration, subscriptions,
// affiliations (publisher, member, outcast), notifications with and without payloads, RSM paging.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { barrier, errorOf, expectResult, iq, isEvent, NS_PUBSUB, NS_PUBSUB_EVENT, NS_PUBSUB_OWNER } from '../helpers/pep.js';

const PS = 'pubsub.localhost';
const form = (fields: Record<string, string>) => `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>${
  Object.entries(fields).map(([k, v]) => `<field var='${k}'><value>${v}</value></field>`).join('')}</x>`;
const publish = (node: string, id: string, text: string) => `<pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item id='${id}'><entry xmlns='http://www.w3.org/2005/Atom'><title>${text}</title></entry></item></publish></pubsub>`;
const itemsOf = (r: Element) => r.getChild('pubsub')!.getChild('items')!.getChildren('item');

describe('pubsub service (XEP-0060 on pubsub.<host>)', function () {
  this.timeout(20_000);
  let t: TestServer;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;

  before(async () => {
    t = await startTestServer({ modules: { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, pubsub: { createNodes: 'listed', creators: ['alice@localhost'] } } });
    for (const u of ['alice', 'bob', 'carol']) await t.addUser(u, 'pw');
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => connectClient({ port: t.c2sPort, username: u, password: 'pw' })));
  });
  after(async () => {
    for (const c of [alice, bob, carol]) await c?.stop();
    await t.stop();
  });

  it('is listed by the server and identifies as pubsub/service', async () => {
    const items = expectResult(await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#items'/>", 'localhost'));
    expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.include(PS);
    const info = expectResult(await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", PS)).getChild('query')!;
    expect(info.getChild('identity')!.attrs).to.include({ category: 'pubsub', type: 'service' });
    expect(info.getChildren('feature').map((f) => f.attrs.var)).to.include(`${NS_PUBSUB}#create-nodes`);
  });

  it('creation policy: a listed creator creates (named, configured, and instant nodes); others get forbidden', async () => {
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><create node='news'/><configure>${form({ 'pubsub#title': 'News', 'pubsub#max_items': '10' })}</configure></pubsub>`, PS));
    const instant = expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><create/></pubsub>`, PS));
    expect(instant.getChild('pubsub')!.getChild('create')!.attrs.node).to.match(/^[0-9a-f-]{36}$/);
    expect(errorOf(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><create node='bobs'/></pubsub>`, PS)).condition).to.equal('forbidden');
    expect(errorOf(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><create node='news'/></pubsub>`, PS)).condition).to.equal('conflict');
    const disco = expectResult(await iq(bob, 'get', "<query xmlns='http://jabber.org/protocol/disco#info' node='news'/>", PS)).getChild('query')!;
    expect(disco.getChild('identity')!.attrs.type).to.equal('leaf');
  });

  it('subscribers get notifications with payloads; after deliver_payloads=0 without them', async () => {
    const sub = expectResult(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='news' jid='${bob.jid}'/></pubsub>`, PS));
    expect(sub.getChild('pubsub')!.getChild('subscription')!.attrs).to.include({ node: 'news', subscription: 'subscribed' });
    expectResult(await iq(alice, 'set', publish('news', 'n1', 'Hello'), PS));
    const ev = await bob.waitFor(isEvent('news'));
    expect(ev.attrs.from).to.equal(PS);
    const item = ev.getChild('event', NS_PUBSUB_EVENT)!.getChild('items')!.getChild('item')!;
    expect(item.getChild('entry')!.getChildText('title')).to.equal('Hello');

    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='news'>${form({ 'pubsub#deliver_payloads': '0' })}</configure></pubsub>`, PS));
    expectResult(await iq(alice, 'set', publish('news', 'n2', 'Quiet'), PS));
    const bare = (await bob.waitFor(isEvent('news'))).getChild('event')!.getChild('items')!.getChild('item')!;
    expect(bare.attrs.id).to.equal('n2');
    expect(bare.getChildElements()).to.have.length(0);
    // The item itself is there for retrieval.
    expect(itemsOf(expectResult(await iq(bob, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='news'><item id='n2'/></items></pubsub>`, PS)))[0]!.getChild('entry')).to.not.equal(undefined);
  });

  it('subscription options: the subscriber reads and submits them; a non-subscriber gets not-subscribed', async () => {
    const got = expectResult(await iq(bob, 'get', `<pubsub xmlns='${NS_PUBSUB}'><options node='news' jid='${bob.jid}'/></pubsub>`, PS));
    const x = got.getChild('pubsub')!.getChild('options')!.getChild('x', 'jabber:x:data')!;
    expect(x.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE')!.getChildText('value')).to.equal('http://jabber.org/protocol/pubsub#subscribe_options');
    expectResult(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><options node='news' jid='${bob.jid}'><x xmlns='jabber:x:data' type='submit'><field var='pubsub#deliver'><value>1</value></field></x></options></pubsub>`, PS));
    expect(errorOf(await iq(carol, 'get', `<pubsub xmlns='${NS_PUBSUB}'><options node='news' jid='${carol.jid}'/></pubsub>`, PS)).app).to.equal('not-subscribed');
  });

  it('subscribing someone else\'s JID is refused (invalid-jid)', async () => {
    expect(errorOf(await iq(carol, 'set', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='news' jid='${bob.jid}'/></pubsub>`, PS))).to.include({ condition: 'bad-request', app: 'invalid-jid' });
  });

  it('affiliations: a publisher may publish, a none may not, an outcast may not even subscribe', async () => {
    expect(errorOf(await iq(bob, 'set', publish('news', 'b1', 'from bob'), PS)).condition).to.equal('forbidden');
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='news'><affiliation jid='bob@localhost' affiliation='publisher'/><affiliation jid='carol@localhost' affiliation='outcast'/></affiliations></pubsub>`, PS));
    expectResult(await iq(bob, 'set', publish('news', 'b1', 'from bob'), PS));
    expect(errorOf(await iq(carol, 'set', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='news' jid='${carol.jid}'/></pubsub>`, PS)).condition).to.equal('forbidden');
    const affs = expectResult(await iq(alice, 'get', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='news'/></pubsub>`, PS));
    const list = affs.getChild('pubsub')!.getChild('affiliations')!.getChildren('affiliation').map((a) => `${a.attrs.jid}=${a.attrs.affiliation}`).sort();
    expect(list).to.deep.equal(['alice@localhost=owner', 'bob@localhost=publisher', 'carol@localhost=outcast']);
    expect(errorOf(await iq(bob, 'get', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='news'/></pubsub>`, PS)).condition).to.equal('forbidden');
    const mine = expectResult(await iq(bob, 'get', `<pubsub xmlns='${NS_PUBSUB}'><affiliations/></pubsub>`, PS));
    expect(mine.getChild('pubsub')!.getChild('affiliations')!.getChildren('affiliation').map((a) => a.attrs.affiliation)).to.deep.equal(['publisher']);
  });

  it('whitelist nodes: members only', async () => {
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><create node='club'/><configure>${form({ 'pubsub#access_model': 'whitelist' })}</configure></pubsub>`, PS));
    expect(errorOf(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='club' jid='${bob.jid}'/></pubsub>`, PS))).to.include({ condition: 'not-allowed', app: 'closed-node' });
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='club'><affiliation jid='bob@localhost' affiliation='member'/></affiliations></pubsub>`, PS));
    expectResult(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='club' jid='${bob.jid}'/></pubsub>`, PS));
    const seen = async (c: TestClient) => expectResult(await iq(c, 'get', "<query xmlns='http://jabber.org/protocol/disco#items'/>", PS)).getChild('query')!.getChildren('item').map((i) => i.attrs.node);
    expect(await seen(bob)).to.include('news').and.include('club');
    expect(await seen(carol)).to.not.include('club').and.not.include('news');   // carol is an outcast of news
  });

  it('pages items with RSM', async () => {
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><create node='paged'/><configure>${form({ 'pubsub#max_items': '10' })}</configure></pubsub>`, PS));
    for (let i = 1; i <= 5; i++) expectResult(await iq(alice, 'set', publish('paged', `p${i}`, `#${i}`), PS));
    const page = async (set: string) => {
      const r = expectResult(await iq(bob, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='paged'/><set xmlns='http://jabber.org/protocol/rsm'>${set}</set></pubsub>`, PS));
      const rsm = r.getChild('pubsub')!.getChild('set', 'http://jabber.org/protocol/rsm')!;
      return { ids: itemsOf(r).map((i) => i.attrs.id), count: rsm.getChildText('count'), last: rsm.getChildText('last') };
    };
    expect(await page('<max>2</max>')).to.deep.equal({ ids: ['p1', 'p2'], count: '5', last: 'p2' });
    expect(await page('<max>2</max><after>p2</after>')).to.deep.equal({ ids: ['p3', 'p4'], count: '5', last: 'p4' });
    expect(await page('<max>2</max><before/>')).to.deep.equal({ ids: ['p4', 'p5'], count: '5', last: 'p5' });
    expect(errorOf(await iq(bob, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='paged'/><set xmlns='http://jabber.org/protocol/rsm'><after>nope</after></set></pubsub>`, PS)).condition).to.equal('item-not-found');
  });

  it('unsubscribe stops notifications; delete notifies subscribers and removes the node', async () => {
    expectResult(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><unsubscribe node='club' jid='${bob.jid}'/></pubsub>`, PS));
    expect(errorOf(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><unsubscribe node='club' jid='${bob.jid}'/></pubsub>`, PS))).to.include({ app: 'not-subscribed' });
    expectResult(await iq(alice, 'set', publish('club', 'c1', 'members only'), PS));
    await barrier(bob);
    expect(bob.received.filter(isEvent('club'))).to.have.length(0);

    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><delete node='news'/></pubsub>`, PS));
    const del = await bob.waitFor((s) => isEvent('news')(s) && s.getChild('event')!.getChild('delete') !== undefined);
    expect(del.getChild('event')!.getChild('delete')!.attrs.node).to.equal('news');
    expect(errorOf(await iq(bob, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='news'/></pubsub>`, PS)).condition).to.equal('item-not-found');
  });
});
