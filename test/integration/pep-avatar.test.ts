// XEP-0084 avatars in PEP and the XEP-0398 conversion to and from the vCard PHOTO (XEP-0054/0153).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { available, bareOf, expectResult, iq, NS_PUBSUB, PEP_MODULES, publishOptions, subscribeBoth } from '../helpers/pep.js';

const DATA = 'urn:xmpp:avatar:data';
const META = 'urn:xmpp:avatar:metadata';
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const png = Buffer.from('\x89PNG\r\n\x1a\n a small avatar image for the conversion test', 'latin1');
const gif = Buffer.from('GIF89a another avatar, set through the vCard', 'latin1');

describe('avatars (XEP-0084 <-> vCard, XEP-0398)', function () {
  let t: TestServer;
  let alice: TestClient;
  let bob: TestClient;

  before(async () => {
    t = await startTestServer({ modules: { ...PEP_MODULES, pep_vcard: {} } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    alice = await connectClient({ port: t.c2sPort, username: 'alice', password: 'pw', resource: 'r' });
    bob = await connectClient({ port: t.c2sPort, username: 'bob', password: 'pw', resource: 'r' });
    await available(alice);
    await available(bob);
    await subscribeBoth(alice, bob);
  });
  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await t.stop();
  });

  const items = async (c: TestClient, node: string, to?: string) =>
    expectResult(await iq(c, 'get', `<pubsub xmlns='${NS_PUBSUB}'><items node='${node}'/></pubsub>`, to)).getChild('pubsub')!.getChild('items')!.getChildren('item');

  it('announces urn:xmpp:pep-vcard-conversion:0 on the account', async () => {
    const q = expectResult(await iq(alice, 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", bareOf(alice))).getChild('query')!;
    expect(q.getChildren('feature').map((f) => f.attrs.var)).to.include('urn:xmpp:pep-vcard-conversion:0');
  });

  it('a XEP-0084 avatar becomes the vCard PHOTO, and contacts then see its XEP-0153 hash in presence', async () => {
    const id = sha1(png);
    const open = publishOptions({ 'pubsub#access_model': 'open' });
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><publish node='${DATA}'><item id='${id}'><data xmlns='${DATA}'>${png.toString('base64')}</data></item></publish>${open}</pubsub>`));
    expectResult(await iq(alice, 'set', `<pubsub xmlns='${NS_PUBSUB}'><publish node='${META}'><item id='${id}'><metadata xmlns='${META}'>` +
      `<info id='${id}' bytes='${png.length}' type='image/png' height='64' width='64'/></metadata></item></publish>${open}</pubsub>`));

    const vcard = expectResult(await iq(bob, 'get', "<vCard xmlns='vcard-temp'/>", bareOf(alice))).getChild('vCard')!;
    const photo = vcard.getChild('PHOTO')!;
    expect(photo.getChildText('TYPE')).to.equal('image/png');
    expect(Buffer.from(photo.getChildText('BINVAL')!, 'base64').equals(png)).to.equal(true);
    // The next presence alice broadcasts carries the hash (the vcard module adds it for clients that do not).
    await available(alice);
    const p = await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === alice.jid && s.getChild('x', 'vcard-temp:x:update')?.getChildText('photo') === id);
    expect(p.attrs.type).to.equal(undefined);
  });

  it('a vCard PHOTO set by an old client is published as a XEP-0084 avatar', async () => {
    const id = sha1(gif);
    expectResult(await iq(alice, 'set', `<vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><TYPE>image/gif</TYPE><BINVAL>${gif.toString('base64')}</BINVAL></PHOTO></vCard>`));
    const meta = await items(bob, META, bareOf(alice));
    const info = meta.at(-1)!.getChild('metadata', META)!.getChild('info')!;
    expect(info.attrs).to.include({ id, bytes: String(gif.length), type: 'image/gif' });
    const data = (await items(bob, DATA, bareOf(alice))).find((i) => i.attrs.id === id)!;
    expect(Buffer.from(data.getChild('data', DATA)!.getText(), 'base64').equals(gif)).to.equal(true);
    // The vCard kept its other fields and was not rewritten by a conversion loop.
    const vcard = expectResult(await iq(alice, 'get', "<vCard xmlns='vcard-temp'/>")).getChild('vCard')!;
    expect(vcard.getChildText('FN')).to.equal('Alice');
  });

  it('removing the vCard photo disables the PEP avatar (empty metadata)', async () => {
    expectResult(await iq(alice, 'set', "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>"));
    const meta = await items(alice, META);
    expect(meta.at(-1)!.getChild('metadata', META)!.getChildElements()).to.have.length(0);
  });
});
