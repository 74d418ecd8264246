// Successful registrations per client IP within a sliding window (SECURITY-NOTES §14).
export class RegistrationLimiter {
  #byIp = new Map<string, number[]>();

  constructor(private readonly max: number, private readonly windowMs: number) {}

  #recent(ip: string, now: number): number[] {
    const list = (this.#byIp.get(ip) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.#byIp.set(ip, list);
    else this.#byIp.delete(ip);
    return list;
  }

  allowed(ip: string, now = Date.now()): boolean {
    return this.#recent(ip, now).length < this.max;
  }

  /** Counts a registration now (before the account is created, so parallel attempts see it). */
  record(ip: string, now = Date.now()): number {
    this.#byIp.set(ip, [...this.#recent(ip, now), now]);
    return now;
  }

  /** Takes back a recorded registration that did not happen after all. */
  release(ip: string, at: number): void {
    const list = this.#byIp.get(ip);
    const i = list?.indexOf(at) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  /** Drops expired entries (run periodically so the map does not grow with every address seen). */
  sweep(now = Date.now()): void {
    for (const ip of [...this.#byIp.keys()]) this.#recent(ip, now);
  }
}
