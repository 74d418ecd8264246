// Token buckets keyed by account or address: `capacity` tokens, refilled at `rate` per second.
interface Bucket { tokens: number; at: number }

export class Buckets {
  #map = new Map<string, Bucket>();
  constructor(private readonly rate: number, private readonly capacity: number) {}

  /** Takes `n` tokens for `key`; false (taking nothing) when there are not enough. */
  take(key: string, n: number, now = performance.now()): boolean {
    let b = this.#map.get(key);
    if (!b) {
      b = { tokens: this.capacity, at: now };
      this.#map.set(key, b);
    } else {
      b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.rate);
      b.at = now;
    }
    if (b.tokens < n) return false;
    b.tokens -= n;
    return true;
  }

  /** Forgets buckets that have refilled completely (they are equivalent to new ones). */
  sweep(now = performance.now()): void {
    for (const [k, b] of this.#map) if (b.tokens + ((now - b.at) / 1000) * this.rate >= this.capacity) this.#map.delete(k);
  }

  get size(): number {
    return this.#map.size;
  }
}
