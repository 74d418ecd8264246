// XEP-0484 FAST over real sockets: a token requested with a password login, a one-round-trip reconnect with it
// (HT-SHA-256-NONE and channel-bound -ENDP, the server proving it knows the token), rotation (the old token stays
// good until the new one is used, then is refused), the replay counter, invalidation, revocation by a password change,
// and refusals.
import { expect } from 'chai';
import { deriveCredentials } from '../../src/auth/credentials.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { BIND2, FAST, fastSasl2, open, scramSasl2, tokenOf, userAgent } from '../helpers/sasl2.js';
import { SM } from '../helpers/sm.js';
import type { RawClient } from '../helpers/raw-client.js';

const MODULES = { message: {}, offline: {}, presence: {}, roster: {}, disco: {}, ping: {}, sm: {}, csi: {}, sasl2: {} };
const UA = '0b7d1c62-2b58-4a4e-9d49-6d3f5d1c8a11';

describe('XEP-0484 FAST tokens', function () {
  this.timeout(20000);
  let t: TestServer;
  const clients: RawClient[] = [];

  beforeEach(async () => {
    t = await startTestServer({ modules: MODULES });
    await t.addUser('alice', 'pw');
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await t.stop();
  });

  async function conn(): Promise<RawClient> {
    const { client } = await open(t.c2sPort);
    clients.push(client);
    return client;
  }

  async function passwordLoginWithToken(mechanism = 'HT-SHA-256-NONE'): Promise<string> {
    const r = await scramSasl2(await conn(), { username: 'alice', password: 'pw', inline: `${userAgent(UA)}<request-token xmlns='${FAST}' mechanism='${mechanism}'/>` });
    expect(r.ok).to.equal(true);
    const tok = tokenOf(r.answer);
    expect(tok, r.answer).to.not.equal(null);
    expect(Date.parse(tok!.expiry)).to.be.greaterThan(Date.now() + 86_400_000);
    return tok!.token;
  }

  const fastLogin = async (token: string, count: number, extra = '', mechanism?: 'HT-SHA-256-NONE' | 'HT-SHA-256-ENDP') =>
    fastSasl2(await conn(), { username: 'alice', token, mechanism, inline: `${userAgent(UA)}<fast xmlns='${FAST}' count='${count}'/>${extra}` });

  it('reconnects in one round trip with a token, binding and enabling SM inline', async () => {
    const token = await passwordLoginWithToken();
    const r = await fastLogin(token, 1, `<bind xmlns='${BIND2}'><tag>App</tag><enable xmlns='${SM}' resume='true'/></bind>`);
    expect(r.ok, r.answer).to.equal(true);
    expect(r.answer).to.match(/<authorization-identifier>alice@localhost\/App\.[0-9a-f]{12}<\/authorization-identifier>/);
    expect(r.answer).to.match(/<enabled xmlns=["']urn:xmpp:sm:3["'] id=/);
    expect(tokenOf(r.answer)).to.equal(null);   // not asked for, not aging: no new token
  });

  it('HT-SHA-256-ENDP binds the token to the TLS certificate; a proof made without the binding is refused', async () => {
    const token = await passwordLoginWithToken('HT-SHA-256-ENDP');
    expect((await fastLogin(token, 1, '', 'HT-SHA-256-ENDP')).ok).to.equal(true);
    const bad = await fastSasl2(await conn(), { username: 'alice', token, mechanism: 'HT-SHA-256-ENDP', cbData: Buffer.alloc(0), inline: `${userAgent(UA)}<fast xmlns='${FAST}' count='2'/>` });
    expect(bad.ok).to.equal(false);
    expect(bad.answer).to.contain('not-authorized');
    // A token issued for -ENDP is not good for -NONE.
    expect((await fastLogin(token, 3, '', 'HT-SHA-256-NONE')).ok).to.equal(false);
  });

  it('rotates: the old token works until the new one is used, and is refused afterwards', async () => {
    const t1 = await passwordLoginWithToken();
    const r = await fastLogin(t1, 1, `<request-token xmlns='${FAST}' mechanism='HT-SHA-256-NONE'/>`);
    expect(r.ok).to.equal(true);
    const t2 = tokenOf(r.answer)!.token;
    expect(t2).to.not.equal(t1);
    // The client may not have received t2: t1 is still good.
    expect((await fastLogin(t1, 2)).ok).to.equal(true);
    expect((await fastLogin(t2, 3)).ok).to.equal(true);
    const old = await fastLogin(t1, 4);
    expect(old.ok).to.equal(false);
    expect(old.answer).to.contain('not-authorized');
  });

  it('refuses a replayed count', async () => {
    const token = await passwordLoginWithToken();
    expect((await fastLogin(token, 5)).ok).to.equal(true);
    const replay = await fastLogin(token, 5);
    expect(replay.ok).to.equal(false);
    expect(replay.answer).to.contain('not-authorized');
    expect((await fastLogin(token, 4)).ok).to.equal(false);
    expect((await fastLogin(token, 6)).ok).to.equal(true);
  });

  it('invalidates the token on request; a new password login replaces older tokens', async () => {
    const token = await passwordLoginWithToken();
    const r = await fastLogin(token, 1, '');
    expect(r.ok).to.equal(true);
    const inv = await fastSasl2(await conn(), { username: 'alice', token, inline: `${userAgent(UA)}<fast xmlns='${FAST}' count='2' invalidate='true'/>` });
    expect(inv.ok).to.equal(true);
    expect(tokenOf(inv.answer)).to.equal(null);
    expect((await fastLogin(token, 3)).ok).to.equal(false);
    const a = await passwordLoginWithToken();
    const b = await passwordLoginWithToken();
    expect((await fastLogin(a, 1)).ok).to.equal(false);
    expect((await fastLogin(b, 1)).ok).to.equal(true);
  });

  it('a password change revokes the tokens issued before it', async () => {
    const token = await passwordLoginWithToken();
    expect((await fastLogin(token, 1)).ok).to.equal(true);
    await t.server.storage.accounts.setCredentials('localhost', 'alice', await deriveCredentials('new-pw', 4096));
    const after = await fastLogin(token, 2);
    expect(after.ok).to.equal(false);
    expect(after.answer).to.contain('not-authorized');
  });

  it('refuses a token without a user agent, from another user agent, or a made-up one', async () => {
    const token = await passwordLoginWithToken();
    const noUa = await fastSasl2(await conn(), { username: 'alice', token });
    expect(noUa.answer).to.contain('invalid-mechanism');
    const other = await fastSasl2(await conn(), { username: 'alice', token, inline: userAgent('another-device') });
    expect(other.answer).to.contain('not-authorized');
    const madeUp = await fastSasl2(await conn(), { username: 'alice', token: 'x'.repeat(43), inline: userAgent(UA) });
    expect(madeUp.answer).to.contain('not-authorized');
    const nobody = await fastSasl2(await conn(), { username: 'mallory', token, inline: userAgent(UA) });
    expect(nobody.answer).to.contain('not-authorized');
  });
});
