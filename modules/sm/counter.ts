// XEP-0198 §4 counters: unsigned 32-bit sequence numbers that wrap, and the queue of stanzas the client has
// not acknowledged yet. Pure bookkeeping, no I/O.
import type { Element } from 'ltx';

export const MOD = 2 ** 32;

/** Parses an `h` attribute: a decimal unsigned 32-bit integer, else null. */
export function parseH(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return null;
  const n = Number(v);
  return n < MOD ? n : null;
}

export type AckOutcome = { ok: true; removed: number } | { ok: false; sent: number };

/** Outbound side: what was sent, what the client has acknowledged, and the stanzas in between, oldest first. */
export class OutboundQueue {
  /** Stanzas sent, mod 2^32. */
  sent = 0;
  /** The client's last acknowledged h. */
  acked = 0;
  readonly items: Element[] = [];

  push(el: Element): void {
    this.items.push(el);
    this.sent = (this.sent + 1) % MOD;
  }

  /** Applies the client's h: drops the stanzas it covers; refuses an h that acknowledges more than was sent. */
  ack(h: number): AckOutcome {
    const removed = (h - this.acked + MOD) % MOD;
    if (removed > this.items.length) return { ok: false, sent: this.sent };
    this.items.splice(0, removed);
    this.acked = h;
    return { ok: true, removed };
  }

  /** Takes every unacknowledged stanza out (to resend them or to hand them elsewhere); the count restarts at `acked`. */
  drain(): Element[] {
    const out = this.items.splice(0);
    this.sent = this.acked;
    return out;
  }
}
