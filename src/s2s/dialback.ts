// XEP-0220 dialback keys, generated as XEP-0185 recommends: HMAC-SHA256 keyed with SHA-256(secret) over
// "<receiving> <originating> <stream id>", in hex. Only the server that made a key ever checks it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export class DialbackKeys {
  readonly #key: Buffer;

  constructor(secret: Buffer) {
    this.#key = createHash('sha256').update(secret).update('xmpp-dialback').digest();
  }

  make(receiving: string, originating: string, streamId: string): string {
    return createHmac('sha256', this.#key).update(`${receiving} ${originating} ${streamId}`).digest('hex');
  }

  check(receiving: string, originating: string, streamId: string, key: string): boolean {
    const expected = Buffer.from(this.make(receiving, originating, streamId));
    const given = Buffer.from(key.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
