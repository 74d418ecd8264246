// Runs tasks one at a time per key (per account), in the order they were submitted.
export class KeyedSerial {
  #tails = new Map<string, Promise<void>>();

  /** Queues `fn` after every task submitted earlier for `key`; the queue is taken synchronously, at the call. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(fn);
    const tail = result.then(() => undefined, () => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
