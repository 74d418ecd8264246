// XEP-0045 core over real sockets with several clients: service discovery, creating and configuring rooms,
// joining (presence, status codes, subject), messages, subject changes, private messages, nick changes,
// leaving, history on join, several sessions under one nick, XEP-0410 self-ping, and a restart.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { MucUser, MUC_NS, errorCondition, itemOf, nextId, statusCodes, sessionsStoppedAfter } from '../helpers/muc.js';

const SERVICE = 'conference.localhost';
const BASE_MODULES = { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, vcard: {} };
const isMsg = (from: string, body?: string) => (s: Element) =>
  s.name === 'message' && s.attrs.from === from && (body === undefined || s.getChildText('body') === body);
const isPres = (from: string, type?: string) => (s: Element) => s.name === 'presence' && s.attrs.from === from && s.attrs.type === type;

describe('muc: XEP-0045 core', function () {
  let t: TestServer;
  let alice: MucUser;
  let bob: MucUser;
  let carol: MucUser;
  const users = sessionsStoppedAfter(() => t);

  before(async function () {
    t = await startTestServer({ modules: { ...BASE_MODULES, muc: {} } });
    for (const u of ['alice', 'bob', 'carol', 'dave']) await t.addUser(u, 'pw');
    alice = await MucUser.login(t.c2sPort, 'alice');
    bob = await MucUser.login(t.c2sPort, 'bob');
    carol = await MucUser.login(t.c2sPort, 'carol');
    users.push(alice, bob, carol);
  });
  afterEach(() => users.forEach((u) => u.drain()));

  it('is listed in the host\'s disco#items and describes itself as a conference service', async function () {
    const items = await alice.iqOk('get', 'localhost', "<query xmlns='http://jabber.org/protocol/disco#items'/>");
    expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.include(SERVICE);
    const info = await alice.iqOk('get', SERVICE, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    const q = info.getChild('query')!;
    expect(q.getChild('identity')!.attrs).to.include({ category: 'conference', type: 'text' });
    expect(q.getChildren('feature').map((f) => f.attrs.var)).to.include.members([MUC_NS.BASE, 'urn:xmpp:occupant-id:0', 'http://jabber.org/protocol/muc#self-ping-optimization']);
  });

  it('creates a locked room (201) that others cannot enter until the owner configures it', async function () {
    const room = `lock@${SERVICE}`;
    const self = await alice.join(room, 'Alice');
    expect(statusCodes(self)).to.include.members([110, 201]);
    expect(itemOf(self)!.attrs).to.include({ affiliation: 'owner', role: 'moderator' });
    const early = await bob.join(room, 'Bob');
    expect(early.attrs.type).to.equal('error');
    expect(errorCondition(early)).to.equal('item-not-found');
    // Until then the room exists only for its owner.
    expect(errorCondition(await bob.iq('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>"))).to.equal('item-not-found');
    await alice.iqOk('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    // The owner asks for the form, then accepts it.
    const f = await alice.iqOk('get', room, `<query xmlns='${MUC_NS.OWNER}'/>`);
    const vars = f.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').map((x) => x.attrs.var);
    expect(vars).to.include.members(['muc#roomconfig_roomname', 'muc#roomconfig_membersonly', 'muc#roomconfig_whois', 'muc#roomconfig_roomsecret']);
    await alice.configure(room, {});
    await bob.joinOk(room, 'Bob');
  });

  it('refuses a join without a nickname (jid-malformed) and to a taken nickname (conflict)', async function () {
    const room = `nicks@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await alice.send(`<presence to='${room}'><x xmlns='${MUC_NS.BASE}'/></presence>`);
    const bad = await alice.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error' && s.attrs.from === room);
    expect(errorCondition(bad)).to.equal('jid-malformed');
    const taken = await bob.join(room, 'Alice');
    expect(taken.attrs.type).to.equal('error');
    expect(errorCondition(taken)).to.equal('conflict');
  });

  it('sends the occupant list, the self-presence (110) and the empty subject in that order, and tells the others', async function () {
    const room = `order@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    alice.drain();
    bob.drain();
    await bob.send(`<presence to='${room}/Bob'><status>hi</status><x xmlns='${MUC_NS.BASE}'/></presence>`);
    await bob.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    const seq = bob.c.received.filter((s) => s.attrs.from?.startsWith(room));
    expect(seq.map((s) => `${s.name}:${s.attrs.from}`)).to.deep.equal([`presence:${room}/Alice`, `presence:${room}/Bob`]);
    expect(statusCodes(seq[1]!)).to.deep.equal([110]);
    // Semi-anonymous by default: bob (a participant) does not see alice's real JID, but sees his own.
    expect(itemOf(seq[0]!)!.attrs.jid).to.equal(undefined);
    expect(itemOf(seq[1]!)!.attrs).to.include({ jid: bob.jid, role: 'participant', affiliation: 'none' });
    const seen = await alice.waitFor(isPres(`${room}/Bob`));
    expect(seen.getChildText('status')).to.equal('hi');
    expect(itemOf(seen)!.attrs.jid).to.equal(bob.jid);   // alice is a moderator
    expect(seen.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id).to.be.a('string');
  });

  it('broadcasts groupchat messages with the room\'s stanza-id and the occupant-id, dropping forged ones', async function () {
    const room = `chat@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    await bob.send(`<message to='${room}' type='groupchat' id='g1'><body>hello all</body>` +
      `<stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='${room.toUpperCase()}'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/>` +
      `<x xmlns='${MUC_NS.USER}'><status code='104'/></x></message>`);
    for (const u of [alice, bob]) {
      const m = await u.waitFor(isMsg(`${room}/Bob`, 'hello all'));
      expect(m.attrs).to.include({ type: 'groupchat', id: 'g1', to: u.jid });
      const sids = m.getChildren('stanza-id', 'urn:xmpp:sid:0');
      expect(sids).to.have.length(1);
      expect(sids[0]!.attrs.by).to.equal(room);
      expect(sids[0]!.attrs.id).to.not.equal('forged');
      const oids = m.getChildren('occupant-id', 'urn:xmpp:occupant-id:0');
      expect(oids).to.have.length(1);
      expect(oids[0]!.attrs.id).to.not.equal('forged');
      expect(m.getChild('x', MUC_NS.USER)).to.equal(undefined);
    }
  });

  it('refuses groupchat messages and private messages from non-occupants (not-acceptable)', async function () {
    const room = `outside@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await carol.send(`<message to='${room}' type='groupchat' id='x1'><body>let me in</body></message>`);
    const e1 = await carol.waitFor((s) => s.attrs.id === 'x1');
    expect(e1.attrs.type).to.equal('error');
    expect(errorCondition(e1)).to.equal('not-acceptable');
    await carol.send(`<message to='${room}/Alice' type='chat' id='x2'><body>psst</body></message>`);
    const e2 = await carol.waitFor((s) => s.attrs.id === 'x2');
    expect(errorCondition(e2)).to.equal('not-acceptable');
    expect(await alice.maybe(isMsg(`${room}/carol`))).to.equal(null);
  });

  it('delivers private messages between occupants and refuses unknown nicks and groupchat type', async function () {
    const room = `pm@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    await bob.send(`<message to='${room}/Alice' type='chat' id='p1'><body>private</body></message>`);
    const pm = await alice.waitFor(isMsg(`${room}/Bob`, 'private'));
    expect(pm.attrs.type).to.equal('chat');
    expect(pm.getChild('x', MUC_NS.USER)).to.not.equal(undefined);
    await bob.send(`<message to='${room}/Nobody' type='chat' id='p2'><body>?</body></message>`);
    expect(errorCondition(await bob.waitFor((s) => s.attrs.id === 'p2'))).to.equal('item-not-found');
    await bob.send(`<message to='${room}/Alice' type='groupchat' id='p3'><body>?</body></message>`);
    expect(errorCondition(await bob.waitFor((s) => s.attrs.id === 'p3'))).to.equal('bad-request');
  });

  it('lets moderators change the subject, and participants only when the room allows it', async function () {
    const room = `subject@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    await bob.send(`<message to='${room}' type='groupchat' id='s1'><subject>bob's topic</subject></message>`);
    const denied = await bob.waitFor((s) => s.attrs.id === 's1' && s.attrs.type === 'error');
    expect(errorCondition(denied)).to.equal('forbidden');
    await alice.send(`<message to='${room}' type='groupchat' id='s2'><subject>Alice's topic</subject></message>`);
    const got = await bob.waitFor((s) => s.attrs.from === `${room}/Alice` && !!s.getChild('subject'));
    expect(got.getChildText('subject')).to.equal("Alice's topic");
    await alice.configure(room, { 'muc#roomconfig_changesubject': '1' });
    await bob.send(`<message to='${room}' type='groupchat' id='s3'><subject>now mine</subject></message>`);
    await alice.waitFor((s) => s.attrs.from === `${room}/Bob` && s.getChildText('subject') === 'now mine');
    // A newcomer gets the subject, with who set it and a delay.
    await carol.join(room, 'Carol');
    const subj = await carol.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    expect(subj.attrs.from).to.equal(`${room}/Bob`);
    expect(subj.getChildText('subject')).to.equal('now mine');
    await carol.send(`<presence to='${room}/Carol' type='unavailable'/>`);
  });

  it('changes nicknames with 303 and refuses a nickname in use', async function () {
    const room = `rename@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    await bob.send(`<presence to='${room}/Alice'/>`);
    const e = await bob.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(errorCondition(e)).to.equal('conflict');
    await bob.send(`<presence to='${room}/Robert'/>`);
    const gone = await alice.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    expect(statusCodes(gone)).to.include(303);
    expect(itemOf(gone)!.attrs.nick).to.equal('Robert');
    await alice.waitFor(isPres(`${room}/Robert`));
    const selfGone = await bob.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    expect(statusCodes(selfGone)).to.include.members([303, 110]);
    await bob.send(`<message to='${room}' type='groupchat'><body>renamed</body></message>`);
    await alice.waitFor(isMsg(`${room}/Robert`, 'renamed'));
  });

  it('tells everyone when an occupant leaves, and a temporary room vanishes when empty', async function () {
    const room = `temp@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    await bob.send(`<presence to='${room}/Bob' type='unavailable'><status>bye</status></presence>`);
    const self = await bob.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    expect(statusCodes(self)).to.include(110);
    expect(itemOf(self)!.attrs.role).to.equal('none');
    await alice.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    await alice.send(`<presence to='${room}/Alice' type='unavailable'/>`);
    await alice.waitFor(isPres(`${room}/Alice`, 'unavailable'));
    const info = await bob.iq('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    expect(errorCondition(info)).to.equal('item-not-found');
  });

  it('replays history on join within maxstanzas, maxchars and seconds, with delays from the room', async function () {
    const room = `history@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    for (const n of [1, 2, 3, 4]) {
      await alice.send(`<message to='${room}' type='groupchat'><body>line ${n}</body></message>`);
      await alice.waitFor(isMsg(`${room}/Alice`, `line ${n}`));
    }
    // A chat state has no body: broadcast, but not history.
    await alice.send(`<message to='${room}' type='groupchat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    await alice.waitFor((s) => s.attrs.from === `${room}/Alice` && !!s.getChild('active'));
    await bob.join(room, 'Bob', "<history maxstanzas='2'/>");
    await bob.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    const hist = bob.c.received.filter((s) => s.name === 'message' && s.getChild('body'));
    expect(hist.map((m) => m.getChildText('body'))).to.deep.equal(['line 3', 'line 4']);
    expect(hist[0]!.getChild('delay', 'urn:xmpp:delay')!.attrs.from).to.equal(room);
    bob.drain();
    await bob.send(`<presence to='${room}/Bob' type='unavailable'/>`);
    await bob.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    bob.drain();
    await bob.join(room, 'Bob', "<history maxchars='0'/>");
    await bob.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    expect(bob.c.received.filter((s) => s.name === 'message' && s.getChild('body'))).to.have.length(0);
    await bob.send(`<presence to='${room}/Bob' type='unavailable'/>`);
    await bob.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    bob.drain();
    await bob.join(room, 'Bob', "<history since='2100-01-01T00:00:00Z'/>");
    await bob.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    expect(bob.c.received.filter((s) => s.name === 'message' && s.getChild('body'))).to.have.length(0);
    await bob.send(`<presence to='${room}/Bob' type='unavailable'/>`);
    await bob.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    bob.drain();
    await new Promise((r) => setTimeout(r, 1100));
    await alice.send(`<message to='${room}' type='groupchat'><body>line 5</body></message>`);
    await alice.waitFor(isMsg(`${room}/Alice`, 'line 5'));
    await bob.join(room, 'Bob', "<history seconds='1'/>");
    await bob.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    expect(bob.c.received.filter((s) => s.name === 'message' && s.getChild('body')).map((m) => m.getChildText('body'))).to.deep.equal(['line 5']);
  });

  it('holds several sessions of one user under one nick; both get messages; leaving one keeps the other', async function () {
    const room = `multi@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    const bob2 = await MucUser.login(t.c2sPort, 'bob', 'second');
    users.push(bob2);
    await bob.joinOk(room, 'Bob');
    alice.drain();
    await bob2.joinOk(room, 'Bob');
    const dave = await MucUser.login(t.c2sPort, 'dave');
    users.push(dave);
    const taken = await dave.join(room, 'Bob');
    expect(errorCondition(taken)).to.equal('conflict');
    await alice.send(`<message to='${room}' type='groupchat'><body>to both</body></message>`);
    await bob.waitFor(isMsg(`${room}/Alice`, 'to both'));
    await bob2.waitFor(isMsg(`${room}/Alice`, 'to both'));
    await bob2.send(`<presence to='${room}/Bob' type='unavailable'/>`);
    await bob2.waitFor(isPres(`${room}/Bob`, 'unavailable'));
    expect(await alice.maybe(isPres(`${room}/Bob`, 'unavailable'))).to.equal(null);
    await alice.send(`<message to='${room}' type='groupchat'><body>still there?</body></message>`);
    await bob.waitFor(isMsg(`${room}/Alice`, 'still there?'));
  });

  it('registers nicknames (§7.10): reserved for their owner, who becomes a member; others get conflict', async function () {
    const room = `register@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    const f = await bob.iqOk('get', room, "<query xmlns='jabber:iq:register'/>");
    expect(f.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').map((x) => x.attrs.var)).to.include('muc#register_roomnick');
    const submit = (nick: string) => `<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>` +
      `<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>${nick}</value></field></x></query>`;
    await bob.iqOk('set', room, submit('Bobby'));
    expect(errorCondition(await carol.iq('set', room, submit('Bobby')))).to.equal('conflict');
    const mine = await bob.iqOk('get', room, "<query xmlns='jabber:iq:register'/>");
    expect(mine.getChild('query')!.getChildText('username')).to.equal('Bobby');
    const node = await bob.iqOk('get', room, "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>");
    expect(node.getChild('query')!.getChild('identity')!.attrs.name).to.equal('Bobby');
    const members = await alice.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member'/></query>`);
    expect(members.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal([bob.bare]);
    expect(errorCondition(await carol.join(room, 'Bobby'))).to.equal('conflict');
    const self = await bob.join(room, 'Bobby');
    expect(itemOf(self)!.attrs.affiliation).to.equal('member');
  });

  it('answers XEP-0410 self-pings: result when joined, not-acceptable when not', async function () {
    const room = `ping@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    const ok = await alice.iq('get', `${room}/Alice`, "<ping xmlns='urn:xmpp:ping'/>");
    expect(ok.attrs.type).to.equal('result');
    const no = await bob.iq('get', `${room}/Alice`, "<ping xmlns='urn:xmpp:ping'/>");
    expect(no.attrs.type).to.equal('error');
    expect(errorCondition(no)).to.equal('not-acceptable');
  });

  it('passes IQs between occupants without revealing real JIDs', async function () {
    const room = `iq@${SERVICE}`;
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');
    const id = nextId('v');
    await bob.send(`<iq type='get' to='${room}/Alice' id='${id}'><query xmlns='jabber:iq:version'/></iq>`);
    const asked = await alice.waitFor((s) => s.name === 'iq' && s.attrs.type === 'get' && s.attrs.from === `${room}/Bob`);
    expect(asked.attrs.id).to.not.equal(id);
    await alice.send(`<iq type='result' to='${room}/Bob' id='${asked.attrs.id}'><query xmlns='jabber:iq:version'><name>test</name></query></iq>`);
    const answer = await bob.waitFor((s) => s.name === 'iq' && s.attrs.id === id);
    expect(answer.attrs).to.include({ type: 'result', from: `${room}/Alice` });
    expect(answer.getChild('query')!.getChildText('name')).to.equal('test');
  });

  it('tells occupants of a shutdown (332) and keeps persistent rooms, their configuration, affiliations, subject and (archived) history across a restart', async function () {
    const dataDir = t.dataDir;
    const room = `keep@${SERVICE}`;
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_roomname': 'Kept', 'muc#roomconfig_membersonly': '1', 'muc#roomconfig_enablearchiving': '1' });
    await alice.send(`<message to='${room}' type='groupchat'><body>before the restart</body></message>`);
    await alice.waitFor(isMsg(`${room}/Alice`, 'before the restart'));
    await alice.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member' jid='${bob.bare}'/></query>`);
    await alice.send(`<message to='${room}' type='groupchat'><subject>survives</subject></message>`);
    await alice.waitFor((s) => s.getChildText('subject') === 'survives');
    await t.stop(true);
    // The shutdown told the occupant (status 332) before the streams closed.
    const bye = alice.c.received.find((st) => st.name === 'presence' && st.attrs.from === `${room}/Alice` && st.attrs.type === 'unavailable');
    expect(bye && statusCodes(bye)).to.include.members([332, 110]);
    for (const u of users.splice(0)) await u.stop();
    t = await startTestServer({ modules: { ...BASE_MODULES, muc: {} } }, ['localhost'], { dataDir });
    alice = await MucUser.login(t.c2sPort, 'alice');
    bob = await MucUser.login(t.c2sPort, 'bob');
    carol = await MucUser.login(t.c2sPort, 'carol');
    users.push(alice, bob, carol);
    const info = await carol.iqOk('get', room, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    const q = info.getChild('query')!;
    expect(q.getChild('identity')!.attrs.name).to.equal('Kept');
    expect(q.getChildren('feature').map((f) => f.attrs.var)).to.include.members(['muc_persistent', 'muc_membersonly']);
    const refused = await carol.join(room, 'Carol');
    expect(errorCondition(refused)).to.equal('registration-required');
    await bob.join(room, 'Bob');
    const subj = await bob.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    expect(subj.getChildText('subject')).to.equal('survives');
    // The archive refilled the history for newcomers.
    const hist = bob.c.received.filter((s) => s.name === 'message' && s.getChild('body'));
    expect(hist.map((m) => m.getChildText('body'))).to.deep.equal(['before the restart']);
    expect(hist[0]!.attrs.from).to.equal(`${room}/Alice`);
    expect(hist[0]!.getChild('delay', 'urn:xmpp:delay')).to.not.equal(undefined);
    const owners = await alice.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='owner'/></query>`);
    expect(owners.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).to.deep.equal([alice.bare]);
  });
});
