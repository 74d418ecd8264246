// XEP-0163 PEP with XEP-0060 semantics over real sockets with @xmpp/client: an OMEMO-style flow with
// publish-options, access models, +notify filtering from XEP-0115 caps, the last item on presence,
// notifications to the owner's resources, retract/purge/delete, max_items and persistence.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import {
  announceCaps, available, barrier, bareOf, errorOf, expectResult, iq, isEvent, NS_PUBSUB, NS_PUBSUB_EVENT, NS_PUBSUB_OWNER,
  PEP_MODULES, publishOptions, subscribeBoth,
} from '../helpers/pep.js';

const DEVICES = 'urn:xmpp:omemo:2:devices';
const BUNDLES = 'urn:xmpp:omemo:2:bundles';
const NICK = 'http://jabber.org/protocol/nick';

const deviceList = (...ids: number[]) => `<devices xmlns='urn:xmpp:omemo:2'>${ids.map((i) => `<device id='${i}'/>`).join('')}</devices>`;
const bundle = (key: string) => `<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>${key}</spk><ik>identity</ik><prekeys><pk id='1'>pk1</pk></prekeys></bundle>`;
const publish = (node: string, item: string, id?: string, opts = '') =>
  `<pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item${id ? ` id='${id}'` : ''}>${item}</item></publish>${opts}</pubsub>`;
const items = (node: string, extra = '') => `<pubsub xmlns='${NS_PUBSUB}'><items node='${node}'${extra}/></pubsub>`;
const itemsOf = (reply: Element) => reply.getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChildren('item');

describe('PEP (XEP-0163, XEP-0060)', function () {
  this.timeout(20_000);
  let t: TestServer;
  const clients: TestClient[] = [];
  const login = async (username: string, resource = 'r1') => {
    const c = await connectClient({ port: t.c2sPort, username, password: 'pw', resource });
    clients.push(c);
    return c;
  };

  before(async () => {
    t = await startTestServer({ modules: PEP_MODULES });
    for (const u of ['alice', 'bob', 'carol', 'dave']) await t.addUser(u, 'pw');
  });
  after(async () => {
    for (const c of clients) await c.stop();
    await t.stop();
  });

  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;
  let dave: TestClient;

  it('sets up: alice is mutually subscribed with bob and dave; carol is a stranger', async () => {
    [alice, bob, carol, dave] = await Promise.all([login('alice'), login('bob'), login('carol'), login('dave')]);
    // Subscription requests reach available resources only (RFC 6121 §3.1.3).
    for (const c of [alice, bob, carol, dave]) await available(c);
    await subscribeBoth(alice, bob);
    await subscribeBoth(alice, dave);
  });

  it('announces PEP on the account: pubsub/pep identity and publish-options', async () => {
    const reply = expectResult(await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", bareOf(alice)));
    const q = reply.getChild('query')!;
    expect(q.getChildren('identity').some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep')).to.equal(true);
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    expect(features).to.include(`${NS_PUBSUB}#publish-options`);
    expect(features).to.include(`${NS_PUBSUB}#access-whitelist`);
  });

  it('OMEMO: publishes the device list and a bundle with access_model=open; a stranger fetches both', async () => {
    const open = publishOptions({ 'pubsub#access_model': 'open', 'pubsub#max_items': 'max' });
    const r1 = expectResult(await iq(alice, 'set', publish(DEVICES, deviceList(1001), 'current', open)));
    expect(r1.getChild('pubsub')!.getChild('publish')!.getChild('item')!.attrs.id).to.equal('current');
    expectResult(await iq(alice, 'set', publish(BUNDLES, bundle('key-1001'), '1001', open)));

    const list = itemsOf(expectResult(await iq(carol, 'get', items(DEVICES), bareOf(alice))));
    expect(list.map((i) => i.attrs.id)).to.deep.equal(['current']);
    expect(list[0]!.getChild('devices', 'urn:xmpp:omemo:2')!.getChildren('device').map((d) => d.attrs.id)).to.deep.equal(['1001']);

    const b = itemsOf(expectResult(await iq(carol, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='${BUNDLES}'><item id='1001'/></items></pubsub>`, bareOf(alice))));
    expect(b).to.have.length(1);
    expect(b[0]!.getChild('bundle')!.getChildText('spk')).to.equal('key-1001');
  });

  it('a mismatching publish-options precondition fails with conflict / precondition-not-met and changes nothing', async () => {
    const reply = await iq(alice, 'set', publish(DEVICES, deviceList(1, 2, 3), 'current', publishOptions({ 'pubsub#access_model': 'presence' })));
    expect(errorOf(reply)).to.deep.equal({ type: 'cancel', condition: 'conflict', app: 'precondition-not-met' });
    const list = itemsOf(expectResult(await iq(bob, 'get', items(DEVICES), bareOf(alice))));
    expect(list[0]!.getChild('devices')!.getChildren('device')).to.have.length(1);
  });

  it('legacy OMEMO recovery: precondition-not-met, then the client reconfigures the node and publishes again', async () => {
    const LEGACY = 'eu.siacs.conversations.axolotl.devicelist';
    const list = "<list xmlns='eu.siacs.conversations.axolotl'><device id='42'/></list>";
    expectResult(await iq(alice, 'set', publish(LEGACY, list, 'current')));   // an old client: default (presence) access
    const open = publishOptions({ 'pubsub#access_model': 'open' });
    expect(errorOf(await iq(alice, 'set', publish(LEGACY, list, 'current', open))).app).to.equal('precondition-not-met');
    const configure = `<pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='${LEGACY}'><x xmlns='jabber:x:data' type='submit'>` +
      `<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>` +
      `<field var='pubsub#access_model'><value>open</value></field></x></configure></pubsub>`;
    expectResult(await iq(alice, 'set', configure));
    expectResult(await iq(alice, 'set', publish(LEGACY, list, 'current', open)));
    expect(itemsOf(expectResult(await iq(carol, 'get', items(LEGACY), bareOf(alice))))).to.have.length(1);
  });

  it('an unknown publish option is refused, not ignored', async () => {
    const reply = await iq(alice, 'set', publish(NICK, "<nick xmlns='http://jabber.org/protocol/nick'>A</nick>", undefined, publishOptions({ 'pubsub#no_such_option': '1' })));
    expect(errorOf(reply).condition).to.equal('not-acceptable');
  });

  it('presence access (the default): a contact reads, a stranger gets not-authorized / presence-subscription-required', async () => {
    expectResult(await iq(alice, 'set', publish(NICK, "<nick xmlns='http://jabber.org/protocol/nick'>Alice</nick>")));
    const ok = itemsOf(expectResult(await iq(bob, 'get', items(NICK), bareOf(alice))));
    expect(ok[0]!.getChildText('nick')).to.equal('Alice');
    const denied = await iq(carol, 'get', items(NICK), bareOf(alice));
    expect(errorOf(denied)).to.deep.equal({ type: 'auth', condition: 'not-authorized', app: 'presence-subscription-required' });
  });

  it('refuses publishing to another user\'s PEP (forbidden), and retracting there', async () => {
    const reply = await iq(bob, 'set', publish(NICK, "<nick xmlns='http://jabber.org/protocol/nick'>Mallory</nick>"), bareOf(alice));
    expect(errorOf(reply).condition).to.equal('forbidden');
    const retract = await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><retract node='${DEVICES}'><item id='current'/></retract></pubsub>`, bareOf(alice));
    expect(errorOf(retract).condition).to.equal('forbidden');
    const create = await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><create node='x'/></pubsub>`, bareOf(alice));
    expect(errorOf(create).condition).to.equal('forbidden');
  });

  it('whitelist (XEP-0223 private storage): a contact can neither subscribe nor read (not-allowed / closed-node)', async () => {
    const priv = publishOptions({ 'pubsub#access_model': 'whitelist', 'pubsub#persist_items': '1' });
    expectResult(await iq(alice, 'set', publish('urn:example:private', "<secret xmlns='urn:example:private'>s3cret</secret>", 'current', priv)));
    const sub = await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='urn:example:private' jid='${bob.jid}'/></pubsub>`, bareOf(alice));
    expect(errorOf(sub)).to.deep.equal({ type: 'cancel', condition: 'not-allowed', app: 'closed-node' });
    const read = await iq(bob, 'get', items('urn:example:private'), bareOf(alice));
    expect(errorOf(read).app).to.equal('closed-node');
    const own = itemsOf(expectResult(await iq(alice, 'get', items('urn:example:private'))));
    expect(own[0]!.getChildText('secret')).to.equal('s3cret');
    // Not even listed to the contact.
    const disco = expectResult(await iq(bob, 'get', "<query xmlns='http://jabber.org/protocol/disco#items'/>", bareOf(alice)));
    const nodes = disco.getChild('query')!.getChildren('item').map((i) => i.attrs.node);
    expect(nodes).to.include(DEVICES).and.include(NICK).and.not.include('urn:example:private');
    // The owner whitelists bob (member affiliation): now he may read it, dave still may not.
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='urn:example:private'><affiliation jid='bob@localhost' affiliation='member'/></affiliations></pubsub>`));
    expect(itemsOf(expectResult(await iq(bob, 'get', items('urn:example:private'), bareOf(alice))))).to.have.length(1);
    expect(errorOf(await iq(dave, 'get', items('urn:example:private'), bareOf(alice))).app).to.equal('closed-node');
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='urn:example:private'><affiliation jid='bob@localhost' affiliation='none'/></affiliations></pubsub>`));
    expect(errorOf(await iq(bob, 'get', items('urn:example:private'), bareOf(alice))).app).to.equal('closed-node');
  });

  it('+notify: a contact whose caps ask for the node gets the last item on presence and later notifications; one without does not', async () => {
    await available(bob, announceCaps(bob, [`${DEVICES}+notify`]));
    // The last published device list arrives once the server learnt bob's caps (XEP-0163 §4.3.2).
    const last = await bob.waitFor(isEvent(DEVICES));
    expect(last.attrs.from).to.equal(bareOf(alice));
    expect(last.attrs.type).to.equal('headline');

    await available(dave, announceCaps(dave, [`${NICK}+notify`]));
    await dave.waitFor(isEvent(NICK));   // dave asked for nicknames only

    expectResult(await iq(alice, 'set', publish(DEVICES, deviceList(1001, 1002), 'current')));
    const ev = await bob.waitFor(isEvent(DEVICES));
    const item = ev.getChild('event', NS_PUBSUB_EVENT)!.getChild('items')!.getChild('item')!;
    expect(item.attrs.id).to.equal('current');
    expect(item.getChild('devices')!.getChildren('device')).to.have.length(2);

    await barrier(dave);
    await barrier(carol);
    expect(dave.received.filter(isEvent(DEVICES))).to.have.length(0);
    expect(carol.received.filter(isEvent(DEVICES))).to.have.length(0);
  });

  it('notifies the owner\'s own resources that ask for the node', async () => {
    const second = await login('alice', 'phone');
    await available(second, announceCaps(second, [`${DEVICES}+notify`]));
    await second.waitFor(isEvent(DEVICES));   // last item on own presence
    expectResult(await iq(alice, 'set', publish(DEVICES, deviceList(1001, 1002, 1003), 'current')));
    const ev = await second.waitFor(isEvent(DEVICES));
    expect(ev.getChild('event')!.getChild('items')!.getChild('item')!.getChild('devices')!.getChildren('device')).to.have.length(3);
    await second.stop();
  });

  it('a stranger with +notify caps gets nothing from a presence-access node (no subscription)', async () => {
    await available(carol, announceCaps(carol, [`${NICK}+notify`]));
    expectResult(await iq(alice, 'set', publish(NICK, "<nick xmlns='http://jabber.org/protocol/nick'>Alice L.</nick>")));
    await dave.waitFor(isEvent(NICK));
    await barrier(carol);
    expect(carol.received.filter(isEvent(NICK))).to.have.length(0);
  });

  it('max_items keeps the newest items; retract notifies; purge and delete notify and empty the node', async () => {
    const node = 'urn:example:list';
    const opts = publishOptions({ 'pubsub#max_items': '2' });
    for (const id of ['a', 'b', 'c']) expectResult(await iq(alice, 'set', publish(node, `<e xmlns='urn:example:list'>${id}</e>`, id, opts)));
    expect(itemsOf(expectResult(await iq(alice, 'get', items(node)))).map((i) => i.attrs.id)).to.deep.equal(['b', 'c']);
    expect(itemsOf(expectResult(await iq(alice, 'get', items(node, " max_items='1'")))).map((i) => i.attrs.id)).to.deep.equal(['c']);

    // bob subscribes explicitly (XEP-0060 §6.1) and gets the last item, then the retraction.
    const sub = expectResult(await iq(bob, 'set', `<pubsub xmlns='${NS_PUBSUB}'><subscribe node='${node}' jid='${bareOf(bob)}'/></pubsub>`, bareOf(alice)));
    expect(sub.getChild('pubsub')!.getChild('subscription')!.attrs.subscription).to.equal('subscribed');
    await bob.waitFor(isEvent(node));
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><retract node='${node}' notify='true'><item id='b'/></retract></pubsub>`));
    const retracted = await bob.waitFor(isEvent(node));
    expect(retracted.getChild('event')!.getChild('items')!.getChild('retract')!.attrs.id).to.equal('b');
    const missing = await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><retract node='${node}'><item id='zzz'/></retract></pubsub>`);
    expect(errorOf(missing).condition).to.equal('item-not-found');

    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><purge node='${node}'/></pubsub>`));
    const purge = await bob.waitFor(isEvent(node));
    expect(purge.getChild('event')!.getChild('purge')).to.not.equal(undefined);
    expect(itemsOf(expectResult(await iq(alice, 'get', items(node))))).to.have.length(0);

    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><delete node='${node}'/></pubsub>`));
    const del = await bob.waitFor(isEvent(node));
    expect(del.getChild('event')!.getChild('delete')).to.not.equal(undefined);
    expect(errorOf(await iq(alice, 'get', items(node))).condition).to.equal('item-not-found');
  });

  it('node configuration: the owner reads and changes it; others may not', async () => {
    const form = expectResult(await iq(alice, 'get', `<pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='${NICK}'/></pubsub>`));
    const fields = form.getChild('pubsub')!.getChild('configure')!.getChild('x')!.getChildren('field');
    const value = (v: string) => fields.find((f) => f.attrs.var === v)?.getChildText('value');
    expect(value('pubsub#access_model')).to.equal('presence');
    expect(value('pubsub#persist_items')).to.equal('1');
    const submit = `<pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='${NICK}'><x xmlns='jabber:x:data' type='submit'>` +
      `<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>` +
      `<field var='pubsub#access_model'><value>open</value></field></x></configure></pubsub>`;
    expect(errorOf(await iq(bob, 'set', submit, bareOf(alice))).condition).to.equal('forbidden');
    expectResult(await iq(alice, 'set', submit));
    expectResult(await iq(carol, 'get', items(NICK), bareOf(alice)));   // open now
    const bad = submit.replace('<value>open</value>', '<value>everyone</value>');
    expect(errorOf(await iq(alice, 'set', bad)).condition).to.equal('not-acceptable');
  });

  it('roster access: only contacts in an allowed group may read', async () => {
    const node = 'urn:example:roster-only';
    expectResult(await iq(alice, 'set', "<query xmlns='jabber:iq:roster'><item jid='bob@localhost'><group>Friends</group></item></query>"));
    expectResult(await iq(alice, 'set', publish(node, "<x xmlns='urn:example:r'>hi</x>", 'current')));
    const configure = `<pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='${node}'><x xmlns='jabber:x:data' type='submit'>` +
      `<field var='pubsub#access_model'><value>roster</value></field><field var='pubsub#roster_groups_allowed'><value>Friends</value></field></x></configure></pubsub>`;
    expectResult(await iq(alice, 'set', configure));
    expectResult(await iq(bob, 'get', items(node), bareOf(alice)));
    expect(errorOf(await iq(dave, 'get', items(node), bareOf(alice)))).to.deep.equal({ type: 'auth', condition: 'not-authorized', app: 'not-in-roster-group' });
  });

  it('persist_items: persistent items survive a restart; items of a non-persistent node do not', async () => {
    expectResult(await iq(alice, 'set', publish('urn:example:volatile', "<v xmlns='urn:example:v'>now</v>", 'current', publishOptions({ 'pubsub#persist_items': '0' }))));
    expect(itemsOf(expectResult(await iq(alice, 'get', items('urn:example:volatile'))))).to.have.length(1);
    for (const c of clients.splice(0)) await c.stop();
    const dataDir = t.dataDir;
    await t.stop(true);
    t = await startTestServer({ modules: { ...PEP_MODULES, pep: { maxBytes: 200_000 } } }, ['localhost'], { dataDir });
    alice = await login('alice');
    expect(itemsOf(expectResult(await iq(alice, 'get', items(DEVICES))))[0]!.getChild('devices')!.getChildren('device')).to.have.length(3);
    expect(itemsOf(expectResult(await iq(alice, 'get', items('urn:example:private'))))).to.have.length(1);
    expect(itemsOf(expectResult(await iq(alice, 'get', items('urn:example:volatile'))))).to.have.length(0);
  });

  it('an account cannot store more than maxBytes of items (resource-constraint)', async () => {
    const big = 'x'.repeat(150_000);
    const opts = publishOptions({ 'pubsub#max_items': 'max' });
    expectResult(await iq(alice, 'set', publish('urn:example:big', `<b xmlns='urn:example:big'>${big}</b>`, '1', opts)));
    const over = await iq(alice, 'set', publish('urn:example:big', `<b xmlns='urn:example:big'>${big}</b>`, '2', opts));
    expect(errorOf(over)).to.include({ type: 'wait', condition: 'resource-constraint' });
    // Replacing an item by id does not count it twice.
    expectResult(await iq(alice, 'set', publish('urn:example:big', `<b xmlns='urn:example:big'>${big}</b>`, '1', opts)));
  });

  it('malformed requests get the XEP-0060 error conditions', async () => {
    const cases: [string, { condition: string; app: string }][] = [
      [`<pubsub xmlns='${NS_PUBSUB}'><publish><item><x xmlns='urn:e'/></item></publish></pubsub>`, { condition: 'bad-request', app: 'nodeid-required' }],
      [`<pubsub xmlns='${NS_PUBSUB}'><publish node='n'><item/></publish></pubsub>`, { condition: 'bad-request', app: 'payload-required' }],
      [`<pubsub xmlns='${NS_PUBSUB}'><publish node='n'><item><a xmlns='urn:e'/><b xmlns='urn:e'/></item></publish></pubsub>`, { condition: 'bad-request', app: 'invalid-payload' }],
      [`<pubsub xmlns='${NS_PUBSUB}'><retract node='${NICK}'/></pubsub>`, { condition: 'bad-request', app: 'item-required' }],
      [`<pubsub xmlns='${NS_PUBSUB}'><frobnicate node='${NICK}'/></pubsub>`, { condition: 'feature-not-implemented', app: 'unsupported' }],
      [`<pubsub xmlns='${NS_PUBSUB_OWNER}'><purge node='urn:example:none'/></pubsub>`, { condition: 'item-not-found', app: '' }],
    ];
    for (const [payload, want] of cases) expect(errorOf(await iq(alice, 'set', payload)), payload).to.include(want);
    expect(errorOf(await iq(alice, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='${NICK}' max_items='many'/></pubsub>`)).condition).to.equal('bad-request');
  });

  it('a PEP request to an account that does not exist gets service-unavailable', async () => {
    expect(errorOf(await iq(alice, 'get', items(DEVICES), 'nobody@localhost')).condition).to.equal('service-unavailable');
  });
});
