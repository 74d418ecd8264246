// Reconnect cost (issue 9): round trips and wall time of three ways back onto the server over direct TLS
// (XEP-0368, so TCP + TLS are the same for all):
//   full      RFC 6120: stream, SCRAM-SHA-256 (2 steps), stream restart, bind, SM enable
//   fast      XEP-0388 SASL2 + XEP-0484 FAST token + XEP-0386 Bind2 with SM enable inline: one <authenticate/>
//   resume    XEP-0198 resumption of a detached session: SCRAM-SHA-256 (RFC 6120), stream restart, <resume/>
//   fast+res  SASL2 + FAST + <resume/> inline: one <authenticate/> that resumes the detached session
// Round trips count every wait for the server (TCP connect and the TLS 1.3 handshake included).
//
//   NODE_EXTRA_CA_CERTS=.test-certs/ca.crt node --import tsx bench/reconnect.ts [--iterations 200]
//
// The server runs in this process (its own event loop turn, same machine): wall times are loopback figures and
// include the load generator's work; the ratios and the round-trip counts are what carry over to a phone network,
// where each round trip costs 50–300 ms.
import { parseArgs } from 'node:util';
import { startTestServer } from '../test/helpers/server.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { saslAuth } from '../test/helpers/login.js';
import { fastSasl2, scramSasl2, tokenOf, userAgent, FAST, BIND2 } from '../test/helpers/sasl2.js';
import { SM } from '../test/helpers/sm.js';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '200' } } });
const N = Number(values.iterations);
const UA = 'bench-0000-4000-8000-reconnect';

/** A RawClient whose waits are counted as round trips. */
async function connect(port: number, counter: { rtt: number }): Promise<RawClient> {
  const c = await RawClient.connect(port, { tls: true, servername: 'localhost' });
  counter.rtt += 2;   // TCP + TLS 1.3
  const expect = c.expect.bind(c);
  c.expect = (p: RegExp, ms?: number) => {
    counter.rtt++;
    return expect(p, ms);
  };
  return c;
}

async function openStream(c: RawClient): Promise<void> {
  c.open('localhost');
  await c.expect(/<stream:features>.*?<\/stream:features>/s);
}

const t = await startTestServer({ modules: { message: {}, offline: {}, presence: {}, roster: {}, disco: {}, ping: {}, sm: { resumeTimeoutSeconds: 600 }, csi: {}, sasl2: {} } });
await t.addUser('alice', 'pw');
const port = t.tlsPort;

type Way = 'full' | 'fast' | 'resume' | 'fast+res';
const results: Record<Way, { ms: number[]; rtt: number }> = { full: { ms: [], rtt: 0 }, fast: { ms: [], rtt: 0 }, resume: { ms: [], rtt: 0 }, 'fast+res': { ms: [], rtt: 0 } };

// A FAST token to start with (rotated as we go, as a client would).
let token: string;
{
  const c = await connect(port, { rtt: 0 });
  await openStream(c);
  const r = await scramSasl2(c, { username: 'alice', password: 'pw', inline: `${userAgent(UA)}<request-token xmlns='${FAST}' mechanism='HT-SHA-256-NONE'/>` });
  token = tokenOf(r.answer)!.token;
  c.close();
}
let count = 1;

/** A session with SM resumption enabled whose connection then dies; returns its resumption id. */
async function detachedSession(): Promise<string> {
  const c = await connect(port, { rtt: 0 });
  await openStream(c);
  const r = await fastSasl2(c, { username: 'alice', token, inline: `${userAgent(UA)}<fast xmlns='${FAST}' count='${count++}'/><bind xmlns='${BIND2}'><tag>bench</tag><enable xmlns='${SM}' resume='true'/></bind>` });
  const id = /<enabled [^>]*id=["']([^"']+)["']/.exec(r.answer)![1]!;
  c.close();
  await c.waitClosed();
  await new Promise((res) => setTimeout(res, 5));
  return id;
}

async function measure(way: Way, run: (counter: { rtt: number }) => Promise<RawClient>): Promise<void> {
  const counter = { rtt: 0 };
  const t0 = performance.now();
  const c = await run(counter);
  results[way].ms.push(performance.now() - t0);
  results[way].rtt = counter.rtt;
  c.close();
}

for (let i = 0; i < N; i++) {
  await measure('full', async (k) => {
    const c = await connect(port, k);
    await openStream(c);
    const a = await saslAuth(c, { port, username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' });
    if (!a.ok) throw new Error(a.answer);
    await openStream(c);
    c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>full</resource></bind></iq>`);
    await c.expect(/<\/iq>/);
    c.send(`<enable xmlns='${SM}' resume='true'/>`);
    await c.expect(/<enabled /);
    return c;
  });
  await measure('fast', async (k) => {
    const c = await connect(port, k);
    await openStream(c);
    const r = await fastSasl2(c, { username: 'alice', token, inline: `${userAgent(UA)}<fast xmlns='${FAST}' count='${count++}'/><bind xmlns='${BIND2}'><tag>bench</tag><enable xmlns='${SM}' resume='true'/></bind>` });
    if (!r.ok) throw new Error(r.answer);
    return c;
  });
  const id1 = await detachedSession();
  await measure('resume', async (k) => {
    const c = await connect(port, k);
    await openStream(c);
    const a = await saslAuth(c, { port, username: 'alice', password: 'pw', mechanism: 'SCRAM-SHA-256' });
    if (!a.ok) throw new Error(a.answer);
    await openStream(c);
    c.send(`<resume xmlns='${SM}' previd='${id1}' h='0'/>`);
    await c.expect(/<resumed /);
    return c;
  });
  const id2 = await detachedSession();
  await measure('fast+res', async (k) => {
    const c = await connect(port, k);
    await openStream(c);
    const r = await fastSasl2(c, { username: 'alice', token, inline: `${userAgent(UA)}<fast xmlns='${FAST}' count='${count++}'/><resume xmlns='${SM}' previd='${id2}' h='0'/>` });
    if (!r.answer.includes('<resumed')) throw new Error(r.answer);
    return c;
  });
}

await t.stop();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const full = median(results.full.ms);
console.log(`\n| way back (${N} runs each, direct TLS, loopback) | round trips | wall p50 (ms) | wall p90 (ms) | p50 vs full login |`);
console.log('|---|---:|---:|---:|---:|');
const label: Record<Way, string> = {
  full: 'full login: SCRAM-SHA-256 + restart + bind + SM enable',
  fast: 'SASL2 + FAST token + Bind2 (SM enable inline)',
  resume: 'SM resume after SCRAM-SHA-256 (RFC 6120)',
  'fast+res': 'SASL2 + FAST token + inline SM resume',
};
for (const w of Object.keys(results) as Way[]) {
  const r = results[w];
  console.log(`| ${label[w]} | ${r.rtt} | ${median(r.ms).toFixed(2)} | ${p90(r.ms).toFixed(2)} | ${(median(r.ms) / full).toFixed(2)}× |`);
}
