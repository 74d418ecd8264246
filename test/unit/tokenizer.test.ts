// Unit tests of the byte tokenizer behind StreamParser (src/xml/tokenizer.ts) and its helpers: UTF-8 handling at chunk
// boundaries, byte accounting, newline normalisation, byte-to-UTF-16 mapping of slices, and linear time on hostile
// chunkings. Behaviour shared with the saxes reference is covered by parser.test.ts and parser-differential.test.ts.
import { expect } from 'chai';
import type { Element } from 'ltx';
import * as ed5 from 'xmlchars/xml/1.0/ed5.js';
import { isNameChar, isNameStartChar, isChar } from '../../src/xml/chars.js';
import { XmlStreamTokenizer } from '../../src/xml/tokenizer.js';
import type { ParserLimits } from '../../src/xml/parser-types.js';
import { incompleteTail } from '../../src/xml/utf8.js';

const STREAMS = 'http://etherx.jabber.org/streams';
const HEADER = `<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS}' to='example.com' version='1.0'>`;
const LIMITS: ParserLimits = { maxStanzaBytes: 256 * 1024, maxDepth: 64, maxChildren: 10000 };

interface Out {
  elements: Element[];
  errors: string[];
  ended: boolean;
  p: XmlStreamTokenizer;
}

function parse(chunks: (string | Buffer)[], limits: ParserLimits = LIMITS, framing: 'stream' | 'websocket' = 'stream'): Out {
  const out: Out = { elements: [], errors: [], ended: false, p: null as unknown as XmlStreamTokenizer };
  out.p = new XmlStreamTokenizer({
    onStreamStart: () => undefined,
    onElement: (el) => out.elements.push(el),
    onStreamEnd: () => { out.ended = true; },
    onError: (condition) => out.errors.push(condition),
  }, limits, { framing });
  for (const c of chunks) out.p.write(c);
  return out;
}

function bytesOf(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

/** Every split of `b` into single bytes. */
function bytewise(b: Buffer): Buffer[] {
  return [...b].map((x) => Buffer.from([x]));
}

describe('XmlStreamTokenizer', () => {
  describe('UTF-8', () => {
    const invalid: [string, number[]][] = [
      ['overlong 2-byte C0 AF', [0xc0, 0xaf]],
      ['overlong 2-byte C1 BF', [0xc1, 0xbf]],
      ['overlong 3-byte E0 80 AF', [0xe0, 0x80, 0xaf]],
      ['overlong 4-byte F0 80 80 AF', [0xf0, 0x80, 0x80, 0xaf]],
      ['surrogate ED A0 80', [0xed, 0xa0, 0x80]],
      ['above U+10FFFF F4 90 80 80', [0xf4, 0x90, 0x80, 0x80]],
      ['F5 lead byte', [0xf5, 0x80, 0x80, 0x80]],
      ['stray continuation 80', [0x80]],
      ['lead byte followed by ASCII', [0xe2, 0x41]],
      ['FE', [0xfe]],
    ];
    for (const [label, seq] of invalid) {
      it(`rejects ${label} as not-well-formed, in one chunk and byte by byte`, () => {
        const input = bytesOf(`${HEADER}<message><body>a`, seq, 'b</body></message>');
        expect(parse([input]).errors).to.deep.equal(['not-well-formed']);
        const o = parse(bytewise(input));
        expect(o.errors).to.deep.equal(['not-well-formed']);
        expect(o.elements).to.have.length(0);
      });
    }

    it('rejects an invalid prefix as soon as it arrives (F0 9F then an ASCII byte in the next chunk)', () => {
      const o = parse([bytesOf(`${HEADER}<message>`, [0xf0, 0x9f]), 'x</message>']);
      expect(o.errors).to.deep.equal(['not-well-formed']);
    });

    it('accepts 2-, 3- and 4-byte characters split at every byte', () => {
      const text = 'é€😀ü𝄞';
      const input = Buffer.from(`${HEADER}<message a='${text}'><body>${text}</body></message>`);
      const o = parse(bytewise(input));
      expect(o.errors).to.deep.equal([]);
      expect(o.elements[0]!.attrs.a).to.equal(text);
      expect(o.elements[0]!.getChildText('body')).to.equal(text);
    });

    it('incompleteTail reports the held-back bytes of a valid prefix, -1 for an impossible one', () => {
      expect(incompleteTail(Buffer.from('abc'), 3)).to.equal(0);
      expect(incompleteTail(Buffer.from([0x61, 0xc3]), 2)).to.equal(1);
      expect(incompleteTail(Buffer.from([0xf0, 0x9f, 0x98]), 3)).to.equal(3);
      expect(incompleteTail(Buffer.from([0xf0, 0x9f, 0x98, 0x80]), 4)).to.equal(0);
      expect(incompleteTail(Buffer.from([0xe0, 0x80]), 2)).to.equal(-1); // overlong
      expect(incompleteTail(Buffer.from([0xed, 0xa0]), 2)).to.equal(-1); // surrogate
      expect(incompleteTail(Buffer.from([0xf4, 0x90]), 2)).to.equal(-1); // > U+10FFFF
      expect(incompleteTail(Buffer.from([0xc0]), 1)).to.equal(-1);
    });

    it('a websocket frame ending inside a character is invalid', () => {
      const open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>";
      expect(parse([open, bytesOf("<message xmlns='jabber:client'/>", [0xe2, 0x82])], LIMITS, 'websocket').errors).to.deep.equal(['not-well-formed']);
    });
  });

  describe('byte order marks and newlines', () => {
    it('drops one BOM from the decoder and one more at the start of the document, not a third', () => {
      expect(parse([`\uFEFF${HEADER}<a/>`]).elements).to.have.length(1);
      expect(parse([`\uFEFF\uFEFF${HEADER}<a/>`]).elements).to.have.length(1);
      expect(parse([`\uFEFF\uFEFF\uFEFF${HEADER}<a/>`]).errors).to.deep.equal(['not-well-formed']);
    });

    it('normalises CR LF and CR to LF in text and to one space in attributes, also when CR ends a chunk', () => {
      const input = Buffer.from(`${HEADER}<message a='1\r\n2\r3\t4\n5'><body>x\r\ny\rz</body></message>`);
      for (const chunks of [[input], bytewise(input)]) {
        const o = parse(chunks);
        expect(o.errors).to.deep.equal([]);
        expect(o.elements[0]!.attrs.a).to.equal('1 2 3 4 5');
        expect(o.elements[0]!.getChildText('body')).to.equal('x\ny\nz');
      }
    });
  });

  describe('slices after multi-byte characters', () => {
    it('maps byte positions to the right characters in names, values and text', () => {
      const input = `${HEADER}<ñ xmlns='urn:ü' é='😀😀' b='x'>ä&amp;😀<![CDATA[€<]]>z<日本 v='語'/></ñ>`;
      for (const chunks of [[input], [Buffer.from(input)], bytewise(Buffer.from(input))]) {
        const o = parse(chunks);
        expect(o.errors).to.deep.equal([]);
        const el = o.elements[0]!;
        expect(el.name).to.equal('ñ');
        expect(el.attrs).to.deep.equal({ xmlns: 'urn:ü', é: '😀😀', b: 'x' });
        expect(el.children[0]).to.equal('ä&😀€<z');
        expect((el.children[1] as Element).name).to.equal('日本');
        expect((el.children[1] as Element).attrs.v).to.equal('語');
      }
    });
  });

  describe('byte accounting', () => {
    it('a stanza of exactly the limit in bytes passes, one byte more does not (multi-byte text)', () => {
      const stanza = (n: number) => `<m>${'€'.repeat(n)}</m>`; // 7 + 3n bytes
      const limit = 7 + 3 * 100;
      const ok = parse([HEADER + stanza(100)], { ...LIMITS, maxStanzaBytes: limit });
      expect(ok.errors).to.deep.equal([]);
      // Whitespace after a stanza counts towards the next one.
      const trailing = parse([`${HEADER}${stanza(100)} `, '<a/>'], { ...LIMITS, maxStanzaBytes: limit });
      expect(trailing.errors).to.deep.equal([]);
      expect(parse([`${HEADER} ${stanza(100)}`], { ...LIMITS, maxStanzaBytes: limit }).errors).to.deep.equal(['policy-violation']);
    });

    it('an unterminated huge attribute is rejected after one 64 KiB slice, not at the end of the write', () => {
      const o = parse([`${HEADER}<message a='${'x'.repeat(1 << 20)}`], { ...LIMITS, maxStanzaBytes: 10_000 });
      expect(o.errors).to.deep.equal(['policy-violation']);
    });
  });

  describe('linear time on hostile chunkings', () => {
    it('a 64 KiB attribute value, text and entity name delivered one byte per write', function () {
      this.timeout(10_000);
      for (const body of [`<a v='${'x'.repeat(65536)}'/>`, `<a>${'y'.repeat(65536)}</a>`, `<a>&${'z'.repeat(65536)};</a>`]) {
        const input = Buffer.from(HEADER + body);
        const t0 = process.hrtime.bigint();
        const o = parse(bytewise(input));
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        expect(ms, body.slice(0, 10)).to.be.below(2000);
        expect(o.errors.length, body.slice(0, 10)).to.be.at.most(1); // the entity one is undefined
      }
    });

    it('a 100k nesting bomb and a 50k children bomb are rejected quickly', () => {
      for (const [input, limits] of [
        [`${HEADER}${'<a>'.repeat(100_000)}`, { ...LIMITS, maxStanzaBytes: 1 << 30 }],
        [`${HEADER}<a>${'<b/>'.repeat(50_000)}</a>`, { ...LIMITS, maxStanzaBytes: 1 << 30 }],
      ] as const) {
        const t0 = process.hrtime.bigint();
        expect(parse([input], limits).errors).to.deep.equal(['policy-violation']);
        expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(200);
      }
    });

    it('10 000 attributes on one element: duplicate check stays fast', () => {
      let attrs = '';
      for (let k = 0; k < 10_000; k++) attrs += ` a${k}='v'`;
      const t0 = process.hrtime.bigint();
      const o = parse([`${HEADER}<m${attrs}/>`]);
      expect(o.errors).to.deep.equal([]);
      expect(Object.keys(o.elements[0]!.attrs)).to.have.length(10_001); // + the inherited xmlns
      expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(500);
    });
  });

  describe('after the end', () => {
    it('reports one error and ignores everything after it', () => {
      const o = parse([`${HEADER}<a>&bad;</a>`, '<b/>', '<c/>']);
      expect(o.errors).to.deep.equal(['not-well-formed']);
      expect(o.elements).to.have.length(0);
      expect(o.p.failed).to.equal(true);
    });

    it('ignores input after </stream:stream>', () => {
      const o = parse([`${HEADER}<a/></stream:stream><b/>`, '\u0000<c/>']);
      expect(o.ended).to.equal(true);
      expect(o.errors).to.deep.equal([]);
      expect(o.elements).to.have.length(1);
    });
  });

  describe('character classes agree with xmlchars (what saxes uses)', () => {
    it('Char, NameStartChar and NameChar for every BMP code point and a sample above it', () => {
      const cps: number[] = [];
      for (let c = 0; c <= 0xffff; c++) cps.push(c);
      for (let c = 0x10000; c <= 0x10ffff; c += 0x1fff) cps.push(c);
      cps.push(0xeffff, 0xf0000, 0x10ffff);
      const mismatches: string[] = [];
      for (const c of cps) {
        if (c >= 0xd800 && c <= 0xdfff) continue; // never decoded from valid UTF-8
        if (isChar(c) !== ed5.isChar(c)) mismatches.push(`Char ${c.toString(16)}`);
        if (isNameStartChar(c) !== ed5.isNameStartChar(c)) mismatches.push(`NameStartChar ${c.toString(16)}`);
        if (isNameChar(c) !== ed5.isNameChar(c)) mismatches.push(`NameChar ${c.toString(16)}`);
      }
      expect(mismatches).to.deep.equal([]);
    });
  });
});
