// What a stream (c2s or s2s) has parsed but not yet handled: items are handled one at a time, in order, and an item
// whose handling is asynchronous holds back the ones after it, so a stanza's effects (storage writes included) are
// complete before the next stanza of that stream is looked at. Past `limit` waiting items the source is paused (the
// socket stops being read) until the queue has drained.

type MaybePromise = void | Promise<void>;

export interface InputQueueHandlers<T> {
  process(item: T): MaybePromise;
  /** A handler threw or its promise rejected. */
  fail(err: unknown): void;
  /** The stream has ended: drop what is left. */
  stopped(): boolean;
  limit(): number;
  pause(): void;
  resume(): void;
}

export class InputQueue<T> {
  #items: T[] = [];
  #busy = false;
  #paused = false;

  constructor(private readonly h: InputQueueHandlers<T>) {}

  get length(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
    if (!this.#busy) this.#drain();
    else if (!this.#paused && this.#items.length > this.h.limit()) {
      this.#paused = true;
      this.h.pause();
    }
  }

  clear(): void {
    this.#items.length = 0;
  }

  /**
   * Moves another queue's waiting items (and its paused source) to the end of this one and handles them after the
   * current microtask, so the caller can answer first (XEP-0198 resumption: <resumed/> before what followed it).
   */
  takeOver(other: InputQueue<T>): void {
    this.#items.push(...other.#items);
    other.#items.length = 0;
    if (other.#paused) {
      other.#paused = false;
      this.#paused = true;
    }
    if (this.#items.length > 0) queueMicrotask(() => {
      if (!this.#busy) this.#drain();
    });
  }

  #drain(): void {
    this.#busy = true;
    while (this.#items.length > 0) {
      if (this.h.stopped()) {
        this.#items.length = 0;
        break;
      }
      const item = this.#items.shift()!;
      let r: MaybePromise;
      try {
        r = this.h.process(item);
      } catch (err) {
        this.h.fail(err);
        continue;
      }
      if (r instanceof Promise) {
        r.catch((err: unknown) => this.h.fail(err)).finally(() => this.#drain());
        return;
      }
    }
    this.#busy = false;
    if (this.#paused) {
      this.#paused = false;
      this.h.resume();
    }
  }
}
