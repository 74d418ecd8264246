import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import {
  authzidMatches, deriveCredentials, deriveScramCredential, fakeCredential, localpartOf, verifyPassword,
} from '../../src/auth/credentials.js';
import type { StoredCredentials } from '../../src/auth/types.js';

const b64len = (s: string) => Buffer.from(s, 'base64').length;

describe('deriveCredentials', () => {
  it('stores only salt, iterations, StoredKey and ServerKey for SHA-1 and SHA-256', async () => {
    const creds = await deriveCredentials('pencil', 4096);
    expect(Object.keys(creds).sort()).to.deep.equal(['SHA-1', 'SHA-256']);
    for (const [hash, len] of [['SHA-1', 20], ['SHA-256', 32]] as const) {
      const c = creds[hash];
      expect(Object.keys(c).sort()).to.deep.equal(['iterations', 'salt', 'serverKey', 'storedKey']);
      expect(c.iterations).to.equal(4096);
      expect(b64len(c.salt)).to.equal(16);
      expect(b64len(c.storedKey)).to.equal(len);
      expect(b64len(c.serverKey)).to.equal(len);
    }
    expect(JSON.stringify(creds)).to.not.contain('pencil');
  });

  it('computes the RFC 5802 keys (checked against an independent computation)', async () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const c = await deriveScramCredential('pencil', salt, 4096, 'SHA-1');
    const salted = pbkdf2Sync('pencil', salt, 4096, 20, 'sha1');
    const storedKey = createHash('sha1').update(createHmac('sha1', salted).update('Client Key').digest()).digest('base64');
    const serverKey = createHmac('sha1', salted).update('Server Key').digest('base64');
    expect(c).to.deep.equal({ salt: 'QSXCR+Q6sek8bf92', iterations: 4096, storedKey, serverKey });
  });

  it('uses a fresh random salt per hash and per call', async () => {
    const a = await deriveCredentials('pencil', 1000);
    const b = await deriveCredentials('pencil', 1000);
    const salts = [a['SHA-1'].salt, a['SHA-256'].salt, b['SHA-1'].salt, b['SHA-256'].salt];
    expect(new Set(salts).size).to.equal(4);
    expect(a['SHA-256'].storedKey).to.not.equal(b['SHA-256'].storedKey);
  });

  it('applies SASLprep: mapped characters give the same credentials', async () => {
    const softHyphen = await deriveCredentials('pen\u00ADcil', 1000);
    expect(await verifyPassword(softHyphen, 'pencil')).to.equal(true);
    const roman = await deriveCredentials('\u2168', 1000);              // ROMAN NUMERAL NINE -> "IX"
    expect(await verifyPassword(roman, 'IX')).to.equal(true);
    const nbsp = await deriveCredentials('a\u00A0b', 1000);             // non-ASCII space -> space
    expect(await verifyPassword(nbsp, 'a b')).to.equal(true);
  });

  it('throws a clear Error for prohibited, bidi-mixed, unassigned or empty passwords', async () => {
    const cases: [string, RegExp][] = [
      ['bell\u0007', /SASLprep/],
      ['\u0627abc', /SASLprep/],         // RandALCat mixed with LCat
      ['x\u0221', /SASLprep/],           // unassigned in Unicode 3.2: refused for a stored string
      ['', /empty/],
      ['\u00AD', /empty/],               // maps to nothing
      ['x'.repeat(2000), /longer/],
    ];
    for (const [pw, re] of cases) {
      let err: unknown;
      try {
        await deriveCredentials(pw, 1000);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(pw)).to.be.instanceOf(Error);
      expect((err as Error).message).to.match(re);
    }
  });

  it('refuses absurd iteration counts', async () => {
    for (const it of [0, -1, 1.5, NaN, 1e9]) {
      let err: unknown;
      try {
        await deriveCredentials('pencil', it);
      } catch (e) {
        err = e;
      }
      expect(err, String(it)).to.be.instanceOf(RangeError);
    }
  });

  it('runs PBKDF2 off the event loop', async () => {
    let ticks = 0;
    let running = true;
    const spin = () => {
      ticks++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    await deriveCredentials('pencil', 200_000);
    running = false;
    expect(ticks).to.be.above(20);
  });
});

describe('verifyPassword', () => {
  let creds: StoredCredentials;
  before(async () => {
    creds = await deriveCredentials('correct horse', 4096);
  });

  it('accepts the right password and refuses others', async () => {
    expect(await verifyPassword(creds, 'correct horse')).to.equal(true);
    expect(await verifyPassword(creds, 'correct horse ')).to.equal(false);
    expect(await verifyPassword(creds, 'Correct horse')).to.equal(false);
    expect(await verifyPassword(creds, '')).to.equal(false);
  });

  it('resolves false (never throws) for passwords SASLprep refuses', async () => {
    expect(await verifyPassword(creds, 'correct\u0007horse')).to.equal(false);
    expect(await verifyPassword(creds, 'x'.repeat(5000))).to.equal(false);
  });

  it('resolves false for an unusable record', async () => {
    const broken = { ...creds, 'SHA-256': { ...creds['SHA-256'], storedKey: 'AAAA' } };
    expect(await verifyPassword(broken, 'correct horse')).to.equal(false);
    const noIter = { ...creds, 'SHA-256': { ...creds['SHA-256'], iterations: 0 } };
    expect(await verifyPassword(noIter, 'correct horse')).to.equal(false);
  });
});

describe('fakeCredential', () => {
  const secret = randomBytes(32);

  it('has a deterministic 16-byte salt per (secret, user, hash) and the given iteration count', () => {
    const a = fakeCredential(secret, 'nobody', 'SHA-256', 10_000);
    const b = fakeCredential(secret, 'nobody', 'SHA-256', 10_000);
    expect(a.salt).to.equal(b.salt);
    expect(b64len(a.salt)).to.equal(16);
    expect(a.iterations).to.equal(10_000);
    expect(fakeCredential(secret, 'somebody', 'SHA-256', 10_000).salt).to.not.equal(a.salt);
    expect(fakeCredential(secret, 'nobody', 'SHA-1', 10_000).salt).to.not.equal(a.salt);
    expect(fakeCredential(randomBytes(32), 'nobody', 'SHA-256', 10_000).salt).to.not.equal(a.salt);
  });

  it('has random keys of the right length', () => {
    const a = fakeCredential(secret, 'nobody', 'SHA-1', 4096);
    const b = fakeCredential(secret, 'nobody', 'SHA-1', 4096);
    expect(b64len(a.storedKey)).to.equal(20);
    expect(b64len(a.serverKey)).to.equal(20);
    expect(a.storedKey).to.not.equal(b.storedKey);
    expect(b64len(fakeCredential(secret, 'nobody', 'SHA-256', 4096).storedKey)).to.equal(32);
  });
});

describe('localpartOf and authzidMatches', () => {
  it('prepares localparts and refuses impossible ones', () => {
    expect(localpartOf('User')).to.equal('user');
    expect(localpartOf('a,b=c')).to.equal('a,b=c');
    for (const bad of ['', 'a b', 'a@b', 'a/b', 'a:b', 'a"b', "a'b", 'a&b', 'a<b', 'a>b', 'x'.repeat(1024)]) {
      expect(localpartOf(bad), bad).to.equal(null);
    }
  });

  it('accepts only the own bare JID', () => {
    expect(authzidMatches('user@example.com', 'user', 'example.com')).to.equal(true);
    expect(authzidMatches('USER@Example.com.', 'user', 'example.com')).to.equal(true);
    for (const a of ['other@example.com', 'user@example.org', 'user@example.com/r', 'user', '@example.com', 'user@', 'example.com']) {
      expect(authzidMatches(a, 'user', 'example.com'), a).to.equal(false);
    }
  });
});
