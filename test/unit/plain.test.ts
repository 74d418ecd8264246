import { expect } from 'chai';
import { deriveCredentials } from '../../src/auth/credentials.js';
import { noChannelBinding } from '../../src/auth/mechanisms.js';
import { PlainMechanismFactory, PLAIN_MAX_MESSAGE_BYTES } from '../../src/auth/plain.js';
import type { SaslContext, SaslStep, StoredCredentials } from '../../src/auth/types.js';

const plain = new PlainMechanismFactory({ fakeIterations: 4096 });
const users: Record<string, StoredCredentials> = { juliet: await deriveCredentials('r0m30', 4096) };

function ctx(overrides: Partial<SaslContext> = {}): SaslContext {
  return {
    host: 'capulet.example',
    lookup: async (u) => users[u] ?? null,
    channelBinding: noChannelBinding,
    secret: Buffer.alloc(32, 7),
    ...overrides,
  };
}

const msg = (authzid: string, authcid: string, pw: string) => Buffer.from(`${authzid}\u0000${authcid}\u0000${pw}`);
const run = (data: Buffer, c = ctx()) => plain.create(c).step(data);

function expectFailure(step: SaslStep, condition: string): void {
  expect(step.kind, JSON.stringify(step)).to.equal('failure');
  if (step.kind === 'failure') expect(step.condition).to.equal(condition);
}

describe('PLAIN', () => {
  it('is offered only on secure connections', () => {
    expect(plain.name).to.equal('PLAIN');
    expect(plain.available({ secure: false, channelBinding: noChannelBinding })).to.equal(false);
    expect(plain.available({ secure: true, channelBinding: noChannelBinding })).to.equal(true);
  });

  it('logs in with the right password (username prepared)', async () => {
    expect(await run(msg('', 'juliet', 'r0m30'))).to.deep.equal({ kind: 'success', username: 'juliet' });
    expect(await run(msg('', 'Juliet', 'r0m30'))).to.deep.equal({ kind: 'success', username: 'juliet' });
  });

  it('accepts the own bare JID as authzid', async () => {
    expect((await run(msg('juliet@capulet.example', 'juliet', 'r0m30'))).kind).to.equal('success');
  });

  it('an authzid of another user is invalid-authzid, even with the right password', async () => {
    for (const a of ['romeo@capulet.example', 'juliet@montague.example', 'juliet@capulet.example/balcony', 'romeo']) {
      expect(await run(msg(a, 'juliet', 'r0m30'))).to.deep.include({ kind: 'failure', condition: 'invalid-authzid', username: 'juliet' });
    }
  });

  it('wrong password and unknown user fail the same way', async () => {
    const wrong = await run(msg('', 'juliet', 'nope'));
    const unknown = await run(msg('', 'nobody', 'nope'));
    expect(wrong).to.deep.equal({ kind: 'failure', condition: 'not-authorized', username: 'juliet' });
    expect(unknown).to.deep.equal({ kind: 'failure', condition: 'not-authorized', username: 'nobody' });
    expect(await run(msg('', 'not@a-localpart', 'nope'))).to.deep.include({ kind: 'failure', condition: 'not-authorized' });
  });

  it('takes about as long for an unknown user as for a wrong password (fake PBKDF2)', async () => {
    const median = async (authcid: string) => {
      const times: number[] = [];
      for (let i = 0; i < 9; i++) {
        const t0 = process.hrtime.bigint();
        await run(msg('', authcid, 'nope'));
        times.push(Number(process.hrtime.bigint() - t0));
      }
      return times.sort((a, b) => a - b)[4]!;
    };
    const known = await median('juliet');
    const unknown = await median('nobody');
    expect(unknown / known).to.be.within(0.2, 5);
  });

  it('rejects malformed messages with malformed-request', async () => {
    const bad = [
      Buffer.from('juliet r0m30'),
      Buffer.from('\u0000juliet'),
      Buffer.from('\u0000juliet\u0000r0m30\u0000'),
      msg('', '', 'r0m30'),
      msg('', 'juliet', ''),
      msg('', 'jul\u0007iet', 'r0m30'),
      Buffer.concat([Buffer.from('\u0000juliet\u0000'), Buffer.from([0xc3, 0x28])]),
      msg('', 'juliet', 'x'.repeat(PLAIN_MAX_MESSAGE_BYTES)),
    ];
    for (const data of bad) expectFailure(await run(data), 'malformed-request');
  });

  it('an empty initial response gets an empty challenge; the exchange is single-use', async () => {
    const mech = plain.create(ctx());
    const first = await mech.step(Buffer.alloc(0));
    expect(first.kind).to.equal('challenge');
    expect((await mech.step(msg('', 'juliet', 'r0m30'))).kind).to.equal('success');
    expectFailure(await mech.step(msg('', 'juliet', 'r0m30')), 'malformed-request');
  });

  it('a storage error gives temporary-auth-failure, never a throw', async () => {
    const c = ctx({ lookup: async () => { throw new Error('db down'); } });
    expectFailure(await run(msg('', 'juliet', 'r0m30'), c), 'temporary-auth-failure');
  });
});
