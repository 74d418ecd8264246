import { execFileSync } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { deriveCredentials, deriveScramCredential } from '../../src/auth/credentials.js';
import {
  defaultMechanisms, endPointHashName, noChannelBinding, offeredMechanisms, serverEndPointBinding, tlsChannelBinding,
} from '../../src/auth/mechanisms.js';
import { ScramMechanismFactory, SCRAM_MAX_MESSAGE_BYTES } from '../../src/auth/scram.js';
import type {
  ChannelBinding, ChannelBindingType, SaslContext, SaslMechanism, SaslStep, ScramHash, StoredCredentials,
} from '../../src/auth/types.js';

// ---- a small SCRAM client, written here from RFC 5802 ------------------------------------------------------------

const nodeHash = (h: ScramHash) => (h === 'SHA-1' ? 'sha1' : 'sha256');
const hashLen = (h: ScramHash) => (h === 'SHA-1' ? 20 : 32);

function parseAttrs(msg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of msg.split(',')) out[part[0]!] = part.slice(2);
  return out;
}

class TestClient {
  readonly clientNonce: string;
  readonly gs2: string;
  clientFirstBare = '';
  expectedV = '';

  constructor(
    readonly hash: ScramHash,
    readonly user: string,
    readonly password: string,
    opts: { gs2?: string; nonce?: string; cbData?: Buffer } = {},
  ) {
    this.clientNonce = opts.nonce ?? randomBytes(18).toString('base64');
    this.gs2 = opts.gs2 ?? 'n,,';
    this.cbData = opts.cbData ?? Buffer.alloc(0);
  }

  cbData: Buffer;

  first(): Buffer {
    const name = this.user.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.clientFirstBare = `n=${name},r=${this.clientNonce}`;
    return Buffer.from(this.gs2 + this.clientFirstBare);
  }

  final(serverFirst: Buffer, tweak: { c?: string; r?: string; proofFlip?: boolean } = {}): Buffer {
    const sf = serverFirst.toString();
    const a = parseAttrs(sf);
    expect(a.r!.startsWith(this.clientNonce)).to.equal(true);
    const salted = pbkdf2Sync(this.password, Buffer.from(a.s!, 'base64'), Number(a.i), hashLen(this.hash), nodeHash(this.hash));
    const clientKey = createHmac(nodeHash(this.hash), salted).update('Client Key').digest();
    const storedKey = createHash(nodeHash(this.hash)).update(clientKey).digest();
    const c = tweak.c ?? Buffer.concat([Buffer.from(this.gs2), this.cbData]).toString('base64');
    const withoutProof = `c=${c},r=${tweak.r ?? a.r}`;
    const authMessage = `${this.clientFirstBare},${sf},${withoutProof}`;
    const sig = createHmac(nodeHash(this.hash), storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ sig[i]!;
    if (tweak.proofFlip) proof[0] = proof[0]! ^ 1;
    const serverKey = createHmac(nodeHash(this.hash), salted).update('Server Key').digest();
    this.expectedV = `v=${createHmac(nodeHash(this.hash), serverKey).update(authMessage).digest('base64')}`;
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }
}

// ---- fixtures -------------------------------------------------------------------------------------------------------

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const HOST = 'example.com';

function fakeCb(types: ChannelBindingType[]): ChannelBinding & { values: Record<string, Buffer> } {
  const values: Record<string, Buffer> = {
    'tls-exporter': Buffer.alloc(32, 0xe1),
    'tls-server-end-point': Buffer.alloc(32, 0x5e),
    'tls-unique': Buffer.alloc(12, 0x11),
  };
  return { types, values, data: (t) => (types.includes(t) ? values[t]! : null) };
}

function makeCtx(users: Record<string, StoredCredentials>, channelBinding: ChannelBinding = noChannelBinding): SaslContext {
  return {
    host: HOST,
    lookup: async (u) => users[u] ?? null,
    channelBinding,
    secret: SECRET,
  };
}

function expectFailure(step: SaslStep, condition: string): void {
  expect(step.kind, JSON.stringify(step)).to.equal('failure');
  if (step.kind === 'failure') expect(step.condition).to.equal(condition);
}

function challenge(step: SaslStep): Buffer {
  expect(step.kind, JSON.stringify(step)).to.equal('challenge');
  return (step as { data: Buffer }).data;
}

async function fullLogin(mech: SaslMechanism, client: TestClient, tweak?: Parameters<TestClient['final']>[1]): Promise<SaslStep> {
  const sf = challenge(await mech.step(client.first()));
  return mech.step(client.final(sf, tweak));
}

const users: Record<string, StoredCredentials> = {
  user: await deriveCredentials('pencil', 4096),
  'a,b=c': await deriveCredentials('pässwörd', 4096),
};

const factories = {
  'SCRAM-SHA-1': new ScramMechanismFactory('SHA-1', false, { fakeIterations: 4096 }),
  'SCRAM-SHA-256': new ScramMechanismFactory('SHA-256', false, { fakeIterations: 4096 }),
  'SCRAM-SHA-1-PLUS': new ScramMechanismFactory('SHA-1', true, { fakeIterations: 4096 }),
  'SCRAM-SHA-256-PLUS': new ScramMechanismFactory('SHA-256', true, { fakeIterations: 4096 }),
};

// ---- RFC vectors ----------------------------------------------------------------------------------------------------

describe('SCRAM: RFC test vectors', () => {
  it('RFC 5802 §5 SCRAM-SHA-1 exchange, exact server-first and server-final', async () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const creds = {
      'SHA-1': await deriveScramCredential('pencil', salt, 4096, 'SHA-1'),
      'SHA-256': await deriveScramCredential('pencil', salt, 4096, 'SHA-256'),
    };
    const f = new ScramMechanismFactory('SHA-1', false, { serverNonce: () => '3rfcNHYJY1ZVvWVs7j' });
    const mech = f.create(makeCtx({ user: creds }));
    expect(mech.name).to.equal('SCRAM-SHA-1');
    const sf = challenge(await mech.step(Buffer.from('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')));
    expect(sf.toString()).to.equal('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    const end = await mech.step(Buffer.from('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    expect(end.kind).to.equal('success');
    if (end.kind !== 'success') return;
    expect(end.username).to.equal('user');
    expect(end.data!.toString()).to.equal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
  });

  it('RFC 7677 §3 SCRAM-SHA-256 exchange, exact server-first and server-final', async () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const creds = {
      'SHA-1': await deriveScramCredential('pencil', salt, 4096, 'SHA-1'),
      'SHA-256': await deriveScramCredential('pencil', salt, 4096, 'SHA-256'),
    };
    const f = new ScramMechanismFactory('SHA-256', false, { serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    const mech = f.create(makeCtx({ user: creds }));
    const sf = challenge(await mech.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')));
    expect(sf.toString()).to.equal('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const end = await mech.step(Buffer.from(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
    expect(end.kind).to.equal('success');
    if (end.kind !== 'success') return;
    expect(end.data!.toString()).to.equal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('RFC 5802 vector with a wrong proof fails with not-authorized; a non-canonical encoding is malformed', async () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const cred = await deriveScramCredential('pencil', salt, 4096, 'SHA-1');
    const f = new ScramMechanismFactory('SHA-1', false, { serverNonce: () => '3rfcNHYJY1ZVvWVs7j' });
    const mech = f.create(makeCtx({ user: { 'SHA-1': cred, 'SHA-256': cred } }));
    challenge(await mech.step(Buffer.from('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')));
    const end = await mech.step(Buffer.from('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=w0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    expectFailure(end, 'not-authorized');
    const again = f.create(makeCtx({ user: { 'SHA-1': cred, 'SHA-256': cred } }));
    challenge(await again.step(Buffer.from('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')));
    // Same bytes as the right proof, but the unused low bits of the last character are set.
    const odd = await again.step(Buffer.from('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Tt='));
    expectFailure(odd, 'malformed-request');
  });
});

// ---- full exchanges -------------------------------------------------------------------------------------------------

describe('SCRAM: full exchanges', () => {
  for (const hash of ['SHA-1', 'SHA-256'] as const) {
    it(`SCRAM-${hash} logs in and the server signature verifies`, async () => {
      const mech = factories[`SCRAM-${hash}`].create(makeCtx(users));
      const client = new TestClient(hash, 'user', 'pencil');
      const end = await fullLogin(mech, client);
      expect(end).to.deep.equal({ kind: 'success', username: 'user', data: Buffer.from(client.expectedV) });
    });

    for (const type of ['tls-exporter', 'tls-server-end-point', 'tls-unique'] as const) {
      it(`SCRAM-${hash}-PLUS logs in with ${type}`, async () => {
        const cb = fakeCb(['tls-exporter', 'tls-server-end-point', 'tls-unique']);
        const mech = factories[`SCRAM-${hash}-PLUS`].create(makeCtx(users, cb));
        const client = new TestClient(hash, 'user', 'pencil', { gs2: `p=${type},,`, cbData: cb.values[type] });
        const end = await fullLogin(mech, client);
        expect(end.kind).to.equal('success');
        if (end.kind === 'success') expect(end.data!.toString()).to.equal(client.expectedV);
      });
    }

    it(`SCRAM-${hash}-PLUS: wrong channel-binding data fails with not-authorized`, async () => {
      const cb = fakeCb(['tls-exporter']);
      const mech = factories[`SCRAM-${hash}-PLUS`].create(makeCtx(users, cb));
      const client = new TestClient(hash, 'user', 'pencil', { gs2: 'p=tls-exporter,,', cbData: Buffer.alloc(32, 1) });
      expectFailure(await fullLogin(mech, client), 'not-authorized');
    });

    it(`SCRAM-${hash}: wrong password fails with not-authorized, no text, username set`, async () => {
      const mech = factories[`SCRAM-${hash}`].create(makeCtx(users));
      const end = await fullLogin(mech, new TestClient(hash, 'user', 'pencil!'));
      expect(end).to.deep.equal({ kind: 'failure', condition: 'not-authorized', username: 'user' });
    });
  }

  it('an empty initial response gets an empty challenge, then the exchange goes on', async () => {
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
    expect(challenge(await mech.step(Buffer.alloc(0))).length).to.equal(0);
    const end = await fullLogin(mech, new TestClient('SHA-256', 'user', 'pencil'));
    expect(end.kind).to.equal('success');
  });

  it('decodes =2C and =3D in the username', async () => {
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
    const client = new TestClient('SHA-256', 'a,b=c', 'pässwörd');
    expect(client.first().toString()).to.contain('n=a=2Cb=3Dc,');
    const end = await fullLogin(mech, client);
    expect(end.kind).to.equal('success');
    if (end.kind === 'success') expect(end.username).to.equal('a,b=c');
  });

  it('prepares the username (SASLprep, case) before the lookup', async () => {
    const mech = factories['SCRAM-SHA-1'].create(makeCtx(users));
    const end = await fullLogin(mech, new TestClient('SHA-1', 'U\u00ADSER', 'pencil'));   // soft hyphen maps to nothing
    expect(end.kind).to.equal('success');
    if (end.kind === 'success') expect(end.username).to.equal('user');
  });

  it('accepts the own bare JID as authzid', async () => {
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
    const client = new TestClient('SHA-256', 'user', 'pencil', { gs2: 'n,a=User@Example.COM,' });
    expect((await fullLogin(mech, client)).kind).to.equal('success');
  });

  it('y,, is fine when the server offers no -PLUS on this connection', async () => {
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users, fakeCb(['tls-unique'])));
    const end = await fullLogin(mech, new TestClient('SHA-256', 'user', 'pencil', { gs2: 'y,,' }));
    expect(end.kind).to.equal('success');
  });

  it('ignores optional extensions', async () => {
    const mech = factories['SCRAM-SHA-1'].create(makeCtx(users));
    const client = new TestClient('SHA-1', 'user', 'pencil');
    const sf = challenge(await mech.step(Buffer.concat([client.first(), Buffer.from(',x=ext')])));
    client.clientFirstBare += ',x=ext';
    expect((await mech.step(client.final(sf))).kind).to.equal('success');
  });

  it('uses a fresh random server nonce of at least 18 bytes', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
      const sf = challenge(await mech.step(Buffer.from('n,,n=user,r=abc'))).toString();
      const serverPart = parseAttrs(sf).r!.slice(3);
      expect(Buffer.from(serverPart, 'base64').length).to.be.at.least(18);
      nonces.add(serverPart);
    }
    expect(nonces.size).to.equal(5);
  });
});

// ---- unknown users --------------------------------------------------------------------------------------------------

describe('SCRAM: unknown users look like real ones', () => {
  const SHAPE = /^r=[^,]+,s=[A-Za-z0-9+/]{22}==,i=4096$/;

  it('gets a challenge of the same shape, with a salt stable across attempts, then the same failure', async () => {
    for (const hash of ['SHA-1', 'SHA-256'] as const) {
      const salts: string[] = [];
      for (let i = 0; i < 2; i++) {
        const mech = factories[`SCRAM-${hash}`].create(makeCtx(users));
        const client = new TestClient(hash, 'nobody', 'pencil');
        const sf = challenge(await mech.step(client.first()));
        expect(sf.toString()).to.match(SHAPE);
        salts.push(parseAttrs(sf.toString()).s!);
        const end = await mech.step(client.final(sf));
        expect(end).to.deep.equal({ kind: 'failure', condition: 'not-authorized', username: 'nobody' });
      }
      expect(salts[0]).to.equal(salts[1]);
      const real = factories[`SCRAM-${hash}`].create(makeCtx(users));
      expect(challenge(await real.step(Buffer.from('n,,n=user,r=abc'))).toString()).to.match(SHAPE);
    }
  });

  it('fake salts differ per user, per hash and per server secret', async () => {
    const saltOf = async (f: ScramMechanismFactory, user: string, secret = SECRET) => {
      const mech = f.create({ ...makeCtx(users), secret });
      return parseAttrs(challenge(await mech.step(Buffer.from(`n,,n=${user},r=abc`))).toString()).s;
    };
    const a = await saltOf(factories['SCRAM-SHA-256'], 'nobody');
    expect(await saltOf(factories['SCRAM-SHA-256'], 'NoBody')).to.equal(a);   // same account after prep
    expect(await saltOf(factories['SCRAM-SHA-256'], 'somebody')).to.not.equal(a);
    expect(await saltOf(factories['SCRAM-SHA-1'], 'nobody')).to.not.equal(a);
    expect(await saltOf(factories['SCRAM-SHA-256'], 'nobody', randomBytes(32))).to.not.equal(a);
  });

  it('a name that cannot be a localpart fails the same way at the proof', async () => {
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
    const client = new TestClient('SHA-256', 'user@example.com', 'pencil');
    const sf = challenge(await mech.step(client.first()));
    expect(sf.toString()).to.match(SHAPE);
    expectFailure(await mech.step(client.final(sf)), 'not-authorized');
  });

  it('a storage error during lookup gives temporary-auth-failure, never a throw', async () => {
    const ctx = { ...makeCtx(users), lookup: async () => { throw new Error('db down'); } };
    const mech = factories['SCRAM-SHA-256'].create(ctx);
    expectFailure(await mech.step(Buffer.from('n,,n=user,r=abc')), 'temporary-auth-failure');
  });
});

// ---- protocol violations --------------------------------------------------------------------------------------------

describe('SCRAM: bad input', () => {
  const first = async (name: keyof typeof factories, msg: string | Buffer, cb: ChannelBinding = noChannelBinding) =>
    factories[name].create(makeCtx(users, cb)).step(typeof msg === 'string' ? Buffer.from(msg) : msg);

  it('rejects bad GS2 headers with malformed-request', async () => {
    for (const msg of [
      'x,,n=user,r=abc', 'n,n=user,r=abc', 'p,,n=user,r=abc', 'p=,,n=user,r=abc', 'nn,,n=user,r=abc',
      'n,b=foo,n=user,r=abc', 'n,a=,n=user,r=abc', 'n,a=us=er,n=user,r=abc', ',,n=user,r=abc', 'N,,n=user,r=abc',
      'p=tls exporter,,n=user,r=abc', 'n,,', 'n', '',
    ]) {
      const step = await first('SCRAM-SHA-256', msg || Buffer.from(','));
      expectFailure(step, 'malformed-request');
    }
  });

  it('rejects bad client-first bodies with malformed-request', async () => {
    for (const msg of [
      'n,,r=abc,n=user', 'n,,n=user', 'n,,n=,r=abc', 'n,,n=user,r=', 'n,,n=u=2Xser,r=abc', 'n,,n=user,r=a b',
      'n,,m=ext,n=user,r=abc', 'n,,n=user,r=abc,', 'n,,n=user,r=abc,xx', 'n,,n=us\u0007er,r=abc',
    ]) {
      expectFailure(await first('SCRAM-SHA-256', msg), 'malformed-request');
    }
  });

  it('y,, while -PLUS is offered on this connection is a downgrade: not-authorized', async () => {
    for (const types of [['tls-exporter'], ['tls-server-end-point']] as ChannelBindingType[][]) {
      const step = await first('SCRAM-SHA-256', 'y,,n=user,r=abc', fakeCb(types));
      expect(step).to.deep.include({ kind: 'failure', condition: 'not-authorized', username: 'user' });
    }
  });

  it('p= on a non-PLUS mechanism is malformed-request', async () => {
    expectFailure(await first('SCRAM-SHA-1', 'p=tls-exporter,,n=user,r=abc', fakeCb(['tls-exporter'])), 'malformed-request');
  });

  it('-PLUS with n,, or y,, is malformed-request', async () => {
    const cb = fakeCb(['tls-exporter']);
    expectFailure(await first('SCRAM-SHA-256-PLUS', 'n,,n=user,r=abc', cb), 'malformed-request');
    expectFailure(await first('SCRAM-SHA-256-PLUS', 'y,,n=user,r=abc', cb), 'malformed-request');
  });

  it('-PLUS with an unsupported or unavailable channel-binding type is not-authorized', async () => {
    const cb = fakeCb(['tls-exporter']);
    for (const msg of ['p=tls-unique,,n=user,r=abc', 'p=tls-server-end-point,,n=user,r=abc', 'p=foo,,n=user,r=abc']) {
      expectFailure(await first('SCRAM-SHA-256-PLUS', msg, cb), 'not-authorized');
    }
    expectFailure(await first('SCRAM-SHA-256-PLUS', 'p=tls-exporter,,n=user,r=abc', noChannelBinding), 'not-authorized');
  });

  it('an authzid of another user (or not a bare JID) is invalid-authzid', async () => {
    for (const a of ['other@example.com', 'user@other.example', 'user@example.com/res', 'user', 'example.com']) {
      const name = a.replace(/,/g, '=2C');
      const step = await first('SCRAM-SHA-256', `n,a=${name},n=user,r=abc`);
      expect(step).to.deep.include({ kind: 'failure', condition: 'invalid-authzid', username: 'user' });
    }
  });

  it('a c= that is not base64(gs2 header + cb data) is not-authorized', async () => {
    for (const c of ['eSws', 'biws=', 'biwsAA==', '', 'bixhPXVzZXJAZXhhbXBsZS5jb20s']) {
      const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
      expectFailure(await fullLogin(mech, new TestClient('SHA-256', 'user', 'pencil', { gs2: 'n,,' }), { c }), 'not-authorized');
    }
    // y,, header but c= claims n,,
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
    expectFailure(await fullLogin(mech, new TestClient('SHA-256', 'user', 'pencil', { gs2: 'y,,' }), { c: 'biws' }), 'not-authorized');
  });

  it('a nonce that is not the combined nonce is not-authorized', async () => {
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
    const client = new TestClient('SHA-256', 'user', 'pencil', { nonce: 'clientnonce' });
    const sf = challenge(await mech.step(client.first()));
    const r = parseAttrs(sf.toString()).r!;
    for (const bad of ['clientnonce', r + 'x', r.slice(0, -1)]) {
      const m = factories['SCRAM-SHA-256'].create(makeCtx(users));
      const c = new TestClient('SHA-256', 'user', 'pencil', { nonce: 'clientnonce' });
      const s = challenge(await m.step(c.first()));
      expectFailure(await m.step(c.final(s, { r: bad })), 'not-authorized');
    }
  });

  it('rejects a malformed client-final with malformed-request', async () => {
    const finals = (r: string) => [
      `c=biws,r=${r}`, `r=${r},c=biws,p=AAAA`, `c=biws,r=${r},p=`, `c=biws,r=${r},p=!!!!`, `c=biws,r=${r},p=AAAA`,
      `c=biws,r=${r},p=${Buffer.alloc(32).toString('base64').slice(0, -1)}`, 'garbage', '', `c=biws,r=${r},p=${'A'.repeat(5000)}`,
    ];
    for (let i = 0; i < finals('x').length; i++) {
      const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
      const sf = challenge(await mech.step(Buffer.from('n,,n=user,r=abc')));
      const msg = finals(parseAttrs(sf.toString()).r!)[i]!;
      expectFailure(await mech.step(Buffer.from(msg)), 'malformed-request');
    }
  });

  it('rejects oversized, non-UTF-8, NUL-containing and BOM-prefixed input', async () => {
    expectFailure(await first('SCRAM-SHA-256', `n,,n=user,r=${'a'.repeat(SCRAM_MAX_MESSAGE_BYTES)}`), 'malformed-request');
    expectFailure(await first('SCRAM-SHA-256', Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xff, 0x2c, 0x72, 0x3d, 0x61])), 'malformed-request');
    expectFailure(await first('SCRAM-SHA-256', 'n,,n=us\u0000er,r=abc'), 'malformed-request');
    expectFailure(await first('SCRAM-SHA-256', '\uFEFFn,,n=user,r=abc'), 'malformed-request');
  });

  it('refuses a second empty message and any message after the end', async () => {
    const mech = factories['SCRAM-SHA-256'].create(makeCtx(users));
    challenge(await mech.step(Buffer.alloc(0)));
    expectFailure(await mech.step(Buffer.alloc(0)), 'malformed-request');
    const done = factories['SCRAM-SHA-256'].create(makeCtx(users));
    expect((await fullLogin(done, new TestClient('SHA-256', 'user', 'pencil'))).kind).to.equal('success');
    expectFailure(await done.step(Buffer.from('n,,n=user,r=abc')), 'malformed-request');
  });

  it('never throws on random or mutated input', async () => {
    const seedFirst = Buffer.from('n,a=user@example.com,n=user,r=abcdef,x=1');
    for (let i = 0; i < 400; i++) {
      const name = (Object.keys(factories) as (keyof typeof factories)[])[i % 4]!;
      const cb = fakeCb(['tls-exporter', 'tls-server-end-point']);
      const mech = factories[name].create(makeCtx(users, cb));
      let input: Buffer;
      if (i % 2) input = randomBytes(i % 64);
      else {
        input = Buffer.from(seedFirst);
        for (let k = 0; k < 3; k++) input[Math.floor(Math.random() * input.length)] = Math.floor(Math.random() * 256);
      }
      const step = await mech.step(input);
      expect(['challenge', 'failure']).to.include(step.kind);
      if (step.kind === 'challenge' && step.data.length > 0) {
        const again = await mech.step(randomBytes(40));
        expect(again.kind).to.equal('failure');
      }
    }
  });
});

// ---- offering and channel binding -----------------------------------------------------------------------------------

describe('SASL mechanism offering', () => {
  const names = (l: { name: string }[]) => l.map((m) => m.name);

  it('defaultMechanisms is in preference order', () => {
    expect(names(defaultMechanisms)).to.deep.equal(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
  });

  it('offers -PLUS only with tls-exporter or tls-server-end-point, PLAIN only over TLS and when allowed', () => {
    expect(names(offeredMechanisms(defaultMechanisms, { secure: false, channelBinding: noChannelBinding, allowPlain: true })))
      .to.deep.equal(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    expect(names(offeredMechanisms(defaultMechanisms, { secure: true, channelBinding: fakeCb(['tls-unique']), allowPlain: true })))
      .to.deep.equal(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    expect(names(offeredMechanisms(defaultMechanisms, { secure: true, channelBinding: fakeCb(['tls-server-end-point']), allowPlain: false })))
      .to.deep.equal(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1']);
    expect(names(offeredMechanisms(defaultMechanisms, { secure: true, channelBinding: fakeCb(['tls-exporter']), allowPlain: true })))
      .to.have.length(5);
  });

  it('noChannelBinding has no types and no data', () => {
    expect(noChannelBinding.types).to.deep.equal([]);
    expect(noChannelBinding.data('tls-exporter')).to.equal(null);
  });
});

describe('tlsChannelBinding over a real TLS connection', function () {
  this.timeout(20_000);
  let dir: string;
  const certs: Record<string, { key: Buffer; cert: Buffer }> = {};

  before(function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-cb-'));
    const make = (name: string, keyArgs: string[], digest: string[]) => {
      const key = path.join(dir, `${name}.key`);
      const crt = path.join(dir, `${name}.crt`);
      execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', key, '-out', crt, ...digest,
        '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      certs[name] = { key: fs.readFileSync(key), cert: fs.readFileSync(crt) };
    };
    make('ec256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-sha256']);
    make('ec384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], ['-sha384']);
    make('ed25519', ['-newkey', 'ed25519'], []);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function connect(name: string, maxVersion: tls.SecureVersion) {
    const { key, cert } = certs[name]!;
    let serverSocket!: tls.TLSSocket;
    const server = tls.createServer({ key, cert, minVersion: 'TLSv1.2', maxVersion }, () => {});
    const serverReady = new Promise<void>((resolve) => server.once('secureConnection', (s) => { serverSocket = s; resolve(); }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion });
    await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
    await serverReady;
    return {
      server: serverSocket,
      client,
      close: async () => {
        client.destroy();
        serverSocket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('TLS 1.3: tls-exporter equals the client side, tls-server-end-point hashes our cert with SHA-256', async () => {
    const c = await connect('ec256', 'TLSv1.3');
    try {
      const cb = tlsChannelBinding(c.server);
      expect(cb.types).to.deep.equal(['tls-exporter', 'tls-server-end-point']);
      expect(cb.data('tls-exporter')).to.deep.equal(c.client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)));
      const peer = c.client.getPeerX509Certificate()!.raw;
      expect(cb.data('tls-server-end-point')).to.deep.equal(createHash('sha256').update(peer).digest());
      expect(cb.data('tls-unique')).to.equal(null);
    } finally {
      await c.close();
    }
  });

  it('TLS 1.2: tls-unique is the client Finished, no tls-exporter', async () => {
    const c = await connect('ec256', 'TLSv1.2');
    try {
      const cb = tlsChannelBinding(c.server);
      expect(cb.types).to.deep.equal(['tls-server-end-point', 'tls-unique']);
      expect(cb.data('tls-exporter')).to.equal(null);
      expect(cb.data('tls-unique')).to.deep.equal(c.client.getFinished());
      expect(cb.data('tls-unique')!.length).to.equal(12);
    } finally {
      await c.close();
    }
  });

  it('a SHA-384 signature gives a SHA-384 tls-server-end-point; Ed25519 gives none', async () => {
    const der384 = new (await import('node:crypto')).X509Certificate(certs.ec384!.cert).raw;
    expect(endPointHashName(der384)).to.equal('sha384');
    expect(serverEndPointBinding(der384)).to.deep.equal(createHash('sha384').update(der384).digest());
    const c = await connect('ed25519', 'TLSv1.3');
    try {
      expect(tlsChannelBinding(c.server).types).to.deep.equal(['tls-exporter']);
    } finally {
      await c.close();
    }
  });

  it('a -PLUS login binds to the real exporter value', async () => {
    const c = await connect('ec256', 'TLSv1.3');
    try {
      const mech = factories['SCRAM-SHA-256-PLUS'].create(makeCtx(users, tlsChannelBinding(c.server)));
      const cbData = c.client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
      const end = await fullLogin(mech, new TestClient('SHA-256', 'user', 'pencil', { gs2: 'p=tls-exporter,,', cbData }));
      expect(end.kind).to.equal('success');
    } finally {
      await c.close();
    }
  });

  it('types is empty before the handshake', () => {
    const sock = new tls.TLSSocket(new net.Socket(), { isServer: true });
    expect(tlsChannelBinding(sock).types).to.deep.equal([]);
    sock.destroy();
  });
});

describe('SCRAM: cost of one login on the server', () => {
  it('measures the server-side work of one SCRAM-SHA-256 login', async () => {
    const ctx = makeCtx(users);
    const n = 300;
    // Pre-compute the client side (PBKDF2) so only the server is timed.
    const salt = Buffer.from(users.user!['SHA-256'].salt, 'base64');
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    let total = 0n;
    for (let i = 0; i < n; i++) {
      const client = new TestClient('SHA-256', 'user', 'pencil');
      const mech = factories['SCRAM-SHA-256'].create(ctx);
      const firstMsg = client.first();
      const t0 = process.hrtime.bigint();
      const sf = challenge(await mech.step(firstMsg));
      total += process.hrtime.bigint() - t0;
      // client-final using the precomputed salted password
      const a = parseAttrs(sf.toString());
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=biws,r=${a.r}`;
      const sig = createHmac('sha256', storedKey).update(`${client.clientFirstBare},${sf},${withoutProof}`).digest();
      const proof = Buffer.alloc(32);
      for (let k = 0; k < 32; k++) proof[k] = clientKey[k]! ^ sig[k]!;
      const finalMsg = Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
      const t1 = process.hrtime.bigint();
      const end = await mech.step(finalMsg);
      total += process.hrtime.bigint() - t1;
      expect(end.kind).to.equal('success');
    }
    const us = Number(total / BigInt(n)) / 1000;
    console.log(`      server-side SCRAM-SHA-256 login: ${us.toFixed(1)} µs (mean of ${n}, lookup is an in-memory map)`);
    expect(us).to.be.below(5000);
  });
});
