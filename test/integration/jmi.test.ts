// XEP-0353 Jingle Message Initiation and Jingle IQs across devices over real sockets: a propose to the
// callee's bare JID rings every resource; the caller's other resource sees it (carbons); the proceed to
// the caller's full JID reaches it, and the other devices of both sides learn of it; Jingle IQs pass.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectClient, type TestClient } from '../helpers/xmpp-client.js';
import { barrier, expectResult, iq, parseXml } from '../helpers/pep.js';

const JMI = 'urn:xmpp:jingle-message:0';
const CARBONS = 'urn:xmpp:carbons:2';

const hasJmi = (action: string, sid: string) => (s: Element): boolean => s.name === 'message' && s.getChild(action, JMI)?.attrs.id === sid;
const carbon = (kind: 'sent' | 'received', action: string, sid: string) => (s: Element): boolean =>
  s.name === 'message' && s.getChild(kind, CARBONS)?.getChild('forwarded')?.getChild('message')?.getChild(action, JMI)?.attrs.id === sid;

describe('Jingle Message Initiation (XEP-0353) and Jingle IQs', function () {
  this.timeout(20_000);
  let t: TestServer;
  let a1: TestClient;
  let a2: TestClient;
  let b1: TestClient;
  let b2: TestClient;

  before(async () => {
    t = await startTestServer({ modules: { disco: {}, ping: {}, roster: {}, presence: {}, message: {}, offline: {}, carbons: {}, mam: {}, jingle_message: {} } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    const login = (username: string, resource: string) => connectClient({ port: t.c2sPort, username, password: 'pw', resource });
    [a1, a2, b1, b2] = await Promise.all([login('alice', 'laptop'), login('alice', 'phone'), login('bob', 'desktop'), login('bob', 'tablet')]);
    // Different priorities: a plain chat message would go to bob's desktop only (RFC 6121 §8.5.2.1.1).
    await a1.xmpp.send(parseXml("<presence xmlns='jabber:client'/>"));
    await a2.xmpp.send(parseXml("<presence xmlns='jabber:client'/>"));
    await b1.xmpp.send(parseXml("<presence xmlns='jabber:client'><priority>10</priority></presence>"));
    await b2.xmpp.send(parseXml("<presence xmlns='jabber:client'><priority>0</priority></presence>"));
    for (const c of [a2, b2]) expectResult(await iq(c, 'set', `<enable xmlns='${CARBONS}'/>`));
    for (const c of [a1, a2, b1, b2]) await barrier(c);
  });
  after(async () => {
    for (const c of [a1, a2, b1, b2]) await c?.stop();
    await t.stop();
  });

  it('a propose to the bare JID rings every resource of the callee, once each; the caller\'s other resource gets a sent carbon', async () => {
    await a1.xmpp.send(parseXml(`<message xmlns='jabber:client' to='bob@localhost' type='chat' id='p1'><propose xmlns='${JMI}' id='call-1'>` +
      "<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/></propose><store xmlns='urn:xmpp:hints'/></message>"));
    const atDesktop = await b1.waitFor(hasJmi('propose', 'call-1'));
    expect(atDesktop.attrs.from).to.equal(a1.jid);
    await b2.waitFor(hasJmi('propose', 'call-1'));
    await a2.waitFor(carbon('sent', 'propose', 'call-1'));
    await barrier(b2);
    // The tablet enabled carbons but got the message itself, not a <received/> copy as well.
    expect(b2.received.filter(carbon('received', 'propose', 'call-1'))).to.have.length(0);
  });

  it('ringing and proceed to the caller\'s full JID reach it; the other devices of both sides learn of the proceed', async () => {
    await b1.xmpp.send(parseXml(`<message xmlns='jabber:client' to='${a1.jid}' type='chat' id='r1'><ringing xmlns='${JMI}' id='call-1'/></message>`));
    await a1.waitFor(hasJmi('ringing', 'call-1'));
    await b1.xmpp.send(parseXml(`<message xmlns='jabber:client' to='${a1.jid}' type='chat' id='r2'><proceed xmlns='${JMI}' id='call-1'/><store xmlns='urn:xmpp:hints'/></message>`));
    const proceed = await a1.waitFor(hasJmi('proceed', 'call-1'));
    expect(proceed.attrs.from).to.equal(b1.jid);
    await a2.waitFor(carbon('received', 'proceed', 'call-1'));   // the caller's phone stops offering the call
    await b2.waitFor(carbon('sent', 'proceed', 'call-1'));       // the callee's tablet stops ringing
  });

  it('Jingle IQs pass between the two full JIDs, and the answer comes back', async () => {
    const initiate = `<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' initiator='${a1.jid}' sid='call-1'>` +
      "<content creator='initiator' name='voice'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='111' name='opus' clockrate='48000' channels='2'/></description>" +
      "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' pwd='asd88fgpdd777uzjYhagZg' ufrag='8hhy'/></content></jingle>";
    const answer = b1.waitFor((s) => s.name === 'iq' && s.attrs.type === 'set' && s.getChild('jingle', 'urn:xmpp:jingle:1')?.attrs.sid === 'call-1');
    const pending = iq(a1, 'set', initiate, b1.jid);
    const got = await answer;
    expect(got.attrs.from).to.equal(a1.jid);
    expect(got.getChild('jingle')!.getChild('content')!.getChild('description')!.getChild('payload-type')!.attrs.name).to.equal('opus');
    await b1.xmpp.send(parseXml(`<iq xmlns='jabber:client' type='result' to='${a1.jid}' id='${got.attrs.id}'/>`));
    expectResult(await pending);
  });

  it('the call log is archived for both sides (XEP-0313)', async () => {
    for (const [c, peer] of [[b1, 'alice@localhost'], [a1, 'bob@localhost']] as const) {
      const done = iq(c, 'set', `<query xmlns='urn:xmpp:mam:2' queryid='log'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with'><value>${peer}</value></field></x></query>`);
      expectResult(await done);
      const logged = c.received.filter((s) => s.getChild('result', 'urn:xmpp:mam:2')?.getChild('forwarded')?.getChild('message')?.getChild('propose', JMI)?.attrs.id === 'call-1');
      expect(logged, c.jid).to.have.length(1);
    }
  });

  it('a retract reaches every resource of the callee too', async () => {
    await a1.xmpp.send(parseXml(`<message xmlns='jabber:client' to='bob@localhost' type='chat' id='p2'><retract xmlns='${JMI}' id='call-2'/></message>`));
    await b1.waitFor(hasJmi('retract', 'call-2'));
    await b2.waitFor(hasJmi('retract', 'call-2'));
  });
});
