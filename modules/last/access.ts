// XEP-0012 §2/§3 and §7: last activity of an account is only for entities allowed to see its
// presence: the user itself, or a contact with a presence subscription (from/both in the user's
// roster). Without the roster module nobody but the user is.
import type { ModuleContext } from '../../src/api/index.js';
import type { Jid } from '../../src/jid.js';

/** The part of the roster service used here (modules/roster/types.ts), looked up by name so that this
 *  module works without the roster module. */
interface RosterLookup {
  item(user: string, contact: string): Promise<{ subscription: string } | null>;
}

export async function maySeePresence(ctx: ModuleContext<unknown>, user: string, requester: Jid): Promise<boolean> {
  if (requester.domain === ctx.host && (requester.local === user || requester.local === '')) return true;   // self, or the server
  const roster = (ctx.tryUse as (name: string) => unknown)('roster') as RosterLookup | undefined;
  if (!roster || !requester.local) return false;
  const item = await roster.item(user, requester.bare());
  return item?.subscription === 'from' || item?.subscription === 'both';
}
