// Differential tests: the byte tokenizer behind StreamParser must accept, reject and deliver exactly what the
// saxes-based reference parser does (ARCHITECTURE.md §B1): the same stream starts, elements (structurally equal), stream
// ends, and the same error condition at the same point, for the strictness matrix, hand-written edge cases, and seeded
// random / mutated inputs under random chunkings and limits. Strictness can then never regress silently for speed.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { SaxesStreamParser } from '../../src/xml/saxes-parser.js';
import { XmlStreamTokenizer } from '../../src/xml/tokenizer.js';
import { serialize } from '../../src/xml/serialize.js';
import type { ParserLimits, StreamParserHandler } from '../../src/xml/parser-types.js';
import { mutate, rng } from '../fuzz/engine.js';

type Framing = 'stream' | 'websocket';
const STREAMS = 'http://etherx.jabber.org/streams';
const HEADER = `<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}' to='example.com' version='1.0'>`;
const DECL = "<?xml version='1.0'?>";
const LIMITS: ParserLimits = { maxStanzaBytes: 256 * 1024, maxDepth: 64, maxChildren: 10000 };

function dump(el: Element): unknown {
  return [el.name, Object.entries(el.attrs), el.children.map((c) => (typeof c === 'string' ? c : dump(c)))];
}

let serialized = 0;

function collect(log: string[]): StreamParserHandler {
  return {
    onStreamStart: (name, ns, attrs) => log.push(`start ${name} ${ns} ${JSON.stringify(Object.entries(attrs))}`),
    onElement: (el) => {
      log.push(`el ${JSON.stringify(dump(el))}`);
      // The transport's serializer must write exactly what ltx writes.
      expect(serialize(el)).to.equal(el.toString());
      serialized++;
    },
    onStreamEnd: () => log.push('end'),
    onError: (condition) => log.push(`error ${condition}`),
  };
}

interface Run {
  log: string[];
  failed: boolean;
}

function run(kind: 'saxes' | 'tokenizer', chunks: (Buffer | string)[], limits: ParserLimits, framing: Framing): Run {
  const log: string[] = [];
  const p = kind === 'saxes'
    ? new SaxesStreamParser(collect(log), limits, { framing })
    : new XmlStreamTokenizer(collect(log), limits, { framing });
  for (const c of chunks) p.write(c);
  return { log, failed: p.failed };
}

function same(chunks: (Buffer | string)[], limits: ParserLimits = LIMITS, framing: Framing = 'stream', label = ''): Run {
  const a = run('saxes', chunks, limits, framing);
  const b = run('tokenizer', chunks, limits, framing);
  const show = () => `${label}\ninput: ${JSON.stringify(chunks.map((c) => (typeof c === 'string' ? c : c.toString('latin1'))))}\nlimits: ${JSON.stringify(limits)} ${framing}`;
  expect(b.log, show()).to.deep.equal(a.log);
  expect(b.failed, show()).to.equal(a.failed);
  return a;
}

/** Every way of cutting `s` into two chunks, plus one-byte chunks. */
function chunkings(input: Buffer): Buffer[][] {
  const out: Buffer[][] = [[input]];
  for (let k = 1; k < input.length; k++) out.push([input.subarray(0, k), input.subarray(k)]);
  out.push([...input].map((b) => Buffer.from([b])));
  return out;
}

// The B1 strictness matrix (ARCHITECTURE.md) and the other named cases: [label, stanza-level input, expected condition or null].
const MATRIX: [string, string | Buffer, string | null][] = [
  ['DOCTYPE with internal entity', `<!DOCTYPE x [<!ENTITY a "b">]>${HEADER}`, 'restricted-xml'],
  ['billion laughs', `<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>${HEADER}<a>&lol2;</a>`, 'restricted-xml'],
  ['DOCTYPE after the header', `${HEADER}<!DOCTYPE x>`, 'restricted-xml'],
  ['processing instruction', `${HEADER}<?pi data?>`, 'restricted-xml'],
  ['processing instruction in a stanza', `${HEADER}<message><?pi?></message>`, 'restricted-xml'],
  ['comment at stream level', `${HEADER}<!-- c -->`, 'restricted-xml'],
  ['comment in a stanza', `${HEADER}<message><!-- c --></message>`, 'restricted-xml'],
  ['comment in the prolog', `<!-- c -->${HEADER}`, 'restricted-xml'],
  ['undefined entity', `${HEADER}<message>&foo;</message>`, 'not-well-formed'],
  ['invalid UTF-8 C3 28', Buffer.concat([Buffer.from(`${HEADER}<message>`), Buffer.from([0xc3, 0x28]), Buffer.from('</message>')]), 'not-well-formed'],
  ['invalid UTF-8 FF', Buffer.concat([Buffer.from(`${HEADER}<message>`), Buffer.from([0xff]), Buffer.from('</message>')]), 'not-well-formed'],
  ['overlong C0 BC', Buffer.concat([Buffer.from(`${HEADER}<message>`), Buffer.from([0xc0, 0xbc]), Buffer.from('</message>')]), 'not-well-formed'],
  ['surrogate ED A0 80', Buffer.concat([Buffer.from(`${HEADER}<message>`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('</message>')]), 'not-well-formed'],
  ['raw U+0000', `${HEADER}<message>\u0000</message>`, 'not-well-formed'],
  ['raw U+0001', `${HEADER}<message a='\u0001'/>`, 'not-well-formed'],
  ['raw U+FFFE', `${HEADER}<message>\uFFFE</message>`, 'not-well-formed'],
  ['char ref &#0;', `${HEADER}<message>&#0;</message>`, 'not-well-formed'],
  ['char ref &#x1;', `${HEADER}<message>&#x1;</message>`, 'not-well-formed'],
  ['mismatched end tag', `${HEADER}<message></iq>`, 'not-well-formed'],
  ['duplicate attribute', `${HEADER}<message a='1' a='2'/>`, 'not-well-formed'],
  ['duplicate expanded attribute', `${HEADER}<message xmlns:p='u' xmlns:q='u' p:a='1' q:a='2'/>`, 'not-well-formed'],
  ['unbound prefix', `${HEADER}<foo:bar/>`, 'not-well-formed'],
  ['unbound attribute prefix', `${HEADER}<a foo:b='1'/>`, 'not-well-formed'],
  ['unquoted attribute', `${HEADER}<a b=1/>`, 'not-well-formed'],
  ['attribute without value', `${HEADER}<a b/>`, 'not-well-formed'],
  ['< in attribute value', `${HEADER}<a b='<'/>`, 'not-well-formed'],
  ['bad name start', `${HEADER}<1a/>`, 'not-well-formed'],
  [']]> in text', `${HEADER}<a>]]></a>`, 'not-well-formed'],
  [']]> at stream level', `${HEADER}]]><a/>`, 'not-well-formed'],
  ['XML declaration ISO-8859-1', `<?xml version='1.0' encoding='ISO-8859-1'?>${HEADER}`, 'unsupported-encoding'],
  ['XML declaration 1.1', `<?xml version='1.1'?>${HEADER}`, 'bad-format'],
  ['XML declaration 2.0', `<?xml version='2.0'?>${HEADER}`, 'not-well-formed'],
  ['XML declaration without version', `<?xml encoding='UTF-8'?>${HEADER}`, 'not-well-formed'],
  ['XML declaration not first', ` <?xml version='1.0'?>${HEADER}`, 'not-well-formed'],
  ['XML declaration in the stream', `${HEADER}<?xml version='1.0'?>`, 'not-well-formed'],
  ['PI named XML', `${HEADER}<?XML x?>`, 'not-well-formed'],
  ['text between stanzas', `${HEADER}hello<a/>`, 'bad-format'],
  ['entity text between stanzas', `${HEADER}&amp;<a/>`, 'bad-format'],
  ['CDATA between stanzas', `${HEADER}<![CDATA[x]]><a/>`, 'bad-format'],
  ['whitespace char ref between stanzas', `${HEADER}&#32;<a/>`, null],
  ['not a stream', '<message/>', 'bad-format'],
  ['stream in the wrong namespace', "<stream:stream xmlns:stream='urn:x'>", 'invalid-namespace'],
  ['text before the header', `x${HEADER}`, 'not-well-formed'],
  ['xmlns prefix on an element', `${HEADER}<xmlns:a/>`, 'not-well-formed'],
  ['undeclaring a prefix', `${HEADER}<a xmlns:p=''/>`, 'not-well-formed'],
  ['binding xml to another URI', `${HEADER}<a xmlns:xml='urn:x'/>`, 'not-well-formed'],
  ['binding the xmlns URI', `${HEADER}<a xmlns:p='http://www.w3.org/2000/xmlns/'/>`, 'not-well-formed'],
  ['malformed qualified name', `${HEADER}<a:/>`, 'not-well-formed'],
  ['close tag with space', `${HEADER}<a></a >`, null],
  ['empty close tag', `${HEADER}<a></>`, 'not-well-formed'],
  ['no space between attributes', `${HEADER}<a b='1'c='2'/>`, 'not-well-formed'],
  ['slash not followed by >', `${HEADER}<a/ >`, 'not-well-formed'],
  ['<! incorrect syntax', `${HEADER}<!ABCDEFG>`, 'not-well-formed'],
  ['CDATA before the root', `<![CDATA[x]]>${HEADER}`, 'not-well-formed'],
  ['DTD comment malformed', `<!DOCTYPE x [<!-- a -- b -->]>${HEADER}`, 'not-well-formed'],
  ['accepted: CDATA, entities, char refs', `${HEADER}<message><body>a &lt;&amp;&#x20AC;&#8364; <![CDATA[<b>]]]]><![CDATA[>]]> z</body></message>`, null],
  ['accepted: CR LF normalisation', `${HEADER}<message a='x\r\ny\tz\rw'><body>1\r\n2\r3</body></message>`, null],
  ['accepted: BOMs', `\uFEFF\uFEFF${HEADER}<a/>`, null],
  ['accepted: namespaces from the header', `<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}' xmlns:db='jabber:server:dialback'><db:result from='a' to='b'>k</db:result><stream:error><x xmlns='urn:y'/></stream:error><stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`, null],
  ['accepted: prefixed attributes and redeclarations', `${HEADER}<message xmlns:p='urn:p' p:a='1' xml:lang='en'><p:x xmlns:p='urn:q' p:b='2'><y xmlns=''/></p:x></message>`, null],
  ['accepted: stream end', `${DECL}${HEADER}<a/></stream:stream><junk`, null],
  ['accepted: unicode names', `${HEADER}<méssage àttr='ü'><日本 語='x'/></méssage>`, null],
  ['accepted: __proto__ attribute', `${HEADER}<a __proto__='x' constructor='y'/>`, null],
];

describe('StreamParser tokenizer vs saxes reference (differential)', () => {
  describe('strictness matrix', () => {
    for (const [label, input, expected] of MATRIX) {
      it(`${label}: ${expected ?? 'accepted'}, identically at every chunking`, () => {
        const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
        const ref = same([buf], LIMITS, 'stream', label);
        const err = ref.log.find((l) => l.startsWith('error '));
        expect(err ?? null, label).to.equal(expected === null ? null : `error ${expected}`);
        for (const chunks of chunkings(buf)) same(chunks, LIMITS, 'stream', label);
      });
    }
  });

  describe('limits', () => {
    const stanza = "<message to='a@b' id='x'><body>hello world</body><x xmlns='urn:x'><y/><y/><y/></x></message>";
    for (const maxStanzaBytes of [50, 95, 96, 97, 150, 200, 300]) {
      it(`stanza size limit ${maxStanzaBytes}`, () => {
        const input = Buffer.from(`${HEADER}${stanza} ${stanza}`);
        for (const chunks of chunkings(input)) same(chunks, { ...LIMITS, maxStanzaBytes: maxStanzaBytes + HEADER.length > 200 ? maxStanzaBytes + 150 : maxStanzaBytes + HEADER.length });
        same([input], { ...LIMITS, maxStanzaBytes });
      });
    }
    for (const maxDepth of [2, 3, 4]) {
      it(`depth limit ${maxDepth}`, () => {
        for (const chunks of chunkings(Buffer.from(`${HEADER}${stanza}`))) same(chunks, { ...LIMITS, maxDepth });
      });
    }
    for (const maxChildren of [1, 2, 4, 5]) {
      it(`children limit ${maxChildren}`, () => {
        for (const chunks of chunkings(Buffer.from(`${HEADER}${stanza}`))) same(chunks, { ...LIMITS, maxChildren });
      });
    }
    it('an oversized stanza closed with a mismatched tag reports the size first', () => {
      same([Buffer.from(`${HEADER}<message>${'x'.repeat(300)}</iq>`)], { ...LIMITS, maxStanzaBytes: 200 });
    });
    it('one huge write is rejected per 64 KiB slice', () => {
      same([Buffer.from(`${HEADER}<message a='${'x'.repeat(200_000)}'/>`)]);
      same([Buffer.from(`${HEADER}<message>${'é'.repeat(100_000)}</message><a/>`)], { ...LIMITS, maxStanzaBytes: 300_000 });
    });
  });

  describe('websocket framing', () => {
    const FR = 'urn:ietf:params:xml:ns:xmpp-framing';
    const frames = [
      `<open xmlns='${FR}' to='example.com' version='1.0'/>`,
      "<message xmlns='jabber:client' to='a@b'><body>hi</body></message>",
      `<?xml version='1.0'?><iq xmlns='jabber:client' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>`,
      ' \r\n ',
      '\uFEFF',
      '<a/><b/>',
      '<a/>text',
      '<a>',
      '<!-- x --><a/>',
      `<close xmlns='${FR}'/>`,
    ];
    it('frame by frame', () => {
      same(frames.map((f) => Buffer.from(f)), LIMITS, 'websocket');
      same([frames[1]!, frames[0]!], LIMITS, 'websocket');
      for (const f of frames) same([frames[0]!, f], LIMITS, 'websocket');
    });
  });

  describe('seeded random and mutated streams', () => {
    const random = rng(20261128);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const texts = ['hi', 'a &amp; b', '&lt;x&gt;', '&#x20AC;&#8364;', '😀 ünïcödé', ' ', '\r\n', 'x]]y', '<![CDATA[c<d]]>', '&quot;&apos;'];
    const names = ['message', 'body', 'x', 'p:y', 'thread', 'query', 'item', 'ñame'];
    const element = (depth: number): string => {
      const name = depth === 0 ? pick(['message', 'presence', 'iq', 'stream:error', 'db:result']) : pick(names);
      let attrs = '';
      for (let k = Math.floor(random() * 3); k > 0; k--) attrs += ` ${pick(['to', 'id', 'type', 'p:a', 'xml:lang', 'xmlns', 'xmlns:p', 'from'])}=${pick(["'v'", '"w"', "'a&amp;b'", "'urn:p'", "''"])}`;
      if (name.startsWith('p:')) attrs += " xmlns:p='urn:p'";
      if (depth > 2 || random() < 0.3) return `<${name}${attrs}/>`;
      let inner = '';
      for (let k = Math.floor(random() * 4); k > 0; k--) inner += random() < 0.5 ? pick(texts) : element(depth + 1);
      return `<${name}${attrs}>${inner}</${name}>`;
    };
    const header = `<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}' xmlns:db='jabber:server:dialback' to='example.com' version='1.0'>`;
    const dictionary = ['<!DOCTYPE x>', '<!--c-->', '<?pi?>', '<?xml version="1.0"?>', '&lt;', '&foo;', '&#0;', '&#x1F600;', ']]>', '<![CDATA[', '<a>', '</a>', '<a/>',
      "xmlns:p='urn:x'", '<p:a/>', "a='1' a='2'", '\u0000', '\uFFFE', '\xC3\x28', '\xF0\x9F', '>', '<', "'", '"', '&', ';', '=', '/', '\r', '\uFEFF',
      '</stream:stream>', '<stream:stream>', ' ', 'xmlns', ':'];

    it('4000 mutated streams, random chunkings and limits, identical outcomes', function () {
      this.timeout(60_000);
      const outcomes = new Map<string, number>();
      for (let n = 0; n < 4000; n++) {
        let doc = (random() < 0.5 ? DECL : '') + header;
        for (let k = 1 + Math.floor(random() * 4); k > 0; k--) doc += element(0) + (random() < 0.2 ? ' ' : '');
        if (random() < 0.2) doc += '</stream:stream>';
        const r = random();
        // Unchanged, one token spliced in after a tag (mostly well-formed context), or the fuzzer's mutations.
        let input: Buffer;
        if (r < 0.1) input = Buffer.from(doc);
        else if (r < 0.4) {
          const cuts = [...doc.matchAll(/>/g)].map((m) => m.index + 1);
          const at = pick(cuts);
          input = Buffer.from(doc.slice(0, at) + pick(dictionary) + doc.slice(at));
        } else input = mutate(Buffer.from(doc), dictionary, random);
        const chunks: Buffer[] = [];
        for (let i = 0; i < input.length;) {
          const len = random() < 0.3 ? 1 + Math.floor(random() * 4) : 1 + Math.floor(random() * 200);
          chunks.push(input.subarray(i, i + len));
          i += len;
        }
        const limits: ParserLimits = random() < 0.3
          ? { maxStanzaBytes: 100 + Math.floor(random() * 400), maxDepth: 2 + Math.floor(random() * 5), maxChildren: 1 + Math.floor(random() * 8) }
          : LIMITS;
        const ref = same(chunks, limits, 'stream', `case ${n}`);
        const outcome = ref.log.find((l) => l.startsWith('error ')) ?? (ref.log.includes('end') ? 'ended' : 'open');
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      expect(serialized).to.be.greaterThan(1000);
      // The generator must reach every kind of outcome, or the comparison proves little.
      for (const o of ['open', 'ended', 'error not-well-formed', 'error restricted-xml', 'error policy-violation', 'error bad-format']) {
        expect(outcomes.get(o) ?? 0, `${o} in ${JSON.stringify([...outcomes])}`).to.be.greaterThan(20);
        if (process.env.DIFF_STATS) console.log(o, outcomes.get(o));
      }
    });

    it('1500 mutated websocket frames', function () {
      this.timeout(60_000);
      const open = Buffer.from("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>");
      for (let n = 0; n < 1500; n++) {
        const frame = (random() < 0.3 ? DECL : '') + element(0).replace(/^<([^ />]+)/, "<$1 xmlns='jabber:client' xmlns:db='jabber:server:dialback' xmlns:stream='urn:s'");
        const input = mutate(Buffer.from(frame), dictionary, random);
        same(random() < 0.8 ? [open, input] : [input], LIMITS, 'websocket', `frame ${n}`);
      }
    });
  });
});
