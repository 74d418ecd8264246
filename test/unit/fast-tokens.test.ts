// XEP-0484 token bookkeeping on the in-memory store: candidates, expiry, credential stamps, aging, rotation slots, the
// replay counter.
import { expect } from 'chai';
import { MemoryStorage } from '../../src/storage/memory/driver.js';
import type { MapStore } from '../../src/storage/types.js';
import { FastTokens, type TokenRecord } from '../../modules/sasl2/tokens.js';

const DAY = 86_400_000;

describe('FAST tokens', () => {
  let tokens: FastTokens;
  beforeEach(() => {
    tokens = new FastTokens(new MemoryStorage().open('h', 'sasl2_fast', 'map') as MapStore<TokenRecord>, 10 * DAY);
  });

  it('offers unexpired tokens of the mechanism and user agent, current first', async () => {
    const t0 = 1_000_000;
    const a = await tokens.issue('alice', 'ua', 'HT-SHA-256-NONE', null, 'S', t0);
    expect(await tokens.candidates('alice', 'ua', 'HT-SHA-256-NONE', 'S', t0 + 1)).to.deep.equal([{ id: 'current', token: a.token }]);
    expect(await tokens.candidates('alice', 'ua', 'HT-SHA-256-ENDP', 'S', t0 + 1)).to.deep.equal([]);
    expect(await tokens.candidates('alice', 'other', 'HT-SHA-256-NONE', 'S', t0 + 1)).to.deep.equal([]);
    expect(await tokens.candidates('bob', 'ua', 'HT-SHA-256-NONE', 'S', t0 + 1)).to.deep.equal([]);
    expect(await tokens.candidates('alice', 'ua', 'HT-SHA-256-NONE', 'S', t0 + 10 * DAY)).to.deep.equal([]);
    // Issued under another credential stamp (the password changed since): not offered.
    expect(await tokens.candidates('alice', 'ua', 'HT-SHA-256-NONE', 'T', t0 + 1)).to.deep.equal([]);
  });

  it('ages past half its life', async () => {
    await tokens.issue('alice', 'ua', 'HT-SHA-256-NONE', null, 'S', 0);
    expect(await tokens.aging('alice', 'ua', 'current', 4 * DAY)).to.equal(false);
    expect(await tokens.aging('alice', 'ua', 'current', 6 * DAY)).to.equal(true);
  });

  it('keeps the proven token as previous on rotation; using the new one retires it', async () => {
    const a = await tokens.issue('alice', 'ua', 'HT-SHA-256-NONE', null, 'S', 0);
    const b = await tokens.issue('alice', 'ua', 'HT-SHA-256-NONE', 'current', 'S', 1);
    expect((await tokens.candidates('alice', 'ua', 'HT-SHA-256-NONE', 'S', 2)).map((c) => c.token)).to.deep.equal([b.token, a.token]);
    expect(await tokens.use('alice', 'ua', 'current', null)).to.equal(true);
    expect((await tokens.candidates('alice', 'ua', 'HT-SHA-256-NONE', 'S', 2)).map((c) => c.token)).to.deep.equal([b.token]);
  });

  it('a password login (no kept slot) starts over, and the count must grow', async () => {
    await tokens.issue('alice', 'ua', 'HT-SHA-256-NONE', null, 'S', 0);
    expect(await tokens.use('alice', 'ua', 'current', 3)).to.equal(true);
    expect(await tokens.use('alice', 'ua', 'current', 3)).to.equal(false);
    expect(await tokens.use('alice', 'ua', 'current', 2)).to.equal(false);
    expect(await tokens.use('alice', 'ua', 'current', 4)).to.equal(true);
    const fresh = await tokens.issue('alice', 'ua', 'HT-SHA-256-NONE', null, 'S', 5);
    expect((await tokens.candidates('alice', 'ua', 'HT-SHA-256-NONE', 'S', 6)).map((c) => c.token)).to.deep.equal([fresh.token]);
    expect(await tokens.use('alice', 'ua', 'current', 1)).to.equal(true);
    await tokens.invalidate('alice', 'ua');
    expect(await tokens.candidates('alice', 'ua', 'HT-SHA-256-NONE', 'S', 6)).to.deep.equal([]);
    expect(await tokens.use('alice', 'ua', 'current', 2)).to.equal(false);
  });
});
