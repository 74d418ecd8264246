import { expect } from 'chai';
import { bareEquals, jid, JidError, nameprep, nodeprep, parseJid, resourceprep, tryParseJid } from '../../src/jid.js';

const parts = (s: string): [string, string, string] => {
  const j = parseJid(s);
  return [j.local, j.domain, j.resource];
};

describe('jid', () => {
  describe('RFC 7622 §3.5 valid examples', () => {
    const valid: [string, [string, string, string], string][] = [
      ['juliet@example.com', ['juliet', 'example.com', ''], 'juliet@example.com'],
      ['juliet@example.com/foo', ['juliet', 'example.com', 'foo'], 'juliet@example.com/foo'],
      ['juliet@example.com/foo bar', ['juliet', 'example.com', 'foo bar'], 'juliet@example.com/foo bar'],
      ['juliet@example.com/foo@bar', ['juliet', 'example.com', 'foo@bar'], 'juliet@example.com/foo@bar'],
      ['foo\\20bar@example.com', ['foo\\20bar', 'example.com', ''], 'foo\\20bar@example.com'],
      ['fussball@example.com', ['fussball', 'example.com', ''], 'fussball@example.com'],
      ['fußball@example.com', ['fußball', 'example.com', ''], 'fußball@example.com'],
      ['π@example.com', ['π', 'example.com', ''], 'π@example.com'],
      ['Σ@example.com/foo', ['σ', 'example.com', 'foo'], 'σ@example.com/foo'],
      ['σ@example.com/foo', ['σ', 'example.com', 'foo'], 'σ@example.com/foo'],
      ['ς@example.com/foo', ['ς', 'example.com', 'foo'], 'ς@example.com/foo'],
      ['king@example.com/♚', ['king', 'example.com', '♚'], 'king@example.com/♚'],
      ['example.com', ['', 'example.com', ''], 'example.com'],
      ['example.com/foobar', ['', 'example.com', 'foobar'], 'example.com/foobar'],
      ['a.example.com/b@example.net', ['', 'a.example.com', 'b@example.net'], 'a.example.com/b@example.net'],
    ];
    for (const [input, expected, full] of valid) {
      it(`accepts ${input}`, () => {
        expect(parts(input)).to.deep.equal(expected);
        expect(parseJid(input).toString()).to.equal(full);
        expect(parts(full)).to.deep.equal(expected); // preparation is idempotent
      });
    }
  });

  describe('RFC 7622 §3.5 invalid examples and other malformed JIDs', () => {
    const invalid: [string, RegExp][] = [
      ['"juliet"@example.com', /localpart contains a forbidden character '"'/],
      ['foo bar@example.com', /localpart contains a forbidden character U\+0020/],
      ['@example.com/', /localpart is empty/],
      ['♚@example.com', /localpart contains a forbidden character U\+265A/],
      ['juliet@', /domainpart is empty/],
      ['/foobar', /domainpart is empty/],
      ['@example.com', /localpart is empty/],
      ['a@', /domainpart is empty/],
      ['example.com/', /resourcepart is empty/],
      ['a@example.com/', /resourcepart is empty/],
      ['', /domainpart is empty/],
      ['a b@x', /localpart contains a forbidden character U\+0020/],
      ['a\tb@x', /forbidden character U\+0009/],
      ['a\u0000b@x', /forbidden character U\+0000/],
      ['a\u00a0b@x', /forbidden character U\+0020/], // NBSP → NFKC space → forbidden
      ['a@b@example.com', /localpart contains a forbidden character '@'/],
      ["o'hara@example.com", /forbidden character '''/],
      ['a&b@example.com', /forbidden character '&'/],
      ['a:b@example.com', /forbidden character ':'/],
      ['a<b@example.com', /forbidden character '<'/],
      ['a>b@example.com', /forbidden character '>'/],
      ['ａ＠b@example.com', /forbidden character '@'/], // full-width @ maps to @ under NFKC
      ['a@exa mple.com', /domainpart contains a forbidden character U\+0020/],
      ['a@exa:mple.com', /domainpart contains a forbidden character ':'/],
      ['a@example..com', /empty label/],
      ['a@.example.com', /empty label/],
      ['a@example.com..', /empty label/],
      ['a@.', /domainpart is empty/],
      ['a@ä..de', /empty label/],
      ['a@ä!.de', /not allowed in a domain name/],
      ['a@xn--zz.de', /internationalised domain name/],
      ['a@[::1', /IPv6 literal/],
      ['a@[fe80::1%eth0]', /IPv6 literal/],
      ['a@[1.2.3.4]', /IPv6 literal/],
      ['a@example.com/x\u0007y', /resourcepart contains a forbidden character U\+0007/],
      ['a@example.com/x\u0378', /resourcepart contains a forbidden character U\+0378/], // unassigned
      ['a@example.com/\ud800', /resourcepart contains a forbidden character U\+D800/], // lone surrogate
    ];
    for (const [input, message] of invalid) {
      it(`rejects ${JSON.stringify(input)}`, () => {
        expect(() => parseJid(input)).to.throw(JidError, message);
        expect(tryParseJid(input)).to.equal(null);
      });
    }
  });

  describe('preparation', () => {
    it('folds case in the localpart and the domainpart, not in the resourcepart', () => {
      expect(parseJid('JuLiEt@Example.COM/Balcony').full()).to.equal('juliet@example.com/Balcony');
      expect(parseJid('ÇA@EXAMPLE.COM').local).to.equal('ça');
    });
    it('applies NFKC to the localpart (deviation: compatibility characters are mapped, not rejected)', () => {
      expect(parseJid('ﬀ@x').bare()).to.equal('ff@x');
      expect(parseJid('henryⅣ@example.com').local).to.equal('henryiv');
      expect(parseJid('ｊｕｌｉｅｔ@example.com').local).to.equal('juliet');
      expect(nodeprep('e\u0301')).to.equal('é'); // composed
    });
    it('applies NFC to the resourcepart and maps non-ASCII spaces to U+0020', () => {
      expect(parseJid('a@b/e\u0301').resource).to.equal('é');
      expect(parseJid('a@b/ﬀ').resource).to.equal('ﬀ'); // NFC keeps compatibility characters
      expect(parseJid('a@b/x\u3000y').resource).to.equal('x y');
    });
    it('accepts a resourcepart with leading space (deviation from the RFC 7622 example list)', () => {
      expect(parseJid('juliet@example.com/ foo').resource).to.equal(' foo');
    });
    it('splits on the first / and then the last @ before it', () => {
      expect(parts('juliet@example.com/a/b@c/d')).to.deep.equal(['juliet', 'example.com', 'a/b@c/d']);
      expect(parts('example.com/@')).to.deep.equal(['', 'example.com', '@']);
      expect(parts('example.com//')).to.deep.equal(['', 'example.com', '/']);
    });
    it('strips one trailing dot from the domainpart', () => {
      expect(parseJid('a@Example.COM.').domain).to.equal('example.com');
      expect(parseJid('example.com./r').full()).to.equal('example.com/r');
    });
    it('keeps internationalised domains in Unicode (U-label) form', () => {
      expect(parseJid('a@münchen.de').domain).to.equal('münchen.de');
      expect(parseJid('a@MÜNCHEN.DE').domain).to.equal('münchen.de');
      expect(parseJid('a@xn--mnchen-3ya.de').domain).to.equal('münchen.de');
      expect(parseJid('a@XN--MNCHEN-3YA.DE.').domain).to.equal('münchen.de');
      expect(parseJid('例え。テスト').domain).to.equal('例え.テスト'); // ideographic full stop is a label separator
      expect(bareEquals(parseJid('a@münchen.de'), parseJid('A@xn--mnchen-3ya.de'))).to.equal(true);
    });
    it('accepts IP literals', () => {
      expect(parseJid('a@127.0.0.1/r').domain).to.equal('127.0.0.1');
      expect(parseJid('a@[::1]/r').domain).to.equal('[::1]');
      expect(parseJid('[2001:DB8::1]').domain).to.equal('[2001:db8::1]');
    });
    it('accepts underscores and hyphens in domain labels', () => {
      expect(parseJid('conference_1.my-host.example').domain).to.equal('conference_1.my-host.example');
    });
  });

  describe('lengths', () => {
    it('allows each part up to 1023 bytes of UTF-8', () => {
      const label = 'a'.repeat(63);
      const domain = Array.from({ length: 16 }, () => label).join('.'); // 16*63 + 15 = 1023
      expect(domain.length).to.equal(1023);
      const j = parseJid(`${'l'.repeat(1023)}@${domain}/${'r'.repeat(1023)}`);
      expect(j.local.length).to.equal(1023);
      expect(j.domain.length).to.equal(1023);
      expect(j.resource.length).to.equal(1023);
    });
    it('rejects parts over 1023 bytes, counting UTF-8 bytes', () => {
      expect(() => parseJid(`${'l'.repeat(1024)}@x`)).to.throw(JidError, /localpart is longer than 1023 bytes/);
      expect(() => parseJid(`${'é'.repeat(512)}@x`)).to.throw(JidError, /localpart is longer/); // 1024 bytes
      expect(parseJid(`${'é'.repeat(511)}@x`).local).to.have.length(511); // 1022 bytes
      expect(() => parseJid(`x/${'r'.repeat(1024)}`)).to.throw(JidError, /resourcepart is longer/);
      expect(() => parseJid(`x/${'€'.repeat(342)}`)).to.throw(JidError, /resourcepart is longer/); // 1026 bytes
      const domain = Array.from({ length: 16 }, () => 'a'.repeat(63)).join('.') + '.a'; // 1025 bytes
      expect(() => parseJid(`x@${domain}`)).to.throw(JidError, /domainpart is longer/);
    });
    it('rejects domain labels over 63 octets', () => {
      expect(() => parseJid(`x@${'a'.repeat(64)}.com`)).to.throw(JidError, /label longer than 63/);
      expect(() => parseJid(`x@${'ä'.repeat(60)}.com`)).to.throw(JidError, /label longer than 63/); // A-label is longer
      expect(parseJid(`x@${'a'.repeat(63)}.com`).domain).to.have.length(67);
    });
  });

  describe('Jid objects and helpers', () => {
    it('bare(), full() and toString()', () => {
      const j = parseJid('juliet@example.com/balcony');
      expect(j.bare()).to.equal('juliet@example.com');
      expect(j.full()).to.equal('juliet@example.com/balcony');
      expect(String(j)).to.equal('juliet@example.com/balcony');
      expect(`${parseJid('example.com')}`).to.equal('example.com');
      expect(parseJid('example.com/r').bare()).to.equal('example.com');
    });
    it('jid() prepares each part', () => {
      const j = jid('Juliet', 'Example.COM.', 'balcony');
      expect(j.full()).to.equal('juliet@example.com/balcony');
      expect(jid('', 'example.com').full()).to.equal('example.com');
      expect(jid('a', 'example.com', '').full()).to.equal('a@example.com');
      expect(() => jid('a b', 'example.com')).to.throw(JidError);
      expect(() => jid('a', '')).to.throw(JidError, /domainpart is empty/);
      expect(() => jid('a', 'example.com', 'x\u0001')).to.throw(JidError);
    });
    it('bareEquals compares localpart and domainpart only', () => {
      expect(bareEquals(parseJid('A@B/x'), parseJid('a@b/y'))).to.equal(true);
      expect(bareEquals(parseJid('a@b'), parseJid('a@c'))).to.equal(false);
      expect(bareEquals(parseJid('b'), parseJid('a@b'))).to.equal(false);
    });
    it('the prep functions are exported and throw JidError', () => {
      expect(nodeprep('Romeo')).to.equal('romeo');
      expect(nameprep('Example.COM.')).to.equal('example.com');
      expect(resourceprep('Home PC')).to.equal('Home PC');
      expect(() => nodeprep('')).to.throw(JidError, /localpart is empty/);
      expect(() => nameprep('')).to.throw(JidError, /domainpart is empty/);
      expect(() => resourceprep('')).to.throw(JidError, /resourcepart is empty/);
      const e = (() => {
        try {
          parseJid('@x');
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e).to.be.instanceOf(JidError).and.instanceOf(Error);
      expect((e as Error).name).to.equal('JidError');
    });
    it('tryParseJid returns a Jid for valid input', () => {
      expect(tryParseJid('a@b/c')?.full()).to.equal('a@b/c');
    });
  });
});

describe('parseJid cache', () => {
  it('returns the same prepared JID for repeated strings and keeps refusing bad ones', () => {
    const a = parseJid('Juliet@Example.COM/Balcony');
    expect(parseJid('Juliet@Example.COM/Balcony')).to.equal(a);
    expect(a.full()).to.equal('juliet@example.com/Balcony');
    for (let i = 0; i < 2; i++) expect(() => parseJid('@example.com')).to.throw(JidError);
  });

  it('stays correct past its size limit (it empties itself)', () => {
    for (let i = 0; i < 20_000; i++) expect(parseJid(`U${i}@Host.example/r`).bare()).to.equal(`u${i}@host.example`);
  });
});
