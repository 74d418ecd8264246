// A token bucket for the per-occupant message rate. The rate may change while the bucket lives (the room's
// owner lowers the room's limits): take() is given the rate in force, else the one the bucket was made with.
export interface Rate {
  perSecond: number;
  burst: number;
}

export class TokenBucket {
  #tokens: number;
  #last = Date.now();
  readonly #rate: Rate;

  constructor(perSecond: number, burst: number) {
    this.#rate = { perSecond, burst };
    this.#tokens = burst;
  }

  /** Takes one token; false when the bucket is empty. */
  take(rate: Rate = this.#rate, now = Date.now()): boolean {
    this.#tokens = Math.min(rate.burst, this.#tokens + ((now - this.#last) / 1000) * rate.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
