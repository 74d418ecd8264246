// XEP-0357 registrations of an account: app server JID, node, publish-options, and the resource that enabled it,
// stored durably (a phone that is asleep is exactly when they matter) in a map keyed by "jid node".
import type { MapStore } from '../../src/api/index.js';

export interface Registration {
  jid: string;
  node: string;
  /** The serialised publish-options data form, if the client gave one. */
  options: string | null;
  /** The resource that enabled it: its detached or inactive session triggers notifications. */
  resource: string;
}

const keyOf = (jid: string, node: string) => `${jid} ${node}`;

export class Registrations {
  constructor(private readonly store: MapStore<Registration>) {}

  async all(user: string): Promise<Registration[]> {
    return [...(await this.store.getAll(user)).values()];
  }

  async add(user: string, reg: Registration): Promise<void> {
    await this.store.set(user, keyOf(reg.jid, reg.node), reg);
  }

  /** Removes one node of an app server, or all its nodes when `node` is null; how many were removed. */
  async remove(user: string, jid: string, node: string | null): Promise<number> {
    let n = 0;
    for (const r of await this.all(user)) {
      if (r.jid === jid && (node === null || r.node === node)) {
        await this.store.set(user, keyOf(r.jid, r.node), null);
        n++;
      }
    }
    return n;
  }
}
