// XEP-0049 Private XML Storage over real sockets.
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { RawClient } from '../helpers/raw-client.js';
import { RawSessions } from '../helpers/raw-sessions.js';

const NS = 'jabber:iq:private';
const BOOKMARKS = "<storage xmlns='storage:bookmarks'><conference jid='room@conference.example.org' autojoin='true' name='The &amp; Room'><nick>al</nick></conference></storage>";

describe('private (XEP-0049)', function () {
  let t: TestServer;
  const raw = new RawSessions(() => t.c2sPort, { idPrefix: 'p' });
  let alice: RawClient;
  let bob: RawClient;

  const login = (username: string, resource: string) => raw.login(username, resource);
  const iq = (c: RawClient, type: 'get' | 'set', payload: string, to?: string) => raw.iq(c, type, `<query xmlns='${NS}'>${payload}</query>`, to);
  const start = async (dataDir?: string) => {
    t = await startTestServer({ modules: { disco: {}, private: { maxBytes: 1024 } } }, ['localhost'], { dataDir });
  };

  before(async () => {
    await start();
    for (const u of ['alice', 'bob']) await t.addUser(u, 'pw');
    alice = await login('alice', 'one');
    bob = await login('bob', 'b');
  });
  after(async () => {
    raw.closeAll();
    await t.stop();
  });

  it('announces jabber:iq:private and returns the requested element empty when nothing is stored', async () => {
    alice.send("<iq type='get' to='localhost' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    expect((await alice.expect(/<iq [^>]*id="d1".*?<\/iq>/s))[0]).to.include(`<feature var="${NS}"/>`);
    expect(await iq(alice, 'get', "<exodus xmlns='exodus:prefs'/>"))
      .to.match(new RegExp(`<iq type="result" id="p\\d+"[^>]*><query xmlns="${NS}"><exodus xmlns="exodus:prefs"/></query></iq>`));
  });

  it('stores elements by name and namespace and returns them (with or without a to)', async () => {
    expect(await iq(alice, 'set', `${BOOKMARKS}<exodus xmlns='exodus:prefs'><defaultnick>Hamlet</defaultnick></exodus>`))
      .to.match(/^<iq type="result" id="p\d+"[^>]*\/>$/);
    const bm = await iq(alice, 'get', "<storage xmlns='storage:bookmarks'/>", 'alice@localhost');
    expect(bm).to.include(`<query xmlns="${NS}"><storage xmlns="storage:bookmarks"><conference jid="room@conference.example.org" autojoin="true" name="The &amp; Room"><nick>al</nick></conference></storage></query>`)
      .and.not.include('exodus');
    expect(await iq(alice, 'get', "<exodus xmlns='exodus:prefs'/>")).to.include('<defaultnick>Hamlet</defaultnick>').and.not.include('storage');
    // Same namespace, another element name: a separate item.
    expect(await iq(alice, 'get', "<other xmlns='exodus:prefs'/>")).to.include('<other xmlns="exodus:prefs"/>').and.not.include('Hamlet');
  });

  it('keeps a namespace declared on the query with the stored element', async () => {
    expect(await iq(alice, 'set', "<p:prefs xmlns:p='urn:example:p' p:v='2'><p:a>1</p:a><b/></p:prefs>")).to.include('type="result"');
    const res = await iq(alice, 'get', "<prefs xmlns='urn:example:p'/>");
    expect(res).to.include('<p:prefs xmlns:p="urn:example:p" p:v="2" xmlns="jabber:iq:private"><p:a>1</p:a><b/></p:prefs>');
  });

  it('replaces an element on a new set and forgets it when it is stored empty', async () => {
    await iq(alice, 'set', "<exodus xmlns='exodus:prefs'><defaultnick>Ophelia</defaultnick></exodus>");
    expect(await iq(alice, 'get', "<exodus xmlns='exodus:prefs'/>")).to.include('Ophelia').and.not.include('Hamlet');
    await iq(alice, 'set', "<exodus xmlns='exodus:prefs'/>");
    expect(await iq(alice, 'get', "<exodus xmlns='exodus:prefs'/>")).to.include(`<query xmlns="${NS}"><exodus xmlns="exodus:prefs"/></query>`);
  });

  it("refuses another user's storage with forbidden, for get and set (§3)", async () => {
    const get = await iq(bob, 'get', "<storage xmlns='storage:bookmarks'/>", 'alice@localhost');
    expect(get).to.include('type="error"').and.include('<forbidden').and.not.include('conference');
    const set = await iq(bob, 'set', "<storage xmlns='storage:bookmarks'/>", 'alice@localhost');
    expect(set).to.include('<forbidden');
    expect(await iq(alice, 'get', "<storage xmlns='storage:bookmarks'/>")).to.include('room@conference.example.org');
  });

  it('refuses reserved namespaces and an empty query with not-acceptable, two namespaces in a get with bad-request', async () => {
    for (const payload of ["<vCard xmlns='vcard-temp'><FN>Hamlet</FN></vCard>", "<query xmlns='jabber:iq:roster'/>", "<x xmlns='http://jabber.org/protocol/muc'/>", '<plain/>']) {
      expect(await iq(alice, 'set', payload), payload).to.include('type="error"').and.include('<not-acceptable');
    }
    expect(await iq(alice, 'get', "<vCard xmlns='vcard-temp'/>")).to.include('<not-acceptable');
    expect(await iq(alice, 'get', '')).to.include('<not-acceptable');
    expect(await iq(alice, 'set', '')).to.include('<not-acceptable');
    expect(await iq(alice, 'get', "<a xmlns='urn:a'/><b xmlns='urn:b'/>")).to.include('<bad-request');
    // A set with a reserved element stores nothing, not even its acceptable siblings.
    expect(await iq(alice, 'set', "<keep xmlns='urn:k'>x</keep><vCard xmlns='vcard-temp'/>")).to.include('<not-acceptable');
    expect(await iq(alice, 'get', "<keep xmlns='urn:k'/>")).to.include('<keep xmlns="urn:k"/>');
  });

  it('enforces the per-user size limit with not-acceptable and a text', async () => {
    const big = `<big xmlns='urn:big'>${'y'.repeat(900)}</big>`;
    const res = await iq(alice, 'set', big);
    expect(res).to.include('<not-acceptable').and.match(/<text [^>]*>private storage would hold \d+ bytes; at most 1024 are allowed<\/text>/);
    expect(await iq(alice, 'get', "<big xmlns='urn:big'/>")).to.include('<big xmlns="urn:big"/>');
    // Replacing an element counts its new size only.
    await iq(alice, 'set', `<big xmlns='urn:big'>${'y'.repeat(300)}</big>`);
    expect(await iq(alice, 'set', `<big xmlns='urn:big'>${'z'.repeat(350)}</big>`)).to.include('type="result"');
  });

  it('keeps the data across a reconnect and a server restart', async () => {
    const again = await login('alice', 'two');
    expect(await iq(again, 'get', "<storage xmlns='storage:bookmarks'/>")).to.include('room@conference.example.org');
    raw.closeAll();
    await t.stop(true);
    await start(t.dataDir);
    alice = await login('alice', 'one');
    expect(await iq(alice, 'get', "<storage xmlns='storage:bookmarks'/>")).to.include('<nick>al</nick>');
    expect(await iq(alice, 'get', "<big xmlns='urn:big'/>")).to.include('z'.repeat(350));
    bob = await login('bob', 'b');
    expect(await iq(bob, 'get', "<storage xmlns='storage:bookmarks'/>")).to.include('<storage xmlns="storage:bookmarks"/>');
  });
});
