import { expect } from 'chai';
import { addressKey, LoginThrottle } from '../../src/auth/throttle.js';

function setup(extra: { maxEntries?: number; trustMs?: number } = {}) {
  const clock = { t: 1_000_000 };
  const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, delayMs: 1000, now: () => clock.t, ...extra });
  return { clock, throttle };
}

describe('LoginThrottle', () => {
  it('delays every failure by the same amount, known account or not', () => {
    const { throttle } = setup();
    expect(throttle.recordFailure('10.0.0.1', 'juliet@capulet.example')).to.equal(1000);
    expect(throttle.recordFailure('10.0.0.2', 'nobody@capulet.example')).to.equal(1000);
    expect(throttle.recordFailure('10.0.0.3')).to.equal(1000);
  });

  it('refuses an address after maxFailures within the window, until the window passes', () => {
    const { clock, throttle } = setup();
    expect(throttle.check('10.0.0.1')).to.deep.equal({ allowed: true, retryAfterMs: 0 });
    throttle.recordFailure('10.0.0.1', 'a@x');
    clock.t += 10_000;
    throttle.recordFailure('10.0.0.1', 'b@x');
    clock.t += 10_000;
    expect(throttle.check('10.0.0.1').allowed).to.equal(true);
    throttle.recordFailure('10.0.0.1', 'c@x');
    const refused = throttle.check('10.0.0.1');
    expect(refused.allowed).to.equal(false);
    expect(refused.retryAfterMs).to.equal(40_000);          // the first failure leaves the window in 40 s
    expect(throttle.check('10.0.0.2').allowed).to.equal(true);   // other addresses are not affected
    clock.t += 39_999;
    expect(throttle.check('10.0.0.1')).to.deep.equal({ allowed: false, retryAfterMs: 1 });
    clock.t += 1;
    expect(throttle.check('10.0.0.1')).to.deep.equal({ allowed: true, retryAfterMs: 0 });
  });

  it('the window slides: spread-out failures never lock', () => {
    const { clock, throttle } = setup();
    for (let i = 0; i < 20; i++) {
      throttle.recordFailure('10.0.0.1', 'juliet@x');
      expect(throttle.check('10.0.0.1', 'juliet@x').allowed).to.equal(true);
      clock.t += 30_001;
    }
  });

  it('locks an account attacked from many addresses, separately from the addresses', () => {
    const { throttle } = setup();
    throttle.recordFailure('10.0.0.1', 'juliet@x');
    throttle.recordFailure('10.0.0.2', 'juliet@x');
    throttle.recordFailure('10.0.0.3', 'juliet@x');
    expect(throttle.check('10.0.0.4').allowed).to.equal(true);
    expect(throttle.check('10.0.0.4', 'juliet@x').allowed).to.equal(false);
    expect(throttle.check('10.0.0.4', 'romeo@x').allowed).to.equal(true);
  });

  it('does not lock the owner out from an address they logged in from', () => {
    const { clock, throttle } = setup();
    throttle.recordSuccess('192.0.2.7', 'juliet@x');
    clock.t += 1000;
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) throttle.recordFailure(ip, 'juliet@x');
    expect(throttle.check('10.0.0.9', 'juliet@x').allowed).to.equal(false);
    expect(throttle.check('192.0.2.7', 'juliet@x').allowed).to.equal(true);
  });

  it('trust expires after trustMs', () => {
    const { clock, throttle } = setup({ trustMs: 5000 });
    throttle.recordSuccess('192.0.2.7', 'juliet@x');
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) throttle.recordFailure(ip, 'juliet@x');
    expect(throttle.check('192.0.2.7', 'juliet@x').allowed).to.equal(true);
    clock.t += 5000;
    expect(throttle.check('192.0.2.7', 'juliet@x').allowed).to.equal(false);
  });

  it('success does not wipe an address record (no reset by logging in to an own account)', () => {
    const { throttle } = setup();
    throttle.recordFailure('10.0.0.1', 'victim@x');
    throttle.recordFailure('10.0.0.1', 'victim@x');
    throttle.recordSuccess('10.0.0.1', 'attacker@x');
    throttle.recordFailure('10.0.0.1', 'victim@x');
    expect(throttle.check('10.0.0.1').allowed).to.equal(false);
  });

  it('groups IPv6 by /64 and treats IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('::ffff:192.0.2.1')).to.equal('192.0.2.1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    const { throttle } = setup();
    throttle.recordFailure('2001:db8:1:2::a');
    throttle.recordFailure('2001:db8:1:2::b');
    throttle.recordFailure('2001:db8:1:2::c');
    expect(throttle.check('2001:db8:1:2::d').allowed).to.equal(false);
    expect(throttle.check('2001:db8:1:3::d').allowed).to.equal(true);
  });

  it('stays bounded under a flood from many addresses, dropping the oldest entries', () => {
    const { clock, throttle } = setup({ maxEntries: 1000 });
    // The attacker we care about is locked first...
    for (let i = 0; i < 3; i++) throttle.recordFailure('203.0.113.9', 'juliet@x');
    for (let i = 0; i < 100_000; i++) {
      throttle.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `user${i}@x`);
      if (i % 10 === 0) throttle.recordSuccess(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `user${i}@x`);
      if (i % 1000 === 0) clock.t += 1;
    }
    // 3 tables (addresses, accounts, trusted pairs), each capped.
    expect(throttle.size).to.be.at.most(3000);
    // ...and the most recent flooders are still tracked.
    expect(throttle.check('10.1.134.159').allowed).to.equal(true);
    throttle.recordFailure('10.1.134.159');
    throttle.recordFailure('10.1.134.159');
    expect(throttle.check('10.1.134.159').allowed).to.equal(false);
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 50_000; i++) throttle.recordFailure(`172.16.${(i >> 8) & 255}.${i & 255}`, `other${i}@x`);
    expect(throttle.size).to.be.at.most(3000);
    expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(50 * 1024 * 1024);
  });

  it('prune() drops expired entries', () => {
    const { clock, throttle } = setup({ trustMs: 1000 });
    throttle.recordFailure('10.0.0.1', 'a@x');
    throttle.recordSuccess('10.0.0.2', 'b@x');
    expect(throttle.size).to.equal(3);
    clock.t += 60_000;
    throttle.prune();
    expect(throttle.size).to.equal(0);
  });

  it('refuses nonsensical options', () => {
    expect(() => new LoginThrottle({ maxFailures: 0, windowMs: 1, delayMs: 0 })).to.throw(RangeError);
    expect(() => new LoginThrottle({ maxFailures: 1, windowMs: -1, delayMs: 0 })).to.throw(RangeError);
  });
});
