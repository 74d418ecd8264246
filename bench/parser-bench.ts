// Microbenchmark of the stream parser: CPU µs per stanza for the byte tokenizer (production) and the saxes-based
// reference, on a realistic mix (ARCHITECTURE.md §B1: 40% chat messages, 30% presences with caps, 10% IQs,
// 10% MAM results, 10% roster results), fed in 16 KiB chunks. Run: npx tsx bench/parser-bench.ts
import type { Element } from 'ltx';
import { SaxesStreamParser } from '../src/xml/saxes-parser.js';
import { XmlStreamTokenizer } from '../src/xml/tokenizer.js';
import type { StreamParserHandler } from '../src/xml/parser-types.js';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>";

function chat(i: number): string {
  return `<message to='juliet@example.com/balcony' from='romeo@example.net/orchard' type='chat' id='msg-${i}' xml:lang='en'>`
    + `<body>Art thou not Romeo, and a Montague? Neither, fair saint, if either thee dislike. Message number ${i} &amp; more — ünïcödé ✓</body>`
    + "<active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/>"
    + `<origin-id xmlns='urn:xmpp:sid:0' id='5f0e${i.toString(16)}-9a2b-4c1d-8e3f-0123456789ab'/>`
    + "<markable xmlns='urn:xmpp:chat-markers:0'/><store xmlns='urn:xmpp:hints'/></message>";
}
function presence(i: number): string {
  return `<presence from='user${i}@example.com/laptop' id='p${i}'><show>away</show><status>In a meeting until 3pm, back soon</status><priority>5</priority>`
    + "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://conversations.im' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>"
    + "<x xmlns='vcard-temp:x:update'><photo>01b87fcd030b72895ff8e88db57ec525450f000d</photo></x>"
    + "<idle xmlns='urn:xmpp:idle:1' since='2026-11-28T08:00:00Z'/></presence>";
}
function iq(i: number): string {
  return i % 2 ? `<iq type='get' id='ping-${i}' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`
    : `<iq type='get' id='disco-${i}' to='example.com'><query xmlns='http://jabber.org/protocol/disco#info' node='https://example.com#abc'/></iq>`;
}
function mam(i: number): string {
  return `<message to='juliet@example.com/balcony' id='mam-${i}'><result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>`
    + "<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>"
    + `<message xmlns='jabber:client' to='juliet@capulet.lit/balcony' from='romeo@montague.lit/orchard' type='chat' id='m${i}'>`
    + '<body>Call me but love, and I\'ll be new baptized; Henceforth I never will be Romeo.</body>'
    + "<active xmlns='http://jabber.org/protocol/chatstates'/></message></forwarded></result></message>";
}
function roster(i: number): string {
  let items = '';
  for (let k = 0; k < 30; k++) items += `<item jid='contact${k}@example.org' name='Contact ${k}' subscription='both'><group>Friends</group></item>`;
  return `<iq type='result' id='roster-${i}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver${i}'>${items}</query></iq>`;
}

/** The bench's chat message (bench/scenarios/chat.ts), ASCII only, about 250 bytes. */
function benchChat(i: number): string {
  return `<message to='user2@localhost/bench' type='chat' id='s${i.toString(36)}'><body>Hey, are we still on for the review at three? I pushed the last changes to the branch.</body>`
    + `<active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='s${i.toString(36)}'/></message>`;
}

function corpus(n: number, kind: 'mix' | 'chat' = 'mix'): { stream: Buffer; stanzas: number } {
  let s = HEADER;
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    if (kind === 'chat') s += benchChat(i);
    else s += k < 4 ? chat(i) : k < 7 ? presence(i) : k < 8 ? iq(i) : k < 9 ? mam(i) : roster(i);
  }
  return { stream: Buffer.from(s), stanzas: n };
}

type Ctor = new (h: StreamParserHandler, l: { maxStanzaBytes: number; maxDepth: number; maxChildren: number }) => { write(b: Buffer): void };

function runOnce(P: Ctor, stream: Buffer, chunk: number): { us: number; count: number } {
  let count = 0;
  let sink = 0;
  const p = new P({
    onStreamStart: () => undefined,
    onElement: (el: Element) => { count++; sink += el.children.length; },
    onStreamEnd: () => undefined,
    onError: (c, t) => { throw new Error(`${c}: ${t}`); },
  }, { maxStanzaBytes: 262_144, maxDepth: 64, maxChildren: 10_000 });
  const t0 = process.cpuUsage();
  for (let off = 0; off < stream.length; off += chunk) p.write(stream.subarray(off, off + chunk));
  const d = process.cpuUsage(t0);
  if (sink < 0) console.log(sink);
  return { us: d.user + d.system, count };
}

export function measureParsers(opts: { stanzas?: number; rounds?: number; chunk?: number; kind?: 'mix' | 'chat' } = {}): { saxesUs: number; tokenizerUs: number; bytesPerStanza: number } {
  const { stream, stanzas } = corpus(opts.stanzas ?? 10_000, opts.kind);
  const chunk = opts.chunk ?? 16 * 1024;
  const rounds = opts.rounds ?? 7;
  const sax: number[] = [];
  const tok: number[] = [];
  // Warm up both, then alternate so background load hits both alike.
  runOnce(SaxesStreamParser, stream, chunk);
  runOnce(XmlStreamTokenizer, stream, chunk);
  for (let r = 0; r < rounds; r++) {
    const a = runOnce(SaxesStreamParser, stream, chunk);
    const b = runOnce(XmlStreamTokenizer, stream, chunk);
    if (a.count !== stanzas || b.count !== stanzas) throw new Error(`parsed ${a.count} / ${b.count} of ${stanzas} stanzas`);
    sax.push(a.us / stanzas);
    tok.push(b.us / stanzas);
  }
  const med = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
  return { saxesUs: med(sax), tokenizerUs: med(tok), bytesPerStanza: (stream.length - HEADER.length) / stanzas };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const kind of ['mix', 'chat'] as const) {
    const r = measureParsers({ kind });
    console.log(`${kind === 'mix' ? 'realistic mix (B1)' : 'bench chat message'}: average stanza ${r.bytesPerStanza.toFixed(0)} bytes, 16 KiB chunks, median of 7 rounds (CPU time):`);
    console.log(`  saxes reference : ${r.saxesUs.toFixed(2)} µs/stanza`);
    console.log(`  byte tokenizer  : ${r.tokenizerUs.toFixed(2)} µs/stanza (${(r.saxesUs / r.tokenizerUs).toFixed(1)}x faster)`);
  }
}

/** Runs only the tokenizer `rounds` times (for node --cpu-prof; see bench/parser-prof.ts). */
export function profileTokenizer(rounds: number): void {
  const { stream, stanzas } = corpus(10_000);
  let us = 0;
  for (let r = 0; r < rounds; r++) us += runOnce(XmlStreamTokenizer, stream, 16 * 1024).us;
  console.log(`tokenizer: ${(us / rounds / stanzas).toFixed(2)} µs/stanza`);
}
