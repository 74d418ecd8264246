// XEP-0402 bookmarks and the #compat conversion with XEP-0048 bookmarks in XEP-0049 private storage,
// both ways, over real sockets: an old client and a new client of one account see the same list.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { bareOf, errorOf, expectResult, iq, NS_PUBSUB, PEP_MODULES, publishOptions } from '../helpers/pep.js';

const NODE = 'urn:xmpp:bookmarks:1';
const OPTIONS = publishOptions({ 'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist' });

describe('bookmarks (XEP-0402 with XEP-0048 #compat)', function () {
  let t: TestServer;
  let oldClient: TestClient;
  let newClient: TestClient;
  let other: TestClient;

  before(async () => {
    t = await startTestServer({ modules: { ...PEP_MODULES, bookmarks: {} } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    oldClient = await connectClient({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'legacy' });
    newClient = await connectClient({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'modern' });
    other = await connectClient({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'r' });
  });
  after(async () => {
    for (const c of [oldClient, newClient, other]) await c?.stop();
    await t.stop();
  });

  const pepItems = async (c: TestClient): Promise<Element[]> =>
    expectResult(await iq(c, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='${NODE}'/></pubsub>`)).getChild('pubsub')!.getChild('items')!.getChildren('item');
  const privateStorage = async (c: TestClient): Promise<Element> =>
    expectResult(await iq(c, 'get', "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>")).getChild('query')!.getChild('storage')!;

  it('announces urn:xmpp:bookmarks:1#compat on the account', async () => {
    const q = expectResult(await iq(newClient, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", bareOf(newClient))).getChild('query')!;
    expect(q.getChildren('feature').map((f) => f.attrs.var)).to.include('urn:xmpp:bookmarks:1#compat');
  });

  it('XEP-0048 in private storage -> XEP-0402 items', async () => {
    expectResult(await iq(oldClient, 'set', "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" +
      "<conference jid='council@conference.example.org' name='Council of Oberon' autojoin='true'><nick>Puck</nick><password>pass</password></conference>" +
      "<conference jid='lobby@conference.example.org'/>" +
      "<conference name='no jid, skipped'/>" +
      "<url name='Homepage' url='https://example.org/'/></storage></query>"));
    const items = await pepItems(newClient);
    expect(items.map((i) => i.attrs.id).sort()).to.deep.equal(['council@conference.example.org', 'lobby@conference.example.org']);
    const council = items.find((i) => i.attrs.id === 'council@conference.example.org')!.getChild('conference', NODE)!;
    expect(council.attrs.name).to.equal('Council of Oberon');
    expect(council.attrs.autojoin).to.equal('true');
    expect(council.getChildText('nick')).to.equal('Puck');
    expect(council.getChildText('password')).to.equal('pass');
    // The node was created private (XEP-0402 §3), so a client's publish-options match.
    const cfg = expectResult(await iq(newClient, 'get', `<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='${NODE}'/></pubsub>`));
    const access = cfg.getChild('pubsub')!.getChild('configure')!.getChild('x')!.getChildren('field').find((f) => f.attrs.var === 'pubsub#access_model')!;
    expect(access.getChildText('value')).to.equal('whitelist');
  });

  it('XEP-0402 publish and retract -> XEP-0048 in private storage (url entries kept)', async () => {
    expectResult(await iq(newClient, 'set', `<pubsub xmlns='${NS_PUBSUB}'><publish node='${NODE}'><item id='orchard@conference.example.org'>` +
      `<conference xmlns='${NODE}' name='The Orchard' autojoin='true'><nick>Titania</nick><extensions><x xmlns='urn:example:ext'/></extensions></conference>` +
      `</item></publish>${OPTIONS}</pubsub>`));
    let storage = await privateStorage(oldClient);
    let confs = storage.getChildren('conference');
    expect(confs.map((c) => c.attrs.jid).sort()).to.deep.equal(['council@conference.example.org', 'lobby@conference.example.org', 'orchard@conference.example.org']);
    const orchard = confs.find((c) => c.attrs.jid === 'orchard@conference.example.org')!;
    expect(orchard.attrs.name).to.equal('The Orchard');
    expect(orchard.attrs.autojoin).to.equal('true');
    expect(orchard.getChildText('nick')).to.equal('Titania');
    expect(storage.getChildren('url').map((u) => u.attrs.url)).to.deep.equal(['https://example.org/']);

    expectResult(await iq(newClient, 'set', `<pubsub xmlns='${NS_PUBSUB}'><retract node='${NODE}' notify='true'><item id='lobby@conference.example.org'/></retract></pubsub>`));
    storage = await privateStorage(oldClient);
    confs = storage.getChildren('conference');
    expect(confs.map((c) => c.attrs.jid).sort()).to.deep.equal(['council@conference.example.org', 'orchard@conference.example.org']);
  });

  it('an old client removing a bookmark retracts it; XEP-0402 extensions survive an old client rewriting the list', async () => {
    expectResult(await iq(oldClient, 'set', "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" +
      "<conference jid='orchard@conference.example.org' name='The Orchard (renamed)' autojoin='true'><nick>Titania</nick></conference></storage></query>"));
    const items = await pepItems(newClient);
    expect(items.map((i) => i.attrs.id)).to.deep.equal(['orchard@conference.example.org']);
    const c = items[0]!.getChild('conference', NODE)!;
    expect(c.attrs.name).to.equal('The Orchard (renamed)');
    expect(c.getChild('extensions')?.getChild('x', 'urn:example:ext')).to.not.equal(undefined);
  });

  it('a legacy client publishing <storage/> to PEP is converted too', async () => {
    expectResult(await iq(oldClient, 'set', `<pubsub xmlns='${NS_PUBSUB}'><publish node='storage:bookmarks'><item id='current'>` +
      "<storage xmlns='storage:bookmarks'><conference jid='pep@conference.example.org' autojoin='1'/></storage></item></publish></pubsub>"));
    const items = await pepItems(newClient);
    expect(items.map((i) => i.attrs.id)).to.deep.equal(['pep@conference.example.org']);
    const storage = await privateStorage(oldClient);
    expect(storage.getChildren('conference').map((c) => c.attrs.jid)).to.deep.equal(['pep@conference.example.org']);
  });

  it('nobody else can read the bookmarks', async () => {
    const reply = await iq(other, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='${NODE}'/></pubsub>`, 'alice@localhost');
    expect(errorOf(reply).condition).to.equal('not-allowed');
    const priv = await iq(other, 'get', "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>", 'alice@localhost');
    expect(errorOf(priv).condition).to.equal('forbidden');
  });
});
