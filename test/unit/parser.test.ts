import { expect } from 'chai';
import type { Element } from 'ltx';
import { SaxesParser } from 'saxes';
import { StreamParser, type ParserErrorCondition, type ParserLimits } from '../../src/xml/parser.js';

const STREAMS = 'http://etherx.jabber.org/streams';
const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const HEADER = `<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}' to='example.com' version='1.0'>`;
const LIMITS: ParserLimits = { maxStanzaBytes: 256 * 1024, maxDepth: 64, maxChildren: 10000 };

class Collector {
  starts: { name: string; ns: string; attrs: Record<string, string> }[] = [];
  elements: Element[] = [];
  ends = 0;
  errors: { condition: ParserErrorCondition; text: string }[] = [];
  onStreamStart(name: string, ns: string, attrs: Record<string, string>): void {
    this.starts.push({ name, ns, attrs });
  }
  onElement(el: Element): void {
    this.elements.push(el);
  }
  onStreamEnd(): void {
    this.ends++;
  }
  onError(condition: ParserErrorCondition, text: string): void {
    this.errors.push({ condition, text });
  }
  get error(): ParserErrorCondition | undefined {
    return this.errors[0]?.condition;
  }
}

function parse(
  chunks: (string | Buffer)[],
  limits: ParserLimits = LIMITS,
  framing: 'stream' | 'websocket' = 'stream',
): { c: Collector; p: StreamParser } {
  const c = new Collector();
  const p = new StreamParser(c, limits, { framing });
  for (const chunk of chunks) p.write(chunk);
  return { c, p };
}

function bytes(s: string | Buffer): Buffer {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
}

/** Splits into chunks of `n` bytes (may cut UTF-8 characters and tags anywhere). */
function split(s: string | Buffer, n: number): Buffer[] {
  const b = bytes(s);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
}

const cat = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map(bytes));

describe('StreamParser', () => {
  describe('B1 table: must be rejected', () => {
    const laughs =
      `<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>` +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} '${`&lol${i === 0 ? '' : i};`.repeat(10)}'>`).join('') +
      `]>${HEADER}<message><body>&lol9;</body></message>`;
    const cases: { name: string; input: string | Buffer; condition: ParserErrorCondition }[] = [
      { name: 'DOCTYPE + internal ENTITY', input: `<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x 'y'>]>${HEADER}`, condition: 'restricted-xml' },
      { name: 'billion-laughs entity declarations', input: laughs, condition: 'restricted-xml' },
      { name: 'DOCTYPE inside the stream', input: `${HEADER}<!DOCTYPE s>`, condition: 'restricted-xml' },
      { name: 'processing instruction before the header', input: `<?foo bar?>${HEADER}`, condition: 'restricted-xml' },
      { name: 'processing instruction at stream level', input: `${HEADER}<?foo bar?>`, condition: 'restricted-xml' },
      { name: 'processing instruction in a stanza', input: `${HEADER}<message><?foo?></message>`, condition: 'restricted-xml' },
      { name: 'comment before the header', input: `<!-- hi -->${HEADER}`, condition: 'restricted-xml' },
      { name: 'comment at stream level', input: `${HEADER}<!-- hi -->`, condition: 'restricted-xml' },
      { name: 'comment in a stanza', input: `${HEADER}<message><!-- hi --></message>`, condition: 'restricted-xml' },
      { name: 'undefined entity &foo;', input: `${HEADER}<message><body>&foo;</body></message>`, condition: 'not-well-formed' },
      { name: 'invalid UTF-8 C3 28', input: cat(HEADER, '<message><body>', Buffer.from([0xc3, 0x28]), '</body></message>'), condition: 'not-well-formed' },
      { name: 'invalid UTF-8 FF', input: cat(HEADER, '<message><body>', Buffer.from([0xff]), '</body></message>'), condition: 'not-well-formed' },
      { name: 'overlong UTF-8 C0 BC', input: cat(HEADER, '<message><body>', Buffer.from([0xc0, 0xbc]), '</body></message>'), condition: 'not-well-formed' },
      { name: 'raw U+0000', input: `${HEADER}<message><body>a\u0000b</body></message>`, condition: 'not-well-formed' },
      { name: 'raw U+0001', input: `${HEADER}<message><body>a\u0001b</body></message>`, condition: 'not-well-formed' },
      { name: 'raw U+FFFE', input: `${HEADER}<message><body>a\ufffeb</body></message>`, condition: 'not-well-formed' },
      { name: 'char ref &#0;', input: `${HEADER}<message><body>&#0;</body></message>`, condition: 'not-well-formed' },
      { name: 'char ref &#x1;', input: `${HEADER}<message><body>&#x1;</body></message>`, condition: 'not-well-formed' },
      { name: 'mismatched end tag', input: `${HEADER}<message><body>x</message>`, condition: 'not-well-formed' },
      { name: 'mismatched end tag of a stanza', input: `${HEADER}<message></iq>`, condition: 'not-well-formed' },
      { name: 'mismatched end tag of the stream', input: `${HEADER}</stream:foo>`, condition: 'not-well-formed' },
      { name: 'duplicate attribute', input: `${HEADER}<message to='a' to='b'/>`, condition: 'not-well-formed' },
      { name: 'duplicate attribute through two prefixes', input: `${HEADER}<message xmlns:a='u' xmlns:b='u' a:x='1' b:x='2'/>`, condition: 'not-well-formed' },
      { name: 'unbound prefix <foo:bar/>', input: `${HEADER}<foo:bar/>`, condition: 'not-well-formed' },
      { name: 'unbound attribute prefix', input: `${HEADER}<message foo:x='1'/>`, condition: 'not-well-formed' },
      { name: 'unquoted attribute', input: `${HEADER}<message to=a/>`, condition: 'not-well-formed' },
      { name: 'attribute without value', input: `${HEADER}<message to/>`, condition: 'not-well-formed' },
      { name: '< in attribute value', input: `${HEADER}<message to='a<b'/>`, condition: 'not-well-formed' },
      { name: 'bad name start <1a/>', input: `${HEADER}<1a/>`, condition: 'not-well-formed' },
      { name: ']]> in text', input: `${HEADER}<message><body>a]]>b</body></message>`, condition: 'not-well-formed' },
      { name: "XML declaration encoding='ISO-8859-1'", input: `<?xml version='1.0' encoding='ISO-8859-1'?>${HEADER}`, condition: 'unsupported-encoding' },
      { name: "XML declaration encoding='UTF-16'", input: `<?xml version='1.0' encoding='UTF-16'?>${HEADER}`, condition: 'unsupported-encoding' },
      { name: 'XML declaration after the header', input: `${HEADER}<?xml version='1.0'?>`, condition: 'not-well-formed' },
    ];
    for (const { name, input, condition } of cases) {
      for (const [how, size] of [['in one chunk', 0], ['in 7-byte chunks', 7], ['byte by byte', 1]] as const) {
        it(`${name} → ${condition} (${how})`, () => {
          const { c, p } = parse(size === 0 ? [bytes(input)] : split(input, size));
          expect(c.errors).to.have.length(1);
          expect(c.error).to.equal(condition);
          expect(c.elements).to.have.length(0);
          expect(p.failed).to.equal(true);
        });
      }
    }
  });

  describe('B1 table: must be accepted', () => {
    it('UTF-8 character split across chunks 2|1 bytes', () => {
      const euro = Buffer.from('€', 'utf8'); // E2 82 AC
      const { c } = parse([cat(HEADER, '<message><body>a', euro.subarray(0, 2)), cat(euro.subarray(2), 'b</body></message>')]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements[0]!.getChildText('body')).to.equal('a€b');
    });
    it('4-byte emoji split 1|3 bytes', () => {
      const emoji = Buffer.from('😀', 'utf8'); // F0 9F 98 80
      const { c } = parse([cat(HEADER, '<message><body>', emoji.subarray(0, 1)), cat(emoji.subarray(1), '</body></message>')]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements[0]!.getChildText('body')).to.equal('😀');
    });
    it('CDATA becomes text and is merged with the surrounding text', () => {
      const { c } = parse([`${HEADER}<message><body>a<![CDATA[<b>&x]]>c</body></message>`]);
      expect(c.errors).to.deep.equal([]);
      const body = c.elements[0]!.getChild('body')!;
      expect(body.children).to.deep.equal(['a<b>&xc']);
    });
    it('tag split across chunks', () => {
      const { c } = parse([`${HEADER}<mess`, `age to='a@b' ty`, `pe='chat'><bo`, `dy>hi</bo`, `dy></mes`, `sage>`]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements).to.have.length(1);
      expect(c.elements[0]!.attrs).to.deep.equal({ to: 'a@b', type: 'chat', xmlns: 'jabber:client' });
      expect(c.elements[0]!.getChildText('body')).to.equal('hi');
    });
    it('entities &lt;&amp;&#x20AC; and &quot; in attributes', () => {
      const { c } = parse([`${HEADER}<message id='&quot;&apos;'><body>&lt;&amp;&#x20AC;&#8364;&gt;</body></message>`]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements[0]!.attrs.id).to.equal(`"'`);
      expect(c.elements[0]!.getChildText('body')).to.equal('<&€€>');
    });
    it("a UTF-8 <?xml version='1.0'?> before the header", () => {
      for (const decl of [`<?xml version='1.0'?>`, `<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version='1.0' encoding='utf-8'?>`]) {
        const { c } = parse([`${decl}${HEADER}<presence/>`]);
        expect(c.errors).to.deep.equal([]);
        expect(c.starts).to.have.length(1);
        expect(c.elements).to.have.length(1);
      }
    });
    it('a byte-order mark before the header', () => {
      const { c } = parse([cat(Buffer.from([0xef, 0xbb, 0xbf]), HEADER, '<presence/>')]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements).to.have.length(1);
    });
  });

  describe('chunking', () => {
    const stream =
      `<?xml version='1.0'?>${HEADER}\n` +
      `<message to='romeo@example.net' id='1'><body>Wherefore art thou, Romeo? €😀 ü</body>` +
      `<active xmlns='http://jabber.org/protocol/chatstates'/></message>\n ` +
      `<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>` +
      `<presence><show>away</show><status>  spaced  </status></presence>\r\n` +
      `</stream:stream>`;
    const summary = (c: Collector): string[] => c.elements.map((e) => e.toString());
    it('byte-by-byte feeding gives the same result as one chunk', () => {
      const whole = parse([Buffer.from(stream)]).c;
      const bytewise = parse(split(stream, 1)).c;
      expect(whole.errors).to.deep.equal([]);
      expect(bytewise.errors).to.deep.equal([]);
      expect(whole.elements).to.have.length(3);
      expect(summary(bytewise)).to.deep.equal(summary(whole));
      expect(bytewise.starts).to.deep.equal(whole.starts);
      expect(bytewise.ends).to.equal(1);
    });
    it('every chunk size from 2 to 40 gives the same result', () => {
      const expected = summary(parse([stream]).c);
      for (let n = 2; n <= 40; n++) {
        const { c } = parse(split(stream, n));
        expect(c.errors, `chunk size ${n}`).to.deep.equal([]);
        expect(summary(c), `chunk size ${n}`).to.deep.equal(expected);
      }
    });
    it('strings are accepted as well as Buffers', () => {
      const { c } = parse([stream.slice(0, 50), stream.slice(50)]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements).to.have.length(3);
    });
    it('an emoji whose surrogates are split across string writes', () => {
      const s = `${HEADER}<message><body>😀</body></message>`;
      const i = s.indexOf('😀') + 1; // between the two UTF-16 units
      const { c } = parse([s.slice(0, i), s.slice(i)]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements[0]!.getChildText('body')).to.equal('😀');
    });
  });

  describe('stream header and end', () => {
    it('reports the header name, namespace and attributes as written', () => {
      const { c } = parse([`<stream:stream xmlns:stream='${STREAMS}' xmlns='jabber:client' to='example.com' version='1.0' xml:lang='en'>`]);
      expect(c.starts).to.deep.equal([
        {
          name: 'stream:stream',
          ns: STREAMS,
          attrs: { 'xmlns:stream': STREAMS, xmlns: 'jabber:client', to: 'example.com', version: '1.0', 'xml:lang': 'en' },
        },
      ]);
    });
    it('a stream element in the wrong namespace → invalid-namespace', () => {
      expect(parse([`<stream:stream xmlns:stream='urn:wrong' xmlns='jabber:client'>`]).c.error).to.equal('invalid-namespace');
      expect(parse([`<stream xmlns='jabber:client'>`]).c.error).to.equal('invalid-namespace');
    });
    it('a first element that is not a stream → bad-format', () => {
      const { c } = parse([`<message xmlns='jabber:client'/>`]);
      expect(c.error).to.equal('bad-format');
      expect(c.starts).to.have.length(0);
    });
    it('accepts another prefix for the streams namespace', () => {
      const { c } = parse([`<s:stream xmlns:s='${STREAMS}' xmlns='jabber:client'><s:features/>`]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements[0]!.name).to.equal('s:features');
      expect(c.elements[0]!.is('features', STREAMS)).to.equal(true);
    });
    it('</stream:stream> → onStreamEnd, and further input is ignored', () => {
      const { c, p } = parse([`${HEADER}<presence/></stream:stream><message/>garbage`]);
      p.write('<more/>');
      expect(c.ends).to.equal(1);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements.map((e) => e.name)).to.deep.equal(['presence']);
      expect(p.failed).to.equal(false);
    });
    it('a self-closing header opens and closes the stream', () => {
      const { c } = parse([`<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}'/>`]);
      expect(c.starts).to.have.length(1);
      expect(c.ends).to.equal(1);
    });
    it('whitespace keepalives between stanzas are not emitted', () => {
      const { c } = parse([HEADER, ' ', '\n', '<presence/>', ' \r\n\t ', '<presence/>', ' ']);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements).to.have.length(2);
    });
    it('other text between stanzas → bad-format', () => {
      const { c } = parse([`${HEADER}<presence/>hello<presence/>`]);
      expect(c.error).to.equal('bad-format');
      expect(c.elements).to.have.length(1);
    });
    it('after an error, onError is not called again and writes are ignored', () => {
      const { c, p } = parse([`${HEADER}<a><b></a>`, '<!-- -->', '</b></a><presence/>']);
      expect(c.errors).to.have.length(1);
      expect(c.elements).to.have.length(0);
      expect(p.failed).to.equal(true);
    });
    it('a stanza completed before an error in the same chunk is still delivered first', () => {
      const { c } = parse([`${HEADER}<presence/><!-- x -->`]);
      expect(c.elements.map((e) => e.name)).to.deep.equal(['presence']);
      expect(c.error).to.equal('restricted-xml');
    });
    it('an exception thrown by a handler propagates and stops the parser', () => {
      const c = new Collector();
      c.onElement = () => {
        throw new Error('handler bug');
      };
      const p = new StreamParser(c, LIMITS);
      expect(() => p.write(`${HEADER}<presence/><presence/>`)).to.throw('handler bug');
      p.write('<presence/>');
      expect(c.errors).to.deep.equal([]);
    });
  });

  describe('namespaces of emitted elements', () => {
    it('a stanza gets an explicit xmlns equal to its resolved namespace; children keep attributes as written', () => {
      const { c } = parse([`${HEADER}<message to='a@b'><body>hi</body><ping xmlns='urn:xmpp:ping'/></message>`]);
      const m = c.elements[0]!;
      expect(m.attrs).to.deep.equal({ to: 'a@b', xmlns: 'jabber:client' });
      expect(m.is('message', 'jabber:client')).to.equal(true);
      expect(m.getChild('body')!.attrs).to.deep.equal({});
      expect(m.getChild('body')!.getNS()).to.equal('jabber:client');
      expect(m.getChild('ping', 'urn:xmpp:ping')).to.not.equal(undefined);
      expect(m.getChild('ping')!.attrs).to.deep.equal({ xmlns: 'urn:xmpp:ping' });
      expect(m.toString()).to.equal(`<message to="a@b" xmlns="jabber:client"><body>hi</body><ping xmlns="urn:xmpp:ping"/></message>`);
    });
    it('an element that declares its own namespace keeps it', () => {
      const { c } = parse([`${HEADER}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`]);
      expect(c.elements[0]!.attrs).to.deep.equal({ xmlns: 'urn:ietf:params:xml:ns:xmpp-tls' });
    });
    it('a prefixed top-level element keeps its name and gets the xmlns:stream declaration', () => {
      const { c } = parse([
        `${HEADER}<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`,
      ]);
      const e = c.elements[0]!;
      expect(e.name).to.equal('stream:error');
      expect(e.attrs).to.deep.equal({ 'xmlns:stream': STREAMS, xmlns: STREAMS });
      expect(e.is('error', STREAMS)).to.equal(true);
      expect(e.getChild('conflict')!.attrs).to.deep.equal({ xmlns: 'urn:ietf:params:xml:ns:xmpp-streams' });
      expect(e.getChild('conflict', 'urn:ietf:params:xml:ns:xmpp-streams')).to.not.equal(undefined);
    });
    it('a child of a prefixed top-level element that relied on the header default namespace gets its own xmlns', () => {
      const { c } = parse([`${HEADER}<stream:features><foo><bar/></foo><baz xmlns='urn:baz'/></stream:features>`]);
      const e = c.elements[0]!;
      expect(e.attrs).to.deep.equal({ 'xmlns:stream': STREAMS, xmlns: STREAMS });
      expect(e.getChild('foo')!.attrs).to.deep.equal({ xmlns: 'jabber:client' });
      expect(e.getChild('foo')!.getChild('bar')!.attrs).to.deep.equal({});
      expect(e.getChild('foo')!.getChild('bar')!.getNS()).to.equal('jabber:client');
      expect(e.getChild('baz')!.attrs).to.deep.equal({ xmlns: 'urn:baz' });
    });
    it('a prefixed top-level element that declares a default namespace keeps it', () => {
      const { c } = parse([`${HEADER}<stream:features xmlns='urn:d'><foo/></stream:features>`]);
      const e = c.elements[0]!;
      expect(e.attrs).to.deep.equal({ xmlns: 'urn:d', 'xmlns:stream': STREAMS });
      expect(e.getChild('foo')!.getNS()).to.equal('urn:d');
      expect(e.getNS()).to.equal(STREAMS);
    });
    it('a prefix declared only on the header is copied onto the top-level element', () => {
      const { c } = parse([
        `<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}' xmlns:db='jabber:server:dialback' xmlns:x='urn:x'>` +
          `<message><x:data x:a='1'><db:result/></x:data><stream:foo/></message>`,
      ]);
      const m = c.elements[0]!;
      expect(m.attrs).to.deep.equal({
        xmlns: 'jabber:client',
        'xmlns:x': 'urn:x',
        'xmlns:db': 'jabber:server:dialback',
        'xmlns:stream': STREAMS,
      });
      expect(m.getChild('data', 'urn:x')!.attrs).to.deep.equal({ 'x:a': '1' });
      expect(m.getChild('data')!.getChild('result', 'jabber:server:dialback')).to.not.equal(undefined);
    });
    it('a prefix declared inside the stanza is not copied', () => {
      const { c } = parse([`${HEADER}<message><x:data xmlns:x='urn:x'><x:item/></x:data></message>`]);
      expect(c.elements[0]!.attrs).to.deep.equal({ xmlns: 'jabber:client' });
    });
    it('xml:lang needs no declaration', () => {
      const { c } = parse([`${HEADER}<message xml:lang='en'><body xml:lang='de'>x</body></message>`]);
      expect(c.elements[0]!.attrs).to.deep.equal({ 'xml:lang': 'en', xmlns: 'jabber:client' });
    });
    it('an attribute named __proto__ is kept as an own attribute', () => {
      const { c } = parse([`${HEADER}<message __proto__='x' constructor='y'/>`]);
      const a = c.elements[0]!.attrs;
      expect(Object.getPrototypeOf(a)).to.equal(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(a, '__proto__')).to.equal(true);
      expect(a['__proto__' as keyof typeof a]).to.equal('x');
      expect(a.constructor as unknown).to.equal('y');
    });
  });

  describe('limits', () => {
    const small = (over: Partial<ParserLimits>): ParserLimits => ({ ...LIMITS, ...over });

    it('a 300 KB stanza is rejected against a 256 KiB limit, with the size in the text', () => {
      const big = `<message><body>${'x'.repeat(300_000)}</body></message>`;
      for (const chunks of [[HEADER + big], split(HEADER + big, 16 * 1024)]) {
        const { c } = parse(chunks);
        expect(c.error).to.equal('policy-violation');
        expect(c.errors[0]!.text).to.match(/\d+ bytes exceeds the limit of 262144 bytes/);
        expect(c.elements).to.have.length(0);
      }
    });
    it('a too-big stanza that ends inside one chunk is rejected, the ones before it delivered', () => {
      const { c } = parse([`${HEADER}<presence/><message><body>${'x'.repeat(2000)}</body></message><presence/>`], small({ maxStanzaBytes: 1000 }));
      expect(c.elements.map((e) => e.name)).to.deep.equal(['presence']);
      expect(c.error).to.equal('policy-violation');
    });
    it('counts UTF-8 bytes exactly, including the whitespace since the previous stanza', () => {
      const stanza = (n: number): string => `<message><body>${'€'.repeat(n)}</body></message>`; // 32 + 3n bytes
      const limits = small({ maxStanzaBytes: 332 });
      const ok = parse([HEADER, stanza(100), stanza(100)], limits).c;
      expect(ok.errors).to.deep.equal([]);
      expect(ok.elements).to.have.length(2);
      expect(parse([HEADER + stanza(101)], limits).c.errors[0]!.text).to.contain('335 bytes');
      expect(parse([HEADER, '   ' + stanza(100)], limits).c.error).to.equal('policy-violation');
      expect(parse([HEADER, ' '.repeat(300), stanza(1)], limits).c.error).to.equal('policy-violation');
      // whitespace is counted, but reset at each stanza boundary
      const ws = parse([HEADER, ' '.repeat(200), '<presence/>', ' '.repeat(200), '<presence/>'], limits).c;
      expect(ws.errors).to.deep.equal([]);
      expect(ws.elements).to.have.length(2);
    });
    it('the exact count survives multi-byte characters split over many chunks', () => {
      const limits = small({ maxStanzaBytes: 332 });
      const s = `<message><body>${'€'.repeat(100)}</body></message>`;
      expect(parse(split(HEADER + s + s, 5), limits).c.errors).to.deep.equal([]);
      expect(parse(split(HEADER + s.replace('€', '€€'), 5), limits).c.error).to.equal('policy-violation');
    });
    it('an oversized stream header is rejected', () => {
      const { c } = parse([`<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}' to='${'x'.repeat(20000)}'>`], small({ maxStanzaBytes: 10000 }));
      expect(c.error).to.equal('policy-violation');
      expect(c.starts).to.have.length(0);
    });
    it('an unterminated 10 MB attribute in 64 KB chunks is rejected quickly, after about the limit', () => {
      const c = new Collector();
      const p = new StreamParser(c, LIMITS);
      p.write(`${HEADER}<message to='`);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const heapBefore = process.memoryUsage().heapUsed;
      const t0 = process.hrtime.bigint();
      let written = 0;
      for (let i = 0; i < 160; i++) {
        p.write(chunk);
        if (c.errors.length === 0) written++;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      expect(c.error).to.equal('policy-violation');
      expect(written).to.be.at.most(4); // rejected with the 5th chunk (320 KB > 256 KiB)
      expect(ms).to.be.below(200);
      expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(8 * 1024 * 1024);
    });
    it('an unterminated 10 MB attribute in a single write is rejected without parsing all of it', () => {
      const { c } = parse([`${HEADER}<message to='${'a'.repeat(10 * 1024 * 1024)}`]);
      expect(c.error).to.equal('policy-violation');
      expect(c.errors[0]!.text).to.match(/^stanza of \d+ bytes/);
      const size = Number(/^stanza of (\d+)/.exec(c.errors[0]!.text)![1]);
      expect(size).to.be.below(LIMITS.maxStanzaBytes + 128 * 1024);
    });
    it('an unterminated 10 MB attribute in a single Buffer write is rejected quickly', () => {
      const buf = Buffer.from(`${HEADER}<message to='${'a'.repeat(10 * 1024 * 1024)}`);
      const t0 = process.hrtime.bigint();
      const { c } = parse([buf]);
      expect(c.error).to.equal('policy-violation');
      expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(100);
    });
    it('100k nested elements are rejected in < 200 ms', () => {
      const bomb = `${HEADER}<message>${'<a>'.repeat(100_000)}`;
      const t0 = process.hrtime.bigint();
      const { c } = parse([bomb], small({ maxStanzaBytes: 1 << 30 }));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      expect(c.error).to.equal('policy-violation');
      expect(c.errors[0]!.text).to.contain('64');
      expect(ms).to.be.below(200);
    });
    it('100k nested elements fed in small chunks are rejected quickly too', () => {
      const t0 = process.hrtime.bigint();
      const { c } = parse(split(`${HEADER}<message>${'<a xmlns:p="u">'.repeat(100_000)}`, 4096), small({ maxStanzaBytes: 1 << 30 }));
      expect(c.error).to.equal('policy-violation');
      expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(200);
    });
    it('maxDepth counts the stream header as depth 1 and the stanza as depth 2', () => {
      const nest = (n: number): string => '<a>'.repeat(n) + '</a>'.repeat(n);
      const limits = small({ maxDepth: 5 });
      expect(parse([`${HEADER}<message>${nest(3)}</message>`], limits).c.errors).to.deep.equal([]); // depth 5
      expect(parse([`${HEADER}<message>${nest(4)}</message>`], limits).c.error).to.equal('policy-violation'); // depth 6
    });
    it('50k children are rejected against a limit of 10 000 (all descendants count)', () => {
      const t0 = process.hrtime.bigint();
      const { c } = parse([`${HEADER}<iq type='result'><query>${'<item/>'.repeat(50_000)}</query></iq>`], small({ maxStanzaBytes: 1 << 30 }));
      expect(c.error).to.equal('policy-violation');
      expect(c.errors[0]!.text).to.contain('10000');
      expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(500);
      const limits = small({ maxChildren: 3 });
      expect(parse([`${HEADER}<iq><q><a/><b/></q></iq>`], limits).c.errors).to.deep.equal([]);
      expect(parse([`${HEADER}<iq><q><a><b/><c/></a></q></iq>`], limits).c.error).to.equal('policy-violation');
      // the count restarts for each stanza
      expect(parse([`${HEADER}<iq><q><a/><b/></q></iq><iq><q><a/><b/></q></iq>`], limits).c.errors).to.deep.equal([]);
    });
    it('setLimits raises the stanza size limit (e.g. after authentication)', () => {
      const c = new Collector();
      const p = new StreamParser(c, small({ maxStanzaBytes: 10000 }));
      const stanza = `<message><body>${'x'.repeat(50_000)}</body></message>`;
      p.write(HEADER + '<auth/>');
      p.setLimits(small({ maxStanzaBytes: 256 * 1024 }));
      p.write(stanza);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements).to.have.length(2);
      const c2 = new Collector();
      new StreamParser(c2, small({ maxStanzaBytes: 10000 })).write(HEADER + stanza);
      expect(c2.error).to.equal('policy-violation');
    });
  });

  it('saxes still keeps its handlers in the property slots the parser pre-creates (keeps saxes objects fast)', () => {
    const p = new SaxesParser({ xmlns: true });
    const slots: Record<string, string> = {
      error: 'errorHandler',
      xmldecl: 'xmldeclHandler',
      doctype: 'doctypeHandler',
      comment: 'commentHandler',
      processinginstruction: 'piHandler',
      opentagstart: 'openTagStartHandler',
      opentag: 'openTagHandler',
      closetag: 'closeTagHandler',
      text: 'textHandler',
      cdata: 'cdataHandler',
    };
    for (const [event, slot] of Object.entries(slots)) {
      const fn = (): void => {};
      p.on(event as 'text', fn);
      expect((p as unknown as Record<string, unknown>)[slot], event).to.equal(fn);
    }
  });

  describe('websocket framing (RFC 7395)', () => {
    const OPEN = `<open xmlns='${FRAMING}' to='example.com' version='1.0'/>`;
    const CLOSE = `<close xmlns='${FRAMING}'/>`;
    const ws = (frames: (string | Buffer)[], limits: ParserLimits = LIMITS) => parse(frames, limits, 'websocket');

    it('<open/> → onStreamStart, element → onElement, <close/> → onStreamEnd', () => {
      const { c, p } = ws([OPEN, `<message xmlns='jabber:client' to='a@b'><body>hi</body></message>`, Buffer.from(`<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`), CLOSE]);
      expect(c.errors).to.deep.equal([]);
      expect(c.starts).to.deep.equal([{ name: 'open', ns: FRAMING, attrs: { xmlns: FRAMING, to: 'example.com', version: '1.0' } }]);
      expect(c.elements.map((e) => e.toString())).to.deep.equal([
        `<message xmlns="jabber:client" to="a@b"><body>hi</body></message>`,
        `<iq xmlns="jabber:client" type="get"><ping xmlns="urn:xmpp:ping"/></iq>`,
      ]);
      expect(c.ends).to.equal(1);
      p.write(`<message xmlns='jabber:client'/>`);
      expect(c.elements).to.have.length(2);
    });
    it('stream-level elements with their own declarations', () => {
      const { c } = ws([OPEN, `<stream:error xmlns:stream='${STREAMS}'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`]);
      expect(c.elements[0]!.is('error', STREAMS)).to.equal(true);
      expect(c.elements[0]!.attrs.xmlns).to.equal(STREAMS);
    });
    it('an XML declaration, whitespace around the element, and empty frames are fine', () => {
      const { c } = ws([OPEN, '', '  ', `<?xml version='1.0'?>\n<presence xmlns='jabber:client'/>\n`]);
      expect(c.errors).to.deep.equal([]);
      expect(c.elements).to.have.length(1);
    });
    const bad: [string, string, ParserErrorCondition][] = [
      ['an incomplete element', `<message xmlns='jabber:client'><body>`, 'not-well-formed'],
      ['an unfinished tag', `<message xmlns='jabber:client'`, 'not-well-formed'],
      ['two elements in one frame', `<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>`, 'not-well-formed'],
      ['text after the element', `<presence xmlns='jabber:client'/>x`, 'not-well-formed'],
      ['an unbound prefix (no inherited declarations)', `<stream:features/>`, 'not-well-formed'],
      ['a comment', `<presence xmlns='jabber:client'><!-- x --></presence>`, 'restricted-xml'],
      ['a DOCTYPE', `<!DOCTYPE x><presence xmlns='jabber:client'/>`, 'restricted-xml'],
    ];
    for (const [name, frame, condition] of bad) {
      it(`a frame with ${name} → ${condition}, nothing delivered`, () => {
        const { c } = ws([OPEN, frame]);
        expect(c.error).to.equal(condition);
        expect(c.elements).to.have.length(0);
      });
    }
    it('invalid UTF-8, or a frame ending inside a character → not-well-formed', () => {
      expect(ws([OPEN, cat(`<message xmlns='jabber:client'><body>`, Buffer.from([0xff]), '</body></message>')]).c.error).to.equal('not-well-formed');
      expect(ws([OPEN, cat(`<message xmlns='jabber:client'/>`, Buffer.from([0xe2, 0x82]))]).c.error).to.equal('not-well-formed');
    });
    it('the first frame must be <open/>', () => {
      expect(ws([`<message xmlns='jabber:client'/>`]).c.error).to.equal('bad-format');
      expect(ws([`<open xmlns='jabber:client'/>`]).c.error).to.equal('invalid-namespace');
    });
    it('limits apply per frame', () => {
      const limits = { ...LIMITS, maxStanzaBytes: 1000, maxDepth: 4, maxChildren: 3 };
      expect(ws([OPEN, `<message xmlns='jabber:client'><body>${'x'.repeat(2000)}</body></message>`], limits).c.error).to.equal('policy-violation');
      expect(ws([OPEN, Buffer.from(`<message xmlns='jabber:client'><body>${'€'.repeat(400)}</body></message>`)], limits).c.error).to.equal('policy-violation');
      expect(ws([OPEN, `<message xmlns='jabber:client'><body>${'€'.repeat(300)}</body></message>`], limits).c.errors).to.deep.equal([]);
      expect(ws([OPEN, `<a xmlns='x'><b><c/></b></a>`, `<a xmlns='x'><b><c/></b></a>`], limits).c.errors).to.deep.equal([]); // depth 4 each
      expect(ws([OPEN, `<a xmlns='x'><b><c><d/></c></b></a>`], limits).c.error).to.equal('policy-violation'); // depth 5
      expect(ws([OPEN, `<a xmlns='x'><b/><b/><b/><b/></a>`], limits).c.error).to.equal('policy-violation');
    });
    it('a 100k nesting bomb in one frame is rejected quickly', () => {
      const t0 = process.hrtime.bigint();
      const { c } = ws([OPEN, `<a xmlns='x'>${'<a>'.repeat(100_000)}`], { ...LIMITS, maxStanzaBytes: 1 << 30 });
      expect(c.error).to.equal('policy-violation');
      expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(200);
    });
  });
});
