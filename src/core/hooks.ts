// A typed event bus with priorities (ARCHITECTURE.md §C4): higher priority runs first, as in Prosody;
// a handler that returns true has taken the event and stops the chain. A throwing handler is logged
// and skipped (ejabberd's safe_apply). Dispatch stays synchronous until a handler returns a promise,
// so the hot path pays no microtask when nothing awaits.
import type { Logger } from '../log.js';

export type HookResult = boolean | void | undefined;
export type HookHandler<E> = (event: E) => HookResult | Promise<HookResult>;

export const PRIORITY = {
  POLICY: 1000,      // blocking, limits, privacy: runs before anything acts
  DEFAULT: 0,
  FALLBACK: -1000,   // default delivery, offline storage
} as const;

interface Registration<E> {
  fn: HookHandler<E>;
  priority: number;
  owner: string;
  seq: number;
}

export interface HookBusOptions {
  log: Logger;
  /** An async handler that takes longer than this is abandoned (treated as not handling the event). */
  asyncTimeoutMs?: number;
}

let seqCounter = 0;

export class HookBus<M extends object> {
  #handlers = new Map<keyof M, Registration<any>[]>();
  #log: Logger;
  #timeoutMs: number;
  /** Errors per "owner event", for the metrics endpoint later. */
  readonly errorCounts = new Map<string, number>();

  constructor(opts: HookBusOptions) {
    this.#log = opts.log;
    this.#timeoutMs = opts.asyncTimeoutMs ?? 10_000;
  }

  /** Registers a handler; returns a function that removes it. */
  on<K extends keyof M>(event: K, fn: HookHandler<M[K]>, priority: number = PRIORITY.DEFAULT, owner = 'core'): () => void {
    const reg: Registration<M[K]> = { fn, priority, owner, seq: seqCounter++ };
    const list = [...(this.#handlers.get(event) ?? []), reg];
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.#handlers.set(event, list);   // copy-on-write: a fire in progress keeps its own list
    return () => this.#remove(event, reg);
  }

  #remove(event: keyof M, reg: Registration<any>): void {
    const list = this.#handlers.get(event);
    if (!list) return;
    const next = list.filter((r) => r !== reg);
    if (next.length) this.#handlers.set(event, next);
    else this.#handlers.delete(event);
  }

  /** Removes every handler registered by `owner` (module unload). */
  removeOwner(owner: string): void {
    for (const [event, list] of this.#handlers) {
      const next = list.filter((r) => r.owner !== owner);
      if (next.length) this.#handlers.set(event, next);
      else this.#handlers.delete(event);
    }
  }

  has<K extends keyof M>(event: K): boolean {
    return this.#handlers.has(event);
  }

  /**
   * Runs the handlers in priority order until one returns true. Returns whether one did, synchronously
   * when every handler was synchronous, else as a promise.
   */
  fire<K extends keyof M>(event: K, payload: M[K]): boolean | Promise<boolean> {
    const list = this.#handlers.get(event);
    if (!list) return false;
    return this.#run(list, 0, event, payload);
  }

  /** Runs handlers from `start` on; synchronous until one returns a promise, then continues after it. */
  #run<K extends keyof M>(list: Registration<M[K]>[], start: number, event: K, payload: M[K]): boolean | Promise<boolean> {
    for (let i = start; i < list.length; i++) {
      const reg = list[i]!;
      let r: HookResult | Promise<HookResult>;
      try {
        r = reg.fn(payload);
      } catch (err) {
        this.#failed(reg, event, err);
        continue;
      }
      if (r === true) return true;
      if (r !== undefined && r !== false && typeof (r as Promise<HookResult>).then === 'function') {
        return this.#settle(reg, event, r as Promise<HookResult>).then((taken) => taken || this.#run(list, i + 1, event, payload));
      }
    }
    return false;
  }

  /** Awaits one async handler with a deadline; errors and timeouts count as "not handled". */
  async #settle(reg: Registration<any>, event: keyof M, pending: Promise<HookResult>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#timeoutMs);
      timer.unref();
    });
    try {
      const r = await Promise.race([pending, timeout]);
      if (r === 'timeout') {
        this.#log.warn({ module: reg.owner, event: String(event), ms: this.#timeoutMs }, 'hook handler timed out');
        return false;
      }
      return r === true;
    } catch (err) {
      this.#failed(reg, event, err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  #failed(reg: Registration<any>, event: keyof M, err: unknown): void {
    const key = `${reg.owner} ${String(event)}`;
    this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + 1);
    this.#log.error({ module: reg.owner, event: String(event), err }, 'hook handler failed');
  }
}
