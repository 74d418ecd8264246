// The roster service: storage + versioning + pushes + the 'roster-changed' event, in one place so
// that a change made by any module (a roster set, a presence subscription) is pushed exactly once.
import type { ModuleContext } from '../../src/api/index.js';
import { pushToInterested } from './push.js';
import { RosterStore, type ApplyResult } from './store.js';
import type { RosterItem, RosterMutation, RosterService } from './types.js';
import { itemElement, removedElement } from './xml.js';

export interface RosterInternals extends RosterService {
  /** Like update(), with `force` to push even when nothing visible changed (a roster set). */
  change(user: string, contact: string, mutate: RosterMutation, force?: boolean): Promise<ApplyResult>;
}

export function createService(ctx: ModuleContext<unknown>, store: RosterStore): RosterInternals {
  const visible = (item: RosterItem | null) => (item && !item.hidden ? item : null);

  const change = async (user: string, contact: string, mutate: RosterMutation, force = false): Promise<ApplyResult> => {
    const result = await store.withLock(user, async () => {
      const r = await store.apply(user, contact, mutate, force);
      if (r.pushed) {
        const now = visible(r.item);
        pushToInterested(ctx, user, now ? itemElement(now) : removedElement(contact), r.version);
      }
      return r;
    });
    // Outside the lock: a listener may change this roster again.
    if (result.pushed) {
      await ctx.fire('roster-changed', { username: user, contact, previous: visible(result.previous), item: visible(result.item), version: result.version });
    }
    return result;
  };

  const subscription = async (user: string, contact: string) => visible(await store.get(user, contact))?.subscription ?? null;

  return {
    change,
    async items(user, opts) {
      const all = await store.all(user);
      if (opts?.includeHidden) return all;
      for (const [jid, item] of all) if (item.hidden) all.delete(jid);
      return all;
    },
    item: (user, contact) => store.get(user, contact),
    subscription,
    async isSubscribed(user, contact) {
      const s = await subscription(user, contact);
      return s === 'from' || s === 'both';
    },
    async hasSubscriptionTo(user, contact) {
      const s = await subscription(user, contact);
      return s === 'to' || s === 'both';
    },
    async update(user, contact, mutate) {
      const { previous, item, pushed } = await change(user, contact, mutate);
      return { previous, item, pushed };
    },
    version: (user) => store.withLock(user, async () => RosterStore.versionString(await store.meta(user))),
  };
}
