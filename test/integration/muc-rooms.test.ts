// XEP-0045 room types and administration over real sockets: passwords, members-only, moderated, hidden and
// public rooms, max occupants, kick and ban with their status codes, configuration changes and who may make
// them, destroying a room, mediated invitations and declines, XEP-0249 direct invitations.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { MucUser, MUC_NS, errorCondition, roomNames, signUp, form, itemOf, statusCodes } from '../helpers/muc.js';

const SERVICE = 'conference.localhost';
const isPres = (from: string, type?: string) => (s: Element) => s.name === 'presence' && s.attrs.from === from && s.attrs.type === type;
const discoInfo = async (u: MucUser, room: string) =>
  (await u.iqOk('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).getChild('query')!.getChildren('feature').map((f) => f.attrs.var);

describe('muc: room types, administration, invitations', function () {
  let t: TestServer;
  let alice: MucUser;
  let bob: MucUser;
  let carol: MucUser;
  const fresh = roomNames(SERVICE);

  before(async function () {
    t = await startTestServer({ modules: { disco: {}, roster: {}, presence: {}, message: {}, muc: {} } });
    await t.addUser('dora', 'pw');   // logs in later, in its own test
    [alice, bob, carol] = await signUp(t, ['alice', 'bob', 'carol']) as [MucUser, MucUser, MucUser];
  });
  after(async function () {
    for (const u of [alice, bob, carol]) await u?.stop();
    await t?.stop();
  });
  afterEach(() => [alice, bob, carol].forEach((u) => u.drain()));

  it('password-protected rooms refuse a missing or wrong password (not-authorized) and admit the right one', async function () {
    const room = fresh('secret');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 's3cret' });
    expect(await discoInfo(bob, room)).to.include('muc_passwordprotected');
    expect(errorCondition(await bob.join(room, 'Bob'))).to.equal('not-authorized');
    expect(errorCondition(await bob.join(room, 'Bob', '<password>wrong</password>'))).to.equal('not-authorized');
    await bob.joinOk(room, 'Bob', '<password>s3cret</password>');
  });

  it('members-only rooms refuse non-members (registration-required), remove them when the room closes (322) or membership ends (321)', async function () {
    const room = fresh('members');
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    await carol.joinOk(room, 'Carol');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member' jid='${carol.bare}'/></query>`);
    await alice.configure(room, { 'muc#roomconfig_membersonly': '1' });
    const out = await bob.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    expect(statusCodes(out)).to.include.members([322, 110]);
    expect(await discoInfo(bob, room)).to.include('muc_membersonly');
    expect(errorCondition(await bob.join(room, 'Bob'))).to.equal('registration-required');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='none' jid='${carol.bare}'/></query>`);
    const gone = await carol.waitFor(isPres(`${room}/Carol`, 'unavailable'));
    expect(statusCodes(gone)).to.include.members([321, 110]);
    await alice.waitFor((s) => isPres(`${room}/Carol`, 'unavailable')(s) && statusCodes(s).includes(321));
  });

  it('kicks with 307 and bans with 301; banned users cannot come back (forbidden); a participant cannot kick (forbidden)', async function () {
    const room = fresh('kickban');
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    await carol.joinOk(room, 'Carol');
    const denied = await bob.iq('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item role='none' nick='Carol'/></query>`);
    expect(errorCondition(denied)).to.equal('forbidden');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item role='none' nick='Carol'><reason>calm down</reason></item></query>`);
    const kicked = await carol.waitFor(isPres(`${room}/Carol`, 'unavailable'));
    expect(statusCodes(kicked)).to.include.members([307, 110]);
    expect(itemOf(kicked)!.getChildText('reason')).to.equal('calm down');
    expect(itemOf(kicked)!.getChild('actor')!.attrs.nick).to.equal('Alice');
    const seen = await bob.waitFor(isPres(`${room}/Carol`, 'unavailable'));
    expect(statusCodes(seen)).to.deep.equal([307]);
    await carol.joinOk(room, 'Carol');   // a kick is not a ban
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='outcast' jid='${carol.bare}'><reason>spam</reason></item></query>`);
    const banned = await carol.waitFor(isPres(`${room}/Carol`, 'unavailable'));
    expect(statusCodes(banned)).to.include.members([301, 110]);
    expect(itemOf(banned)!.attrs.affiliation).to.equal('outcast');
    expect(errorCondition(await carol.join(room, 'Carol'))).to.equal('forbidden');
    const list = await alice.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='outcast'/></query>`);
    expect(list.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal([carol.bare]);
    // §9.5: several items in one request change the list at once; one bad item changes nothing.
    const bad = await alice.iq('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member' jid='x@localhost'/><item affiliation='bogus' jid='y@localhost'/></query>`);
    expect(errorCondition(bad)).to.equal('bad-request');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member' jid='x@localhost'/><item affiliation='member' jid='y@localhost'/><item affiliation='none' jid='${carol.bare}'/></query>`);
    const members = await alice.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member'/></query>`);
    expect(members.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal(['x@localhost', 'y@localhost']);
    // Changes for people not in the room are told to the moderators (who see real JIDs here), not to bob.
    const notice = await alice.waitFor((s) => s.name === 'message' && s.attrs.from === room && s.getChild('x', MUC_NS.USER)?.getChild('item')?.attrs.jid === 'x@localhost');
    expect(notice.getChild('x', MUC_NS.USER)!.getChild('item')!.attrs.affiliation).to.equal('member');
    expect(await bob.maybe((s) => s.name === 'message' && !!s.getChild('x', MUC_NS.USER)?.getChild('item'))).to.equal(null);
    await carol.joinOk(room, 'Carol');
  });

  it('moderated rooms: visitors may not speak (forbidden) until given voice', async function () {
    const room = fresh('moderated');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_moderatedroom': '1' });
    const self = await bob.join(room, 'Bob');
    expect(itemOf(self)!.attrs.role).to.equal('visitor');
    await bob.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    await bob.send(`<message to='${room}' type='groupchat' id='v1'><body>may I?</body></message>`);
    expect(errorCondition(await bob.waitFor((s) => s.attrs.id === 'v1' && s.attrs.type === 'error'))).to.equal('forbidden');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item role='participant' nick='Bob'/></query>`);
    await bob.waitFor((s) => isPres(`${room}/Bob`)(s) && itemOf(s)?.attrs.role === 'participant');
    await bob.send(`<message to='${room}' type='groupchat' id='v2'><body>thanks</body></message>`);
    await alice.waitFor((s) => s.attrs.from === `${room}/Bob` && s.getChildText('body') === 'thanks');
    const voices = await alice.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item role='participant'/></query>`);
    expect(voices.getChild('query')!.getChildren('item').map((i) => i.attrs.nick)).to.deep.equal(['Bob']);
  });

  it('passes a visitor\'s voice request to moderators and grants voice when a moderator approves (§7.13, §8.6)', async function () {
    const room = fresh('voicereq');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_moderatedroom': '1' });
    await bob.joinOk(room, 'Bob');
    const request = (fields: string) => `<message to='${room}'><x xmlns='jabber:x:data' type='submit'>` +
      `<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>${fields}</x></message>`;
    await bob.send(request("<field var='muc#role'><value>participant</value></field>"));
    const ask = await alice.waitFor((s) => s.name === 'message' && s.attrs.from === room && !!s.getChild('x', 'jabber:x:data'));
    const fields = ask.getChild('x', 'jabber:x:data')!.getChildren('field');
    expect(fields.find((f) => f.attrs.var === 'muc#roomnick')!.getChildText('value')).to.equal('Bob');
    expect(await bob.maybe((s) => s.name === 'message' && s.attrs.from === room && !!s.getChild('x', 'jabber:x:data'))).to.equal(null);   // moderators only
    await alice.send(request("<field var='muc#role'><value>participant</value></field><field var='muc#roomnick'><value>Bob</value></field><field var='muc#request_allow'><value>true</value></field>"));
    await bob.waitFor((s) => isPres(`${room}/Bob`)(s) && itemOf(s)?.attrs.role === 'participant');
  });

  it('only owners may read or change the configuration (forbidden); changes are announced (104, 172)', async function () {
    const room = fresh('config');
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    expect(errorCondition(await bob.iq('get', room, `<query xmlns='${MUC_NS.OWNER}'/>`))).to.equal('forbidden');
    const set = await bob.iq('set', room, `<query xmlns='${MUC_NS.OWNER}'>${form({ 'muc#roomconfig_roomname': 'mine' })}</query>`);
    expect(errorCondition(set)).to.equal('forbidden');
    await alice.configure(room, { 'muc#roomconfig_roomname': 'Renamed' });
    const m104 = await bob.waitFor((s) => s.name === 'message' && s.attrs.from === room && statusCodes(s).length > 0);
    expect(statusCodes(m104)).to.deep.equal([104]);
    await alice.configure(room, { 'muc#roomconfig_whois': 'anyone' });
    const m172 = await bob.waitFor((s) => s.name === 'message' && s.attrs.from === room && statusCodes(s).length > 0);
    expect(statusCodes(m172)).to.deep.equal([172]);
    const bad = await alice.iq('set', room, `<query xmlns='${MUC_NS.OWNER}'>${form({ 'muc#roomconfig_whois': 'everybody' })}</query>`);
    expect(errorCondition(bad)).to.equal('bad-request');
    // Non-anonymous now: a newcomer gets 100 and sees real JIDs.
    const self = await carol.join(room, 'Carol');
    expect(statusCodes(self)).to.include.members([100, 110]);
    const bobSeen = carol.c.received.find((s) => s.attrs.from === `${room}/Bob`);
    expect(itemOf(bobSeen!)!.attrs.jid).to.equal(bob.jid);
  });

  it('lists public rooms in disco#items and hides hidden ones', async function () {
    const pub = fresh('listed');
    const hidden = fresh('hidden');
    await alice.createRoom(pub, 'Alice', { 'muc#roomconfig_roomname': 'Listed room' });
    await alice.createRoom(hidden, 'Alice', { 'muc#roomconfig_publicroom': '0' });
    const items = (await carol.iqOk('get', SERVICE, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).getChild('query')!.getChildren('item');
    expect(items.find((i) => i.attrs.jid === pub)?.attrs.name).to.equal('Listed room');
    expect(items.map((i) => i.attrs.jid)).to.not.include(hidden);
    expect(await discoInfo(carol, hidden)).to.include('muc_hidden');
  });

  it('pages the room list with RSM (XEP-0059) by room JID', async function () {
    const names = ['page-a', 'page-b', 'page-c'];
    for (const name of names) await alice.createRoom(`${name}@${SERVICE}`, 'Alice');
    const ask = async (set: string) => (await carol.iqOk('get', SERVICE, `<query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'>${set}</set></query>`)).getChild('query')!;
    const all = (await carol.iqOk('get', SERVICE, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).getChild('query')!.getChildren('item').map((i) => i.attrs.jid!);
    expect(all).to.include.members(names.map((r) => `${r}@${SERVICE}`));
    expect([...all].sort()).to.deep.equal(all);
    const p1 = await ask('<max>2</max>');
    expect(p1.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal(all.slice(0, 2));
    const set = p1.getChild('set', 'http://jabber.org/protocol/rsm')!;
    expect(set.getChildText('count')).to.equal(String(all.length));
    const p2 = await ask(`<max>2</max><after>${set.getChildText('last')}</after>`);
    expect(p2.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal(all.slice(2, 4));
    const lastPage = await ask('<max>1</max><before/>');
    expect(lastPage.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal(all.slice(-1));
    const bad = await carol.iq('get', SERVICE, "<query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>x</max></set></query>");
    expect(errorCondition(bad)).to.equal('bad-request');
  });

  it('refuses occupants beyond the maximum (service-unavailable), but not admins', async function () {
    const room = fresh('full');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_maxusers': '2' });
    await bob.joinOk(room, 'Bob');
    expect(errorCondition(await carol.join(room, 'Carol'))).to.equal('service-unavailable');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='admin' jid='${carol.bare}'/></query>`);
    await carol.joinOk(room, 'Carol');
  });

  it('destroys a room: everyone leaves with the alternate venue and reason, and the room is gone; non-owners may not', async function () {
    const room = fresh('doomed');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_persistentroom': '1' });
    await bob.joinOk(room, 'Bob');
    const no = await bob.iq('set', room, `<query xmlns='${MUC_NS.OWNER}'><destroy/></query>`);
    expect(errorCondition(no)).to.equal('forbidden');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.OWNER}'><destroy jid='new@${SERVICE}'><reason>moved</reason></destroy></query>`);
    const p = await bob.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    const d = p.getChild('x', MUC_NS.USER)!.getChild('destroy')!;
    expect(d.attrs.jid).to.equal(`new@${SERVICE}`);
    expect(d.getChildText('reason')).to.equal('moved');
    expect(errorCondition(await bob.iq('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>"))).to.equal('item-not-found');
  });

  it('cancelling the initial configuration of a new room destroys it', async function () {
    const room = fresh('cancelled');
    await alice.join(room, 'Alice');
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.OWNER}'><x xmlns='jabber:x:data' type='cancel'/></query>`);
    await alice.waitFor(isPres(`${room}/Alice`, 'unavailable'));
    expect(errorCondition(await bob.iq('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>"))).to.equal('item-not-found');
  });

  it('mediates invitations (with reason and password) and declines; members-only invitations by owners grant membership', async function () {
    const room = fresh('invite');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_membersonly': '1', 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 'pw1' });
    await alice.send(`<message to='${room}' id='inv1'><x xmlns='${MUC_NS.USER}'><invite to='${bob.bare}'><reason>join us</reason></invite></x></message>`);
    const inv = await bob.waitFor((s) => s.name === 'message' && s.attrs.from === room && !!s.getChild('x', MUC_NS.USER)?.getChild('invite'));
    const x = inv.getChild('x', MUC_NS.USER)!;
    expect(x.getChild('invite')!.attrs.from).to.equal(alice.bare);
    expect(x.getChild('invite')!.getChildText('reason')).to.equal('join us');
    expect(x.getChildText('password')).to.equal('pw1');
    await bob.joinOk(room, 'Bob', '<password>pw1</password>');   // a member now
    await bob.send(`<message to='${room}'><x xmlns='${MUC_NS.USER}'><invite to='${carol.bare}'/></x></message>`);
    const denied = await bob.waitFor((s) => s.name === 'message' && s.attrs.type === 'error');
    expect(errorCondition(denied)).to.equal('forbidden');
    await carol.send(`<message to='${room}'><x xmlns='${MUC_NS.USER}'><decline to='${alice.bare}'><reason>busy</reason></decline></x></message>`);
    const dec = await alice.waitFor((s) => s.name === 'message' && !!s.getChild('x', MUC_NS.USER)?.getChild('decline'));
    expect(dec.attrs.from).to.equal(room);
    expect(dec.getChild('x', MUC_NS.USER)!.getChild('decline')!.attrs.from).to.equal(carol.bare);
    expect(dec.getChild('x', MUC_NS.USER)!.getChild('decline')!.getChildText('reason')).to.equal('busy');
  });

  it('forgets the affiliations of a deleted account, so a new account of that name inherits nothing', async function () {
    const room = fresh('deleted');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_persistentroom': '1' });
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='admin' jid='dora@localhost'/></query>`);
    await t.deleteUser('dora');
    const admins = await alice.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='admin'/></query>`);
    expect(admins.getChild('query')!.getChildren('item')).to.have.length(0);
  });

  it('routes XEP-0249 direct invitations between users', async function () {
    const room = fresh('direct');
    await alice.createRoom(room, 'Alice');
    await alice.send(`<message to='${carol.bare}'><x xmlns='jabber:x:conference' jid='${room}' reason='come'/></message>`);
    const m = await carol.waitFor((s) => s.name === 'message' && !!s.getChild('x', 'jabber:x:conference'));
    expect(m.getChild('x', 'jabber:x:conference')!.attrs).to.include({ jid: room, reason: 'come' });
    expect(await discoInfo(carol, room)).to.include('jabber:x:conference');
  });
});
