// RFC 6121 §3–§4: presence subscriptions (the state machine of Appendix A, with pre-approval) and
// presence exchange: initial presence with probes, broadcast to subscribers and the user's own
// resources, directed presence, unavailable presence on logout or a dropped connection, probes
// answered for offline users with the last unavailable presence.
import { z } from 'zod';
import { defineModule, el, PRIORITY, type ModuleContext } from '../../src/api/index.js';
import { createInbound } from './inbound.js';
import { LastPresence } from './last.js';
import { NS_PREAPPROVAL } from './ns.js';
import { createOutbound } from './outbound.js';
import { availableSessions } from './session.js';
import type { PresenceService } from './types.js';
import type { Deps } from './deps.js';

const options = z.object({
  /** Let users approve subscription requests before they arrive (RFC 6121 §3.4). */
  preApproval: z.boolean().default(true),
  /** Directed-presence recipients remembered per session, to be told when it goes offline. */
  maxDirected: z.number().int().min(0).max(100_000).default(1000),
}).strict();

type Options = z.infer<typeof options>;

export default defineModule({
  name: 'presence',
  description: 'Presence subscriptions, broadcast, probes and directed presence (RFC 6121 §3–§4)',
  xeps: [{ xep: 203, version: '2.0', status: 'partial', note: 'delay stamp on the last unavailable presence answered to probes' }],
  depends: ['roster'],
  options,
  setup(ctx: ModuleContext<Options>) {
    const last = new LastPresence(ctx.openStore('last', 'keyval'));
    const deps: Deps = { ctx, roster: ctx.use('roster'), last };
    const out = createOutbound(deps);
    const inb = createInbound(deps);

    ctx.hook('pre-presence', out.onPresence);
    ctx.hook('presence/bare', inb.onBare);
    ctx.hook('presence/full', inb.onFull);

    // A session that ends (logout, stream error, dropped TCP connection) goes unavailable. The
    // work is tracked so that a server shutdown waits for it before storage closes.
    const inFlight = new Set<Promise<void>>();
    ctx.hook('resource-unbind', ({ session }) => {
      const p = out.unavailable(session, null)
        .catch((err: unknown) => ctx.log.error({ err }, 'unavailable broadcast failed'))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      return p.then(() => false);
    }, PRIORITY.FALLBACK);
    ctx.onUnload(async () => {
      await Promise.allSettled([...inFlight]);
    });

    if (ctx.options.preApproval) {
      ctx.hook('stream-features', ({ features, stage }) => {
        if (stage === 'post-auth') features.cnode(el('sub', { xmlns: NS_PREAPPROVAL }));
      });
    }

    const service: PresenceService = {
      isAvailable: (user) => availableSessions(ctx.sessions.ofUser(user).values()).length > 0,
      async lastUnavailable(user) {
        const rec = await last.get(user);
        if (!rec) return null;
        const status = rec.presence.getChildText('status');
        return status === null ? { at: rec.at } : { at: rec.at, status };
      },
    };
    ctx.provide('presence', service);
  },
});
