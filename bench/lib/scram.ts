// The client side of SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677) for the load generator. No channel binding
// (gs2 flag 'n'). PBKDF2 runs on the libuv pool (async), so many logins in flight do not stall the event loop.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

function algo(mech: ScramMechanism): { name: 'sha1' | 'sha256'; len: number } {
  return mech === 'SCRAM-SHA-1' ? { name: 'sha1', len: 20 } : { name: 'sha256', len: 32 };
}

// SaltedPassword per (mechanism, password, salt, iterations). Real clients cache it too (RFC 5802 §5.1 suggests caching
// ClientKey/ServerKey), and without it the load generator's PBKDF2, not the server, bounds the login rate on a
// 2-core machine. Scenarios do an unmeasured first pass so that every server gets the same warm cache.
const saltedCache = new Map<string, Buffer>();
const CACHE_MAX = 100_000;

function saslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export class ScramSession {
  readonly #mech: ScramMechanism;
  readonly #password: string;
  readonly #bare: string;
  readonly #nonce: string;
  #serverSignature: Buffer | null = null;

  constructor(mech: ScramMechanism, username: string, password: string) {
    this.#mech = mech;
    this.#password = password;
    this.#nonce = randomBytes(18).toString('base64');
    this.#bare = `n=${saslName(username)},r=${this.#nonce}`;
  }

  /** client-first-message, base64 */
  first(): string {
    return Buffer.from(`n,,${this.#bare}`).toString('base64');
  }

  /** client-final-message (base64) from the base64 server-first-message. */
  async final(serverFirstB64: string): Promise<string> {
    const serverFirst = Buffer.from(serverFirstB64, 'base64').toString();
    const attrs = new Map<string, string>();
    for (const part of serverFirst.split(',')) attrs.set(part.slice(0, 1), part.slice(2));
    const nonce = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.#nonce) || !(iterations > 0)) throw new Error(`bad server-first-message: ${serverFirst}`);
    const { name, len } = algo(this.#mech);
    const cacheKey = `${this.#mech}\0${this.#password}\0${attrs.get('s')}\0${iterations}`;
    let salted = saltedCache.get(cacheKey);
    if (!salted) {
      salted = await new Promise<Buffer>((resolve, reject) => {
        pbkdf2(this.#password, salt, iterations, len, name, (err, key) => (err ? reject(err) : resolve(key)));
      });
      if (saltedCache.size >= CACHE_MAX) saltedCache.clear();
      saltedCache.set(cacheKey, salted);
    }
    const clientKey = createHmac(name, salted).update('Client Key').digest();
    const storedKey = createHash(name).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#bare},${serverFirst},${withoutProof}`;
    const clientSignature = createHmac(name, storedKey).update(authMessage).digest();
    for (let i = 0; i < clientKey.length; i++) clientKey[i]! ^= clientSignature[i]!;
    const serverKey = createHmac(name, salted).update('Server Key').digest();
    this.#serverSignature = createHmac(name, serverKey).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${clientKey.toString('base64')}`).toString('base64');
  }

  /** True when the base64 server-final-message (v=...) proves the server knew the keys. */
  verify(successB64: string): boolean {
    const text = Buffer.from(successB64, 'base64').toString();
    if (!text.startsWith('v=') || !this.#serverSignature) return false;
    const got = Buffer.from(text.slice(2), 'base64');
    return got.length === this.#serverSignature.length && timingSafeEqual(got, this.#serverSignature);
  }
}
