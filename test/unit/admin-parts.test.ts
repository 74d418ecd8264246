// Pure parts of the admin and moderation code: scope checks, token buckets, the content filter, API tokens.
import { expect } from 'chai';
import { allows } from '../../src/admin/registry.js';
import { TokenStore } from '../../src/admin/tokens.js';
import { openStorage } from '../../src/storage/index.js';
import { Buckets } from '../../modules/admin-moderation/bucket.js';
import { compileFilter } from '../../modules/admin-moderation/filter.js';
import { filterSchema } from '../../modules/admin-moderation/options.js';

describe('admin parts', () => {
  it('scopes: exact, write implies read, * is everything, nothing else', () => {
    expect(allows(['users:read'], 'users:read')).to.equal(true);
    expect(allows(['users:write'], 'users:read')).to.equal(true);
    expect(allows(['users:read'], 'users:write')).to.equal(false);
    expect(allows(['*'], 'server:write')).to.equal(true);
    expect(allows(['users:write'], 'sessions:read')).to.equal(false);
    expect(allows([], 'users:read')).to.equal(false);
  });

  it('token buckets: a burst, then the sustained rate; full buckets are forgotten', () => {
    const b = new Buckets(2, 3);   // 2 per second, burst 3
    expect([b.take('k', 1, 0), b.take('k', 1, 0), b.take('k', 1, 0), b.take('k', 1, 0)]).to.deep.equal([true, true, true, false]);
    expect(b.take('k', 1, 499)).to.equal(false);   // 0.998 tokens
    expect(b.take('k', 1, 501)).to.equal(true);    // 1.002 tokens
    expect(b.take('other', 3, 501)).to.equal(true);
    expect(b.take('k', 5, 10_000)).to.equal(false); // never more than the burst
    expect(b.take('k', 3, 10_000)).to.equal(true);  // full again after 10 s, now empty
    b.sweep(10_000);
    expect(b.size).to.equal(1);                     // 'other' is full again, so it is forgotten; 'k' is kept
  });

  it('content filter: whole words in any case and script, regular expressions, nothing when empty', () => {
    const f = compileFilter(filterSchema.parse({ words: ['spam', 'кот'], patterns: ['buy\\s+now'] }))!;
    expect(f.matches('SPAM!')).to.equal(true);
    expect(f.matches('no spammer here')).to.equal(false);
    expect(f.matches('Кот пришёл')).to.equal(true);
    expect(f.matches('котлета')).to.equal(false);
    expect(f.matches('Buy   NOW')).to.equal(true);
    expect(f.action).to.equal('reject');
    expect(compileFilter(filterSchema.parse({}))).to.equal(null);
    expect(filterSchema.safeParse({ patterns: ['(unclosed'] }).success).to.equal(false);
  });

  it('API tokens: verified by hash, expired and revoked ones refused, malformed ones too', async () => {
    const storage = await openStorage({ driver: 'memory' });
    const tokens = new TokenStore(storage);
    const { token, info } = await tokens.create('t', ['users:read'], 1, 1_000_000);
    expect(await tokens.verify(token, 1_000_001)).to.deep.include({ ok: true });
    expect(await tokens.verify(token, 1_000_000 + 86_400_000)).to.deep.equal({ ok: false, reason: 'expired' });
    expect(await tokens.verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, 1_000_001)).to.deep.equal({ ok: false, reason: 'unknown' });
    expect(await tokens.verify('stk_nothex_x', 1_000_001)).to.deep.equal({ ok: false, reason: 'malformed' });
    expect((await tokens.list()).map((t) => t.id)).to.deep.equal([info.id]);
    expect(JSON.stringify(await tokens.list())).not.to.include(token.slice(21));
    expect(await tokens.revoke(info.id)).to.equal(true);
    expect(await tokens.verify(token, 1_000_001)).to.deep.equal({ ok: false, reason: 'unknown' });
    await storage.close();
  });
});
