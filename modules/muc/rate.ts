// A token bucket for the per-occupant message rate.
export class TokenBucket {
  #tokens: number;
  #last = Date.now();

  constructor(private readonly perSecond: number, private readonly burst: number) {
    this.#tokens = burst;
  }

  /** Takes one token; false when the bucket is empty. */
  take(now = Date.now()): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
