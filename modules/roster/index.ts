// RFC 6121 §2 roster management: per-user contact lists with roster get/set/remove, pushes to
// interested resources and roster versioning (§2.6). The subscription state machine that moves
// items between states lives in the presence module; it changes items through the 'roster' service.
import { z } from 'zod';
import { defineModule, el, type ModuleContext } from '../../src/api/index.js';
import { registerRosterIq } from './iq.js';
import { NS_ROSTERVER } from './ns.js';
import { createService } from './service.js';
import { RosterStore } from './store.js';

const options = z.object({
  /** Most contacts one roster may hold; adding more is refused with resource-constraint. */
  maxItems: z.number().int().positive().max(100_000).default(1000),
  /** Longest contact name, in characters (RFC 6121 §2.3.3: not-acceptable beyond it). */
  maxNameLength: z.number().int().positive().max(65_535).default(1023),
  /** Longest group name, in characters. */
  maxGroupLength: z.number().int().positive().max(65_535).default(1023),
  /** Most groups one contact may be in. */
  maxGroups: z.number().int().positive().max(10_000).default(100),
  /** Most unanswered subscription requests from people not in the roster; further ones are dropped. */
  maxPendingIn: z.number().int().positive().max(100_000).default(200),
  /** Changes remembered per roster for versioning: a client this far behind gets pushes, older ones the full roster. */
  versionLog: z.number().int().min(0).max(100_000).default(200),
}).strict();

type Options = z.infer<typeof options>;

export default defineModule({
  name: 'roster',
  description: 'Contact lists with pushes and roster versioning (RFC 6121 §2)',
  options,
  setup(ctx: ModuleContext<Options>) {
    const o = ctx.options;
    const store = new RosterStore(ctx.openStore('', 'map'), ctx.openStore('meta', 'keyval'), {
      maxItems: o.maxItems, maxPendingIn: o.maxPendingIn, logSize: o.versionLog,
    });
    const service = createService(ctx, store);
    registerRosterIq(ctx, store, service, { maxNameLength: o.maxNameLength, maxGroupLength: o.maxGroupLength, maxGroups: o.maxGroups });

    // §2.6.1: roster versioning is announced as a stream feature after authentication.
    ctx.hook('stream-features', ({ features, stage }) => {
      if (stage === 'post-auth') features.cnode(el('ver', { xmlns: NS_ROSTERVER }));
    });

    ctx.provide('roster', service);
  },
});
