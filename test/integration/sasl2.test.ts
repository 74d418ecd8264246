// XEP-0388 SASL2 with XEP-0386 Bind2 and inline XEP-0198 over real sockets: the advertisement, a login that
// binds, enables stream management and sets CSI in one round trip without a stream restart, a login without
// Bind2 (RFC 6120 binding follows), inline resumption after the socket died, failures and abort, and XEP-0474
// downgrade protection (the SCRAM d= attribute proves what the server offered).
import crypto from 'node:crypto';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { BIND2, SASL2, open, scramSasl2, userAgent } from '../helpers/sasl2.js';
import { boundClient, readUntil, SM } from '../helpers/sm.js';
import type { RawClient } from '../helpers/raw-client.js';

const MODULES = { message: {}, offline: {}, presence: {}, roster: {}, disco: {}, ping: {}, sm: {}, csi: {}, sasl2: {} };
const UA = 'd4565fa7-4d72-4749-b3d3-740edbf87770';

describe('XEP-0388 SASL2 + XEP-0386 Bind2', function () {
  this.timeout(20000);
  let t: TestServer;
  const clients: RawClient[] = [];
  const track = (c: RawClient) => (clients.push(c), c);

  beforeEach(async () => {
    t = await startTestServer({ modules: MODULES });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.stop();
  });

  it('advertises SASL2 with Bind2 inline features, inline SM and FAST next to RFC 6120 SASL', async () => {
    const { client, features } = await open(t.c2sPort);
    track(client);
    const auth = /<authentication xmlns=["']urn:xmpp:sasl:2["']>(.*?)<\/authentication>/s.exec(features)?.[1] ?? '';
    expect(auth).to.contain('<mechanism>SCRAM-SHA-256</mechanism>');
    expect(auth).to.contain('<mechanism>SCRAM-SHA-256-PLUS</mechanism>');
    expect(auth).to.match(/<bind xmlns=["']urn:xmpp:bind:0["']><inline><feature var=["']urn:xmpp:sm:3["']\/><feature var=["']urn:xmpp:csi:0["']\/><\/inline><\/bind>/);
    expect(auth).to.match(/<sm xmlns=["']urn:xmpp:sm:3["']\/>/);
    expect(auth).to.match(/<fast xmlns=["']urn:xmpp:fast:0["']><mechanism>HT-SHA-256-NONE<\/mechanism><mechanism>HT-SHA-256-ENDP<\/mechanism><\/fast>/);
    expect(features).to.match(/<mechanisms xmlns=["']urn:ietf:params:xml:ns:xmpp-sasl["']>/);
  });

  it('authenticates, binds, enables SM and CSI in one exchange; stanzas flow without a stream restart', async () => {
    const { client } = await open(t.c2sPort);
    track(client);
    const r = await scramSasl2(client, {
      username: 'alice', password: 'pw',
      inline: `${userAgent(UA)}<bind xmlns='${BIND2}'><tag>Phone App</tag><enable xmlns='${SM}' resume='true'/><inactive xmlns='urn:xmpp:csi:0'/></bind>`,
    });
    expect(r.ok, r.answer).to.equal(true);
    const jid = /<authorization-identifier>([^<]+)<\/authorization-identifier>/.exec(r.answer)?.[1] ?? '';
    expect(jid).to.match(/^alice@localhost\/Phone App\.[0-9a-f]{12}$/);
    expect(r.answer).to.match(/<bound xmlns=["']urn:xmpp:bind:0["']><enabled xmlns=["']urn:xmpp:sm:3["'] id=["'][^"']+["'] resume=["']true["'] max=["']\d+["']\/><\/bound>/);
    // No stream restart and no <stream:features/>: the session is live.
    client.send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await client.expect(/<iq [^>]*id=["']p1["'][^>]*type=["']result["']|<iq [^>]*type=["']result["'][^>]*id=["']p1["']/);
    expect(client.buffer).to.not.contain('stream:features');
    // CSI is inactive: presence waits, a message with a body goes out with it.
    const b = track((await boundClient(t.c2sPort, 'bob', 'desk')).client);
    b.send(`<presence to='${jid}' id='pr1'/>`);
    b.send(`<message to='${jid}' type='chat' id='hi'><body>hi</body></message>`);
    const text = await readUntil(client, /id=["']hi["']/);
    expect(text.indexOf("pr1")).to.be.greaterThan(-1);
    // SM counts: the ping result, the presence and the message were sent.
    client.send(`<r xmlns='${SM}'/>`);
    await client.expect(/<a xmlns=["']urn:xmpp:sm:3["'] h=["']1["']\/>/);
    client.send(`<a xmlns='${SM}' h='3'/><r xmlns='${SM}'/>`);
    await client.expect(/<a xmlns=["']urn:xmpp:sm:3["'] h=["']1["']\/>/);
  });

  it('enables carbons inline: a message the account sends from another resource is copied to the Bind2 session', async () => {
    await t.stop();
    t = await startTestServer({ modules: { ...MODULES, carbons: {} } });
    await t.addUser('alice', 'pw');
    await t.addUser('bob', 'pw');
    const { client, features } = await open(t.c2sPort);
    track(client);
    expect(features).to.match(/<feature var=["']urn:xmpp:carbons:2["']\/>/);
    const r = await scramSasl2(client, { username: 'alice', password: 'pw', inline: `${userAgent(UA)}<bind xmlns='${BIND2}'><tag>Phone</tag><enable xmlns='urn:xmpp:carbons:2'/></bind>` });
    expect(r.ok, r.answer).to.equal(true);
    const desk = track((await boundClient(t.c2sPort, 'alice', 'desk')).client);
    desk.send(`<message to='bob@localhost' type='chat' id='c1'><body>from the desk</body></message>`);
    const copy = await readUntil(client, /<sent xmlns=["']urn:xmpp:carbons:2["']>[\s\S]*?<\/sent>/);
    expect(copy).to.contain('from the desk');
  });

  it('the same user agent gets the same resource, and the new login replaces the old session', async () => {
    const login = async () => {
      const { client } = await open(t.c2sPort);
      track(client);
      const r = await scramSasl2(client, { username: 'alice', password: 'pw', inline: `${userAgent(UA)}<bind xmlns='${BIND2}'><tag>App</tag></bind>` });
      return { client, jid: /<authorization-identifier>([^<]+)</.exec(r.answer)![1]! };
    };
    const first = await login();
    const second = await login();
    expect(second.jid).to.equal(first.jid);
    await first.client.expect(/<conflict xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']\/>/);
  });

  it('without Bind2 the success names the bare JID and stream features follow for RFC 6120 binding', async () => {
    const { client } = await open(t.c2sPort);
    track(client);
    const r = await scramSasl2(client, { username: 'alice', password: 'pw' });
    expect(r.answer).to.contain('<authorization-identifier>alice@localhost</authorization-identifier>');
    await client.expect(/<stream:features>.*?<bind xmlns=["']urn:ietf:params:xml:ns:xmpp-bind["']\/>.*?<\/stream:features>/s);
    client.send(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r1</resource></bind></iq>`);
    await client.expect(/<jid>alice@localhost\/r1<\/jid>/);
  });

  it('resumes inline: <resume/> inside <authenticate/> answers <resumed/> in the success and resends what was missed', async () => {
    const first = track((await open(t.c2sPort)).client);
    const r = await scramSasl2(first, { username: 'alice', password: 'pw', inline: `${userAgent(UA)}<bind xmlns='${BIND2}'><tag>App</tag><enable xmlns='${SM}' resume='true'/></bind>` });
    const jid = /<authorization-identifier>([^<]+)</.exec(r.answer)![1]!;
    const id = /<enabled [^>]*id=["']([^"']+)["']/.exec(r.answer)![1]!;
    first.close();
    await first.waitClosed();
    const b = track((await boundClient(t.c2sPort, 'bob', 'desk')).client);
    b.send(`<message to='${jid}' type='chat' id='while-away'><body>missed</body></message>`);
    await new Promise((res) => setTimeout(res, 150));
    const again = track((await open(t.c2sPort)).client);
    const r2 = await scramSasl2(again, { username: 'alice', password: 'pw', inline: `${userAgent(UA)}<resume xmlns='${SM}' previd='${id}' h='0'/>` });
    expect(r2.ok).to.equal(true);
    expect(r2.answer).to.contain(`<authorization-identifier>${jid}</authorization-identifier>`);
    expect(r2.answer).to.match(new RegExp(`<resumed xmlns=["']${SM}["'] previd=["']${id}["'] h=["']0["']\\/>`));
    await readUntil(again, /id=["']while-away["']/);
  });

  it('a failed inline resumption is reported in the success and Bind2 binds a new session', async () => {
    const { client } = await open(t.c2sPort);
    track(client);
    const r = await scramSasl2(client, { username: 'alice', password: 'pw', inline: `<resume xmlns='${SM}' previd='nope' h='0'/><bind xmlns='${BIND2}'/>` });
    expect(r.ok).to.equal(true);
    expect(r.answer).to.match(/<failed xmlns=["']urn:xmpp:sm:3["']><item-not-found [^>]*\/><\/failed>/);
    expect(r.answer).to.match(/<authorization-identifier>alice@localhost\/starling\.[0-9a-f]{12}<\/authorization-identifier>/);
  });

  it('a wrong password fails in the SASL2 namespace; abort and a stray response are answered', async () => {
    const { client } = await open(t.c2sPort);
    track(client);
    const r = await scramSasl2(client, { username: 'alice', password: 'wrong' }).catch((e: Error) => ({ ok: false, answer: e.message }));
    expect(r.answer).to.match(/<failure xmlns=["']urn:xmpp:sasl:2["']><not-authorized xmlns=["']urn:ietf:params:xml:ns:xmpp-sasl["']\/>/);
    client.send(`<response xmlns='${SASL2}'>AAAA</response>`);
    await client.expect(/<failure xmlns=["']urn:xmpp:sasl:2["']><not-authorized/);
    client.send(`<authenticate xmlns='${SASL2}' mechanism='SCRAM-SHA-256'/>`);
    await client.expect(/<challenge xmlns=["']urn:xmpp:sasl:2["']\/>/);
    client.send(`<abort xmlns='${SASL2}'/>`);
    await client.expect(/<failure xmlns=["']urn:xmpp:sasl:2["']><aborted/);
    client.send(`<authenticate xmlns='${SASL2}' mechanism='NOPE'/>`);
    await client.expect(/<failure xmlns=["']urn:xmpp:sasl:2["']><invalid-mechanism/);
    // Still usable: a correct login works on the same stream.
    expect((await scramSasl2(client, { username: 'alice', password: 'pw' })).ok).to.equal(true);
  });

  describe('XEP-0474 downgrade protection', () => {
    const hString = (mechs: string[], cb: string[] | null) => {
      const m = [...mechs].sort().join('\u001e');
      return cb ? `${m}\u001f${[...cb].sort().join('\u001e')}` : m;
    };
    const dOf = (serverFirst: string) => /(?:^|,)d=([^,]+)/.exec(serverFirst)?.[1];
    const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('base64');
    const listOf = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g'))].map((m) => m[1]!);

    it('SASL2: d= is the hash of what was offered; a list a MITM stripped of -PLUS does not match', async () => {
      const { client, features } = await open(t.c2sPort);
      track(client);
      const auth = /<authentication xmlns=["']urn:xmpp:sasl:2["']>(.*?)<inline>/s.exec(features)![1]!;
      const mechs = listOf(auth, 'mechanism');
      const cb = [...features.matchAll(/<channel-binding type=["']([^"']+)["']\/>/g)].map((m) => m[1]!);
      expect(cb.length).to.be.greaterThan(0);
      const r = await scramSasl2(client, { username: 'alice', password: 'pw', plus: true });
      expect(r.ok).to.equal(true);
      const d = dOf(r.serverFirst!);
      expect(d).to.equal(sha256(hString(mechs, cb)));
      expect(d).to.not.equal(sha256(hString(mechs.filter((m) => !m.endsWith('-PLUS')), cb)));
      expect(d).to.not.equal(sha256(hString(mechs, cb.filter((c) => c !== 'tls-exporter'))));
    });

    it('RFC 6120 SASL carries d= too, over the <mechanisms/> list', async () => {
      const { client, features } = await open(t.c2sPort);
      track(client);
      const mechs = listOf(/<mechanisms [^>]*>(.*?)<\/mechanisms>/s.exec(features)![1]!, 'mechanism');
      const cb = [...features.matchAll(/<channel-binding type=["']([^"']+)["']\/>/g)].map((m) => m[1]!);
      const { ScramClient, b64, unb64 } = await import('../helpers/scram-client.js');
      const scram = new ScramClient({ username: 'alice', password: 'pw', algo: 'SHA-1' });
      client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${b64(scram.first())}</auth>`);
      const m = await client.expect(/<challenge [^>]*>([^<]+)<\/challenge>/);
      const d = dOf(unb64(m[1]!));
      expect(d).to.equal(crypto.createHash('sha1').update(hString(mechs, cb)).digest('base64'));
    });
  });
});
