// RFC 6121 §8.5 message delivery over real sockets: bare JIDs by priority and type, unavailable full
// JIDs, accounts that do not exist, the host itself. No offline module is loaded here, so a message
// nobody can take is answered with service-unavailable (offline.test.ts covers storage).
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';
import { fakePresence } from '../helpers/fake-presence.js';

describe('message delivery (RFC 6121 §8.5)', function () {
  let t: TestServer;
  const open: RawClient[] = [];
  let alice: RawClient;
  let b5a: RawClient;   // bob, priority 5
  let b5b: RawClient;   // bob, priority 5
  let bNeg: RawClient;  // bob, priority -1
  let b1: RawClient;    // bob, priority 1
  let carolNeg: RawClient;   // carol's only resource, priority -1
  let dave: RawClient;       // bound, never sent presence
  let bobs: RawClient[];

  const login = async (username: string, resource: string, priority?: number | null): Promise<RawClient> => {
    const { client } = await rawLogin({ port: t.c2sPort, username, password: 'pw', resource });
    open.push(client);
    if (priority !== null) {
      client.send(priority === undefined ? '<presence/>' : `<presence><priority>${priority}</priority></presence>`);
      // The echo of one's own presence (RFC 6121 §4.2.2) says the server has it.
      await client.expect(new RegExp(`<presence [^>]*from="${username}@localhost/${resource}" to="${username}@localhost/${resource}"[^>]*?(?:/>|>.*?</presence>)`, 's'));
    }
    return client;
  };

  /** Round trip: everything the server wrote to `c` before is now in its buffer; returns (and consumes) it. */
  let pings = 0;
  const barrier = async (c: RawClient): Promise<string> => {
    const id = `ping${++pings}`;
    c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    return (await c.expect(new RegExp(`^(.*?)<iq [^>]*id="${id}"[^>]*/>`, 's')))[1]!;
  };

  const received = async (c: RawClient, id: string): Promise<string> =>
    (await c.expect(new RegExp(`<message (?=[^>]*id="${id}")[^>]*>.*?</message>`, 's')))[0];

  /** Sends from alice; when the ping comes back, the server has routed the message. */
  const send = async (xml: string): Promise<string> => {
    alice.send(xml);
    return barrier(alice);
  };

  const errorIn = (text: string, id: string): string | undefined =>
    text.match(new RegExp(`<message (?=[^>]*id="${id}")(?=[^>]*type="error")[^>]*>.*?</message>`, 's'))?.[0];

  /** None of `clients` got anything with an id starting with `prefix`. */
  const nobodyGot = async (clients: RawClient[], prefix: string): Promise<void> => {
    for (const c of clients) expect(await barrier(c)).to.not.include(`id="${prefix}`);
  };

  before(async () => {
    t = await startTestServer({ modules: { message: {}, ping: {}, 'fake-presence': {} } }, ['localhost'], { extraModules: [fakePresence] });
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await t.addUser(u, 'pw');
    alice = await login('alice', 'a');
    b5a = await login('bob', 'five-a', 5);
    b5b = await login('bob', 'five-b', 5);
    bNeg = await login('bob', 'negative', -1);
    b1 = await login('bob', 'one', 1);
    bobs = [b5a, b5b, bNeg, b1];
    carolNeg = await login('carol', 'neg', -1);
    dave = await login('dave', 'quiet', null);
    // Drop the presence echoes the later logins caused on earlier resources.
    for (const c of bobs) await barrier(c);
  });

  after(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  it('delivers a chat to the bare JID to every resource sharing the highest priority (5, 5), not to 1 or -1', async () => {
    const routed = await send("<message to='bob@localhost' type='chat' id='c1'><body>hello</body></message>");
    expect(routed).to.equal('');
    for (const c of [b5a, b5b]) {
      const m = await received(c, 'c1');
      // §8.5.2.1.1: the 'to' stays the bare JID.
      expect(m).to.include('to="bob@localhost"').and.include('from="alice@localhost/a"').and.include('<body>hello</body>');
    }
    await nobodyGot([bNeg, b1], 'c1');
  });

  it('treats normal, missing and unknown types alike', async () => {
    await send("<message to='bob@localhost' type='normal' id='n1'><body>n</body></message>");
    await send("<message to='bob@localhost' id='n2'><body>n</body></message>");
    await send("<message to='bob@localhost' type='whatever' id='n3'><body>n</body></message>");
    for (const id of ['n1', 'n2', 'n3']) {
      await received(b5a, id);
      await received(b5b, id);
    }
    await nobodyGot([bNeg, b1], 'n');
  });

  it('delivers a headline to every non-negative resource', async () => {
    await send("<message to='bob@localhost' type='headline' id='h1'><body>news</body></message>");
    for (const c of [b5a, b5b, b1]) expect(await received(c, 'h1')).to.include('to="bob@localhost"');
    await nobodyGot([bNeg], 'h1');
  });

  it('refuses groupchat to a bare JID with service-unavailable and delivers it nowhere', async () => {
    const routed = await send("<message to='bob@localhost' type='groupchat' id='g1'><body>room?</body></message>");
    const err = errorIn(routed, 'g1');
    expect(err).to.include('from="bob@localhost"').and.include('<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    await nobodyGot(bobs, 'g1');
  });

  it('silently ignores a message of type error', async () => {
    const routed = await send("<message to='bob@localhost' type='error' id='e1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
    expect(routed).to.equal('');
    await nobodyGot(bobs, 'e1');
  });

  it('never gives bare-JID messages to negative resources: with only those, chat is refused and headline dropped', async () => {
    let routed = await send("<message to='carol@localhost' type='chat' id='cn1'><body>hi</body></message>");
    expect(errorIn(routed, 'cn1')).to.include('<service-unavailable');
    routed = await send("<message to='carol@localhost' type='headline' id='cn2'><body>hi</body></message>");
    expect(routed).to.equal('');
    await nobodyGot([carolNeg], 'cn');
  });

  it('gives nothing to a resource that is connected but not available; its full JID still works', async () => {
    const routed = await send("<message to='dave@localhost' type='chat' id='d1'><body>hi</body></message>");
    expect(errorIn(routed, 'd1')).to.include('<service-unavailable');
    await nobodyGot([dave], 'd1');
    await send("<message to='dave@localhost/quiet' type='chat' id='d2'><body>direct</body></message>");
    expect(await received(dave, 'd2')).to.include('to="dave@localhost/quiet"');
  });

  it('refuses chat and normal to an existing account without sessions when nothing stores them; drops headline', async () => {
    let routed = await send("<message to='erin@localhost' type='chat' id='x1'><body>hi</body></message>");
    expect(errorIn(routed, 'x1')).to.include('<service-unavailable');
    routed = await send("<message to='erin@localhost' id='x2'><body>hi</body></message>");
    expect(errorIn(routed, 'x2')).to.include('<service-unavailable');
    routed = await send("<message to='erin@localhost' type='headline' id='x3'><body>hi</body></message>");
    expect(routed).to.equal('');
  });

  it('answers a message to an account that does not exist like one to an account that has no resources', async () => {
    for (const [type, id] of [['chat', 'u1'], ['normal', 'u2'], ['groupchat', 'u3']] as const) {
      const routed = await send(`<message to='nobody@localhost' type='${type}' id='${id}'><body>hi</body></message>`);
      const err = errorIn(routed, id);
      expect(err, type).to.include('from="nobody@localhost"').and.include('<service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
      expect(err, 'no text that tells more').to.not.include('<text');
    }
    let routed = await send("<message to='nobody@localhost' type='headline' id='u4'><body>hi</body></message>");
    expect(routed).to.equal('');
    routed = await send("<message to='nobody@localhost' type='error' id='u5'/>");
    expect(routed).to.equal('');
    routed = await send("<message to='nobody@localhost/res' type='chat' id='u6'><body>hi</body></message>");
    expect(errorIn(routed, 'u6')).to.include('from="nobody@localhost/res"').and.include('<service-unavailable');
  });

  it('sends a chat to a full JID whose resource is gone to the bare JID rules, keeping its address (§8.5.3.2.1)', async () => {
    const routed = await send("<message to='bob@localhost/gone' type='chat' id='f1'><body>fallback</body></message>");
    expect(routed).to.equal('');
    for (const c of [b5a, b5b]) expect(await received(c, 'f1')).to.include('to="bob@localhost/gone"');
    await nobodyGot([bNeg, b1], 'f1');
  });

  it('refuses normal and groupchat to a gone resource, drops headline and error, and copies none to other resources', async () => {
    let routed = await send("<message to='bob@localhost/gone' type='normal' id='f2'><body>n</body></message>");
    expect(errorIn(routed, 'f2')).to.include('from="bob@localhost/gone"').and.include('<service-unavailable');
    routed = await send("<message to='bob@localhost/gone' type='groupchat' id='f3'><body>g</body></message>");
    expect(errorIn(routed, 'f3')).to.include('<service-unavailable');
    routed = await send("<message to='bob@localhost/gone' type='headline' id='f4'><body>h</body></message>");
    expect(routed).to.equal('');
    routed = await send("<message to='bob@localhost/gone' type='error' id='f5'/>");
    expect(routed).to.equal('');
    await nobodyGot(bobs, 'f');
  });

  it('answers a chat to the host with service-unavailable and ignores a headline to it', async () => {
    let routed = await send("<message to='localhost' type='chat' id='s1'><body>hi server</body></message>");
    expect(errorIn(routed, 's1')).to.include('from="localhost"').and.include('<service-unavailable');
    routed = await send("<message to='localhost' type='headline' id='s2'><body>hi</body></message>");
    expect(routed).to.equal('');
  });

  it('follows presence changes: when the 5s go unavailable the 1 gets chats; with only -1 left they are refused', async () => {
    for (const c of [b5a, b5b]) {
      c.send("<presence type='unavailable'/>");
      await barrier(c);
    }
    await send("<message to='bob@localhost' type='chat' id='p1'><body>to one</body></message>");
    expect(await received(b1, 'p1')).to.include('<body>to one</body>');
    b1.send('<presence><priority>-5</priority></presence>');
    await barrier(b1);
    const routed = await send("<message to='bob@localhost' type='chat' id='p2'><body>nobody</body></message>");
    expect(errorIn(routed, 'p2')).to.include('<service-unavailable');
    await nobodyGot(bobs, 'p2');
  });
});
