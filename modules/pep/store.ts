// Nodes of pubsub services, one map-store row per (service, node): the configuration, affiliations,
// subscriptions and persistent items together, changed under a per-service lock. Items of nodes
// with persist_items off are kept in memory only (the last one, for new subscribers).
import type { MapStore } from '../../src/api/index.js';
import type { NodeRecord, StoredItem } from './types.js';

export class NodeStore {
  #locks = new Map<string, Promise<void>>();
  #volatile = new Map<string, StoredItem[]>();

  constructor(private readonly map: MapStore) {}

  /** Serialises every change of one service (an account's PEP, or pubsub.<host>). */
  withLock<T>(service: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(service) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(() => undefined, () => undefined);
    this.#locks.set(service, tail);
    void tail.then(() => {
      if (this.#locks.get(service) === tail) this.#locks.delete(service);
    });
    return run;
  }

  async get(service: string, node: string): Promise<NodeRecord | null> {
    const rec = (await this.map.get(service, node)) as NodeRecord | null;
    if (!rec) return null;
    if (!rec.config.persist_items) rec.items = [...(this.#volatile.get(`${service}\0${node}`) ?? [])];
    return rec;
  }

  async put(service: string, rec: NodeRecord): Promise<void> {
    const key = `${service}\0${rec.name}`;
    if (rec.config.persist_items) {
      this.#volatile.delete(key);
      await this.map.set(service, rec.name, rec);
    } else {
      this.#volatile.set(key, rec.items);
      await this.map.set(service, rec.name, { ...rec, items: [] });
    }
  }

  async delete(service: string, node: string): Promise<void> {
    this.#volatile.delete(`${service}\0${node}`);
    await this.map.set(service, node, null);
  }

  /** Every node of a service (names sorted). */
  async all(service: string): Promise<NodeRecord[]> {
    const rows = await this.map.getAll(service);
    const out: NodeRecord[] = [];
    for (const name of [...rows.keys()].sort()) {
      const rec = rows.get(name) as NodeRecord;
      if (!rec.config.persist_items) rec.items = [...(this.#volatile.get(`${service}\0${name}`) ?? [])];
      out.push(rec);
    }
    return out;
  }

  async deleteService(service: string): Promise<void> {
    for (const key of this.#volatile.keys()) if (key.startsWith(`${service}\0`)) this.#volatile.delete(key);
    await this.map.deleteAll(service);
  }
}
