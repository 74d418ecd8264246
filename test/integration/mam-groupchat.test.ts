// XEP-0313 'include-groupchat' over real sockets: a user archive understands the field and advertises
// urn:xmpp:mam:2#groupchat-field, but keeps no groupchat messages (room history is the room's archive), so it does not
// advertise #groupchat-available and returns the same results whatever the field says; a room archive does not
// know the field at all. Bad values are bad-request.
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mamError, mamQuery, NS_MAM, type MamPage } from '../helpers/mam.js';
import { MucUser } from '../helpers/muc.js';

const SERVICE = 'conference.localhost';
const MODULES = { disco: {}, roster: {}, presence: {}, message: {}, offline: {}, mam: {}, muc: {} };
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const GROUPCHAT_FIELD = `${NS_MAM}#groupchat-field`;
const GROUPCHAT_AVAILABLE = `${NS_MAM}#groupchat-available`;
const summary = (p: MamPage) => p.items.map((i) => `${i.message.attrs.type}:${i.message.getChildText('body')}`);

describe('MAM include-groupchat (XEP-0313)', function () {
  let t: TestServer;
  let alice: MucUser;
  let bob: MucUser;
  const room = `lounge@${SERVICE}`;

  const features = async (u: MucUser, to: string): Promise<string[]> =>
    (await u.c.xmpp.iqCaller.get(xml('query', { xmlns: NS_DISCO_INFO }), to)).getChildren('feature').map((f: Element) => f.attrs.var as string);

  before(async () => {
    t = await startTestServer({ modules: MODULES });
    for (const u of ['alice', 'bob']) await t.addUser(u, 'pw');
    alice = await MucUser.login(t.c2sPort, 'alice');
    bob = await MucUser.login(t.c2sPort, 'bob');
    await bob.createRoom(room, 'Bob', { 'muc#roomconfig_enablearchiving': '1' });
    await alice.joinOk(room, 'Alice');

    // alice's traffic: a 1:1 chat, room messages (groupchat) both ways, and a private message through the room (chat).
    await bob.send(`<message to='${alice.bare}' type='chat' id='direct'><body>direct</body></message>`);
    await alice.waitFor((s) => s.name === 'message' && s.attrs.id === 'direct');
    await bob.send(`<message to='${room}' type='groupchat' id='g1'><body>to the room</body></message>`);
    await alice.waitFor((s) => s.name === 'message' && s.attrs.type === 'groupchat' && s.getChildText('body') === 'to the room');
    await alice.send(`<message to='${room}' type='groupchat' id='g2'><body>from alice to the room</body></message>`);
    await bob.waitFor((s) => s.name === 'message' && s.attrs.type === 'groupchat' && s.getChildText('body') === 'from alice to the room');
    await alice.waitFor((s) => s.name === 'message' && s.attrs.type === 'groupchat' && s.getChildText('body') === 'from alice to the room');
    await bob.send(`<message to='${room}/Alice' type='chat' id='pm'><body>private</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`);
    await alice.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'private');
    alice.drain();
    bob.drain();
  });
  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await t?.stop();
  });

  it('advertises #groupchat-field but not #groupchat-available on the account, and neither on a room', async () => {
    const own = await features(alice, alice.bare);
    expect(own).to.include.members([NS_MAM, `${NS_MAM}#extended`, GROUPCHAT_FIELD]);
    expect(own).to.not.include(GROUPCHAT_AVAILABLE);
    const roomFeatures = await features(alice, room);
    expect(roomFeatures).to.include(NS_MAM);
    expect(roomFeatures).to.not.include(GROUPCHAT_FIELD);
    expect(roomFeatures).to.not.include(GROUPCHAT_AVAILABLE);
  });

  it('lists include-groupchat as a boolean field in the user archive\'s query form only', async () => {
    const form = (await alice.c.xmpp.iqCaller.get(xml('query', { xmlns: NS_MAM }))).getChild('x', 'jabber:x:data')!;
    const field = form.getChildren('field').find((f: Element) => f.attrs.var === 'include-groupchat');
    expect(field?.attrs.type).to.equal('boolean');
    expect(field?.getChild('required')).to.equal(undefined);   // XEP-0313 §4.1: no field is required
    const roomForm = (await alice.c.xmpp.iqCaller.get(xml('query', { xmlns: NS_MAM }), room)).getChild('x', 'jabber:x:data')!;
    expect(roomForm.getChildren('field').map((f: Element) => f.attrs.var)).to.not.include('include-groupchat');
  });

  it('keeps no groupchat messages in the user archive, whatever include-groupchat says', async () => {
    const plain = await mamQuery(alice.c);
    // the 1:1 chat and the private message through the room are chats; the room's messages are in the room archive
    expect(summary(plain)).to.deep.equal(['chat:direct', 'chat:private']);
    for (const value of ['true', 'false', '1', '0']) {
      const p = await mamQuery(alice.c, { fields: [['include-groupchat', value]] });
      expect(summary(p), value).to.deep.equal(summary(plain));
      expect([p.count, p.complete], value).to.deep.equal([2, true]);
    }
    const filtered = await mamQuery(alice.c, { with: room, fields: [['include-groupchat', 'false']] });
    expect(summary(filtered)).to.deep.equal(['chat:private']);
    const roomArchive = await mamQuery(alice.c, { to: room });
    expect(summary(roomArchive)).to.deep.equal(['groupchat:to the room', 'groupchat:from alice to the room']);
  });

  it('refuses a value that is not a boolean, and the field on a room archive', async () => {
    for (const value of ['maybe', 'TRUE', 'yes', ' ']) {
      expect(await mamError(alice.c, { fields: [['include-groupchat', value]] }), `'${value}'`).to.equal('bad-request');
    }
    const twoValues = xml('query', { xmlns: NS_MAM }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
      xml('field', { var: 'include-groupchat' }, xml('value', {}, 'true'), xml('value', {}, 'false'))));
    expect(await mamError(alice.c, twoValues)).to.equal('bad-request');
    expect(await mamError(alice.c, { to: room, fields: [['include-groupchat', 'true']] })).to.equal('feature-not-implemented');
  });
});
