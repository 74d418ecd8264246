// XEP-0191 Blocking Command: a per-user blocklist (one map-store row per JID, deleted with the
// account), the IQ commands with pushes, and its enforcement on every stanza to or from the user.
import { z } from 'zod';
import { defineModule, type ModuleContext } from '../../src/api/index.js';
import { registerCommands } from './commands.js';
import { isBlockedBy } from './match.js';
import { NS_BLOCKING } from './ns.js';
import { registerPolicy } from './policy.js';
import { BlocklistStore } from './store.js';
import type { BlockingService } from './types.js';

const options = z.object({
  /** Most JIDs one user may block. */
  maxItems: z.number().int().positive().max(100_000).default(1000),
  /** How many users' blocklists are kept in memory (each delivery consults the recipient's list). */
  cacheUsers: z.number().int().positive().default(10_000),
}).strict();

export default defineModule({
  name: 'blocking',
  description: 'Users block and unblock JIDs; stanzas from and to blocked JIDs are stopped (XEP-0191)',
  xeps: [{ xep: 191, version: '1.3', status: 'complete' }],
  options,
  setup(ctx: ModuleContext<z.infer<typeof options>>) {
    const store = new BlocklistStore(ctx.openStore('', 'map'), ctx.options.cacheUsers);
    ctx.addFeature(NS_BLOCKING);
    registerCommands(ctx, store, { maxItems: ctx.options.maxItems });
    registerPolicy(ctx, store);
    ctx.hook('user-deleted', ({ username }) => store.forget(username));

    const service: BlockingService = {
      isBlocked: async (user, jid) => isBlockedBy(await store.get(user), jid),
      list: async (user) => [...(await store.get(user))].sort(),
    };
    ctx.provide('blocking', service);
  },
});
