// Blocklists: one map-store row per blocked JID, cached in memory per user because every stanza
// delivered to a user consults the recipient's list. The cache is bounded (least recently used out).
import type { MapStore } from '../../src/api/index.js';

export class BlocklistStore {
  #cache = new Map<string, Set<string>>();
  #loading = new Map<string, Promise<Set<string>>>();

  constructor(private readonly store: MapStore, private readonly cacheSize: number) {}

  /** The user's list: synchronously when cached (the hot path), else a promise. */
  get(user: string): Set<string> | Promise<Set<string>> {
    const hit = this.#cache.get(user);
    if (hit) {
      this.#cache.delete(user);   // refresh its LRU position
      this.#cache.set(user, hit);
      return hit;
    }
    let pending = this.#loading.get(user);
    if (!pending) {
      pending = this.store.getAll(user).then((rows) => {
        const set = new Set(rows.keys());
        this.#loading.delete(user);
        this.#remember(user, set);
        return set;
      }, (err: unknown) => {
        this.#loading.delete(user);
        throw err;
      });
      this.#loading.set(user, pending);
    }
    return pending;
  }

  #remember(user: string, set: Set<string>): void {
    this.#cache.set(user, set);
    if (this.#cache.size > this.cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
  }

  /** Adds items; returns those that were not blocked before. */
  async add(user: string, items: string[]): Promise<string[]> {
    const set = await this.get(user);
    const added = items.filter((i) => !set.has(i));
    for (const i of added) {
      await this.store.set(user, i, { since: Date.now() });
      set.add(i);
    }
    return added;
  }

  /** Removes items (all of them when `items` is null); returns those that were blocked. */
  async remove(user: string, items: string[] | null): Promise<string[]> {
    const set = await this.get(user);
    if (items === null) {
      const all = [...set];
      await this.store.deleteAll(user);
      set.clear();
      return all;
    }
    const removed = items.filter((i) => set.has(i));
    for (const i of removed) {
      await this.store.set(user, i, null);
      set.delete(i);
    }
    return removed;
  }

  forget(user: string): void {
    this.#cache.delete(user);
  }
}
