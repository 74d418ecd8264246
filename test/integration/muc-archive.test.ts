// MUC archives and moderation over real sockets: XEP-0313 queries to a room with RSM paging, the archive
// toggle, access rules, XEP-0425 moderated retraction (broadcast, history and archive tombstones), room
// vCards (XEP-0054/XEP-0486), and the service's limits and creation policy (separate servers).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { MucUser, MUC_NS, errorCondition, roomNames, sessionsStoppedAfter, signUp, nextId, statusCodes } from '../helpers/muc.js';

const SERVICE = 'conference.localhost';
const MAM = 'urn:xmpp:mam:2';
const MODULES = { disco: {}, roster: {}, presence: {}, message: {}, vcard: {} };
const isBody = (from: string, body: string) => (s: Element) => s.name === 'message' && s.attrs.from === from && s.getChildText('body') === body;

/** Runs a MAM query; resolves with the result messages (in order) and the <fin/>. */
async function mamQuery(u: MucUser, room: string, inner = ''): Promise<{ results: Element[]; fin: Element; iq: Element }> {
  const qid = nextId('q');
  const iq = await u.iq('set', room, `<query xmlns='${MAM}' queryid='${qid}'>${inner}</query>`);
  const results = u.c.received.filter((s) => s.name === 'message' && s.getChild('result', MAM)?.attrs.queryid === qid);
  for (const r of results) u.c.received.splice(u.c.received.indexOf(r), 1);
  return { results, fin: iq.getChild('fin', MAM)!, iq };
}
const bodies = (results: Element[]) => results.map((r) => r.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!.getChildText('body'));

describe('muc: archives (XEP-0313), moderation (XEP-0425), room vCards', function () {
  let t: TestServer;
  let alice: MucUser;
  let bob: MucUser;
  let carol: MucUser;
  const fresh = roomNames(SERVICE);

  before(async function () {
    t = await startTestServer({ modules: { ...MODULES, muc: {} } });
    [alice, bob, carol] = await signUp(t, ['alice', 'bob', 'carol']) as [MucUser, MucUser, MucUser];
  });
  after(async function () {
    for (const u of [alice, bob, carol]) await u?.stop();
    await t?.stop();
  });
  afterEach(() => [alice, bob, carol].forEach((u) => u.drain()));

  async function say(u: MucUser, room: string, nick: string, body: string): Promise<Element> {
    await u.send(`<message to='${room}' type='groupchat'><body>${body}</body></message>`);
    return u.waitFor(isBody(`${room}/${nick}`, body));
  }

  it('archives only rooms with the archive toggle on, announces it (170) and pages like 1:1 MAM', async function () {
    const off = fresh('noarchive');
    await alice.createRoom(off, 'Alice');
    await say(alice, off, 'Alice', 'not kept');
    expect(errorCondition((await mamQuery(alice, off)).iq)).to.equal('service-unavailable');

    const room = fresh('archived');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_enablearchiving': '1' });
    const info = (await bob.iqOk('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).getChild('query')!;
    expect(info.getChildren('feature').map((f) => f.attrs.var)).to.include(MAM);
    const self = await bob.join(room, 'Bob');
    expect(statusCodes(self)).to.include(170);
    const sent: Element[] = [];
    for (let i = 1; i <= 5; i++) sent.push(await say(alice, room, 'Alice', `msg ${i}`));
    // The stanza-id occupants got is the archive id.
    const ids = sent.map((m) => m.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id);

    const p1 = await mamQuery(carol, room, "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set>");
    expect(bodies(p1.results)).to.deep.equal(['msg 1', 'msg 2']);
    expect(p1.results[0]!.attrs.from).to.equal(room);
    expect(p1.results.map((r) => r.getChild('result', MAM)!.attrs.id)).to.deep.equal(ids.slice(0, 2));
    expect(p1.fin.attrs.complete).to.equal(undefined);
    const last = p1.fin.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText('last')!;
    const p2 = await mamQuery(carol, room, `<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>${last}</after></set>`);
    expect(bodies(p2.results)).to.deep.equal(['msg 3', 'msg 4', 'msg 5']);
    expect(p2.fin.attrs.complete).to.equal('true');
    const tail = await mamQuery(carol, room, "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><before/></set>");
    expect(bodies(tail.results)).to.deep.equal(['msg 4', 'msg 5']);
    // 'with' matches the real JID: only those who may see real JIDs may use it in this semi-anonymous room.
    const withAlice = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${MAM}</value></field><field var='with'><value>${alice.bare}</value></field></x>`;
    expect(errorCondition((await mamQuery(carol, room, withAlice)).iq)).to.equal('forbidden');
    expect(bodies((await mamQuery(alice, room, withAlice)).results)).to.have.length(5);
    const original = p1.results[0]!.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
    expect(original.attrs.from).to.equal(`${room}/Alice`);
    expect(original.getChild('occupant-id', 'urn:xmpp:occupant-id:0')).to.not.equal(undefined);
  });

  it('keeps members-only archives for members and occupants (forbidden to others) and from outcasts', async function () {
    const room = fresh('closedarchive');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_enablearchiving': '1', 'muc#roomconfig_membersonly': '1' });
    await say(alice, room, 'Alice', 'members only');
    expect(errorCondition((await mamQuery(carol, room)).iq)).to.equal('forbidden');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member' jid='${carol.bare}'/></query>`);
    expect(bodies((await mamQuery(carol, room)).results)).to.deep.equal(['members only']);
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='outcast' jid='${carol.bare}'/></query>`);
    expect(errorCondition((await mamQuery(carol, room)).iq)).to.equal('forbidden');
  });

  it('lets moderators retract messages (XEP-0425): occupants are told, history and archive keep tombstones', async function () {
    const room = fresh('moderation');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_enablearchiving': '1' });
    await bob.joinOk(room, 'Bob');
    const bad = await say(bob, room, 'Bob', 'something rude');
    await alice.waitFor(isBody(`${room}/Bob`, 'something rude'));
    const sid = bad.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id!;
    const occupantId = bad.getChild('occupant-id', 'urn:xmpp:occupant-id:0')!.attrs.id;
    const moderate = (u: MucUser, id: string) => u.iq('set', room,
      `<moderate id='${id}' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/><reason>rude</reason></moderate>`);
    expect(errorCondition(await moderate(bob, sid))).to.equal('forbidden');
    expect(errorCondition(await moderate(alice, 'no-such-id'))).to.equal('item-not-found');
    expect((await moderate(alice, sid)).attrs.type).to.equal('result');
    const told = await bob.waitFor((s) => s.name === 'message' && !!s.getChild('retract', 'urn:xmpp:message-retract:1'));
    const retract = told.getChild('retract', 'urn:xmpp:message-retract:1')!;
    expect(told.attrs.from).to.equal(room);
    expect(retract.attrs.id).to.equal(sid);
    expect(retract.getChildText('reason')).to.equal('rude');
    const moderated = retract.getChild('moderated', 'urn:xmpp:message-moderate:1')!;
    expect(moderated.attrs.by).to.equal(`${room}/Alice`);
    expect(moderated.getChild('occupant-id', 'urn:xmpp:occupant-id:0')!.attrs.id).to.equal(occupantId);
    // Archive: the message is a tombstone now.
    const { results } = await mamQuery(carol, room);
    const archived = results[0]!.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
    expect(archived.getChild('body')).to.equal(undefined);
    expect(archived.getChild('retracted', 'urn:xmpp:message-retract:1')).to.not.equal(undefined);
    // History: a newcomer gets the tombstone, not the text.
    await carol.join(room, 'Carol');
    await carol.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    const hist = carol.c.received.filter((s) => s.name === 'message' && s.attrs.from === `${room}/Bob`);
    expect(hist).to.have.length(1);
    expect(hist[0]!.getChild('body')).to.equal(undefined);
    expect(hist[0]!.getChild('retracted', 'urn:xmpp:message-retract:1')).to.not.equal(undefined);
  });

  it('serves room vCards: anyone reads, owners set (others forbidden); a new avatar is announced and in disco', async function () {
    const room = fresh('vcard');
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    const empty = await carol.iqOk('get', room, "<vCard xmlns='vcard-temp'/>");
    expect(empty.getChild('vCard', 'vcard-temp')).to.not.equal(undefined);
    const photo = Buffer.from('not really a png');
    const card = `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>${photo.toString('base64')}</BINVAL></PHOTO></vCard>`;
    expect(errorCondition(await bob.iq('set', room, card))).to.equal('forbidden');
    await alice.iqOk('set', room, card);
    const hash = createHash('sha1').update(photo).digest('hex');
    const upd = await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === room);
    expect(upd.getChild('x', 'vcard-temp:x:update')!.getChildText('photo')).to.equal(hash);
    const got = await carol.iqOk('get', room, "<vCard xmlns='vcard-temp'/>");
    expect(got.getChild('vCard', 'vcard-temp')!.getChild('PHOTO')!.getChildText('BINVAL')).to.equal(photo.toString('base64'));
    const info = (await carol.iqOk('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).getChild('query')!;
    const fields = info.getChild('x', 'jabber:x:data')!.getChildren('field');
    expect(fields.find((f) => f.attrs.var === 'muc#roominfo_avatarhash')!.getChildText('value')).to.equal(hash);
  });
});

describe('muc: service policies and limits', function () {
  let t: TestServer;
  const users = sessionsStoppedAfter(() => t);

  it('applies the creation policy, pre-provisions rooms, and limits message size and rate', async function () {
    t = await startTestServer({ modules: { ...MODULES, muc: {
      creation: 'admins', admins: ['boss@localhost'],
      rooms: [{ name: 'lobby', config: { name: 'The Lobby' }, owners: ['boss@localhost'], members: ['user@localhost'] }],
      limits: { maxMessageBytes: 20, messagesPerSecond: 0.01, messageBurst: 3 },
    } } });
    const [boss, user] = await signUp(t, ['boss', 'user'], users) as [MucUser, MucUser];
    expect(errorCondition(await user.join(`new@${SERVICE}`, 'me'))).to.equal('not-allowed');
    const created = await boss.join(`new@${SERVICE}`, 'boss');
    expect(statusCodes(created)).to.include(201);
    const lobby = `lobby@${SERVICE}`;
    const info = (await user.iqOk('get', lobby, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).getChild('query')!;
    expect(info.getChild('identity')!.attrs.name).to.equal('The Lobby');
    await user.joinOk(lobby, 'user');
    const members = await boss.iqOk('get', lobby, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member'/></query>`);
    expect(members.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal(['user@localhost']);
    await user.send(`<message to='${lobby}' type='groupchat' id='big'><body>${'x'.repeat(21)}</body></message>`);
    expect(errorCondition(await user.waitFor((s) => s.attrs.id === 'big'))).to.equal('policy-violation');
    for (let i = 0; i < 3; i++) {
      await user.send(`<message to='${lobby}' type='groupchat' id='ok${i}'><body>hi ${i}</body></message>`);
      await user.waitFor((s) => s.attrs.id === `ok${i}` && s.attrs.type === 'groupchat');
    }
    await user.send(`<message to='${lobby}' type='groupchat' id='fast'><body>too fast</body></message>`);
    const e = await user.waitFor((s) => s.attrs.id === 'fast');
    expect(e.attrs.type).to.equal('error');
    expect(errorCondition(e)).to.equal('resource-constraint');
    expect(e.getChild('error')!.attrs.type).to.equal('wait');
    // Presence changes cost as much as messages and share the bucket.
    await user.send(`<presence to='${lobby}/user' id='pfast'><show>away</show></presence>`);
    expect(errorCondition(await user.waitFor((s) => s.name === 'presence' && s.attrs.id === 'pfast'))).to.equal('resource-constraint');
  });

  it('runs one service per host; users of another local host join, talk, and leave when their session ends', async function () {
    await t.stop();
    t = await startTestServer({ modules: { ...MODULES, muc: {} } }, ['localhost', 'a.example']);
    const [bob] = await signUp(t, ['bob'], users) as [MucUser];
    const [alice] = await signUp(t, ['alice'], users, 'a.example') as [MucUser];
    const items = await alice.iqOk('get', 'a.example', "<query xmlns='http://jabber.org/protocol/disco#items'/>");
    expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal(['conference.a.example']);
    const room = `cross@${SERVICE}`;
    await bob.createRoom(room, 'bob');
    await alice.joinOk(room, 'alice');
    await alice.send(`<message to='${room}' type='groupchat'><body>from a.example</body></message>`);
    await bob.waitFor(isBody(`${room}/alice`, 'from a.example'));
    await alice.stop();
    // The presence module tells the room (a directed-presence target) that alice's session ended.
    const gone = await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === `${room}/alice` && s.attrs.type === 'unavailable');
    expect(statusCodes(gone)).to.not.include(110);
    expect(errorCondition(await bob.iq('get', `cross@conference.a.example`, "<query xmlns='http://jabber.org/protocol/disco#info'/>"))).to.equal('item-not-found');
  });

  it('lets only listed creators create rooms, up to the service\'s room limit (resource-constraint)', async function () {
    await t.stop();
    t = await startTestServer({ modules: { ...MODULES, muc: { creation: 'list', creators: ['maker@localhost'], limits: { maxRooms: 2 } } } });
    const [maker, other] = await signUp(t, ['maker', 'other'], users) as [MucUser, MucUser];
    expect(errorCondition(await other.join(`r0@${SERVICE}`, 'o'))).to.equal('not-allowed');
    await maker.createRoom(`r1@${SERVICE}`, 'm');
    await maker.createRoom(`r2@${SERVICE}`, 'm');
    expect(errorCondition(await maker.join(`r3@${SERVICE}`, 'm'))).to.equal('resource-constraint');
  });

  it('limits the rooms one user may own (limits.maxRoomsPerUser, resource-constraint); service admins are exempt', async function () {
    await t.stop();
    t = await startTestServer({ modules: { ...MODULES, muc: { admins: ['boss@localhost'], limits: { maxRoomsPerUser: 2 } } } });
    const [maker, boss] = await signUp(t, ['maker', 'boss'], users) as [MucUser, MucUser];
    await maker.createRoom(`p1@${SERVICE}`, 'm');
    await maker.createRoom(`p2@${SERVICE}`, 'm');
    const refused = await maker.join(`p3@${SERVICE}`, 'm');
    expect(errorCondition(refused)).to.equal('resource-constraint');
    for (const n of [1, 2, 3]) await boss.createRoom(`b${n}@${SERVICE}`, 'b');
  });
});
