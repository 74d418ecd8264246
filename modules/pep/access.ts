// XEP-0060 §4.5 access models for an account's PEP nodes (XEP-0163 §4.1: 'presence' by default),
// decided from the owner's roster. Errors as in XEP-0060 §6.1.3 and §6.5.9.
import type { ModuleContext, StanzaError } from '../../src/api/index.js';
import '../roster/types.js';
import { pubsubError } from './errors.js';
import type { NodeRecord } from './types.js';

export function pepAccess(ctx: ModuleContext<unknown>, owner: string) {
  return async (rec: NodeRecord, requester: string): Promise<StanzaError | null> => {
    const model = rec.config.access_model;
    if (model === 'open') return null;
    if (model === 'whitelist') return pubsubError('not-allowed', 'closed-node', 'the node is only for its whitelist');
    const roster = ctx.tryUse('roster');
    const item = roster ? await roster.item(owner, requester) : null;
    const visible = item && !item.hidden ? item : null;
    if (model === 'presence') {
      if (visible && (visible.subscription === 'from' || visible.subscription === 'both')) return null;
      return pubsubError('not-authorized', 'presence-subscription-required', 'a presence subscription to the owner is required', { type: 'auth' });
    }
    // roster
    const allowed = new Set(rec.config.roster_groups_allowed);
    if (visible && visible.groups.some((g) => allowed.has(g))) return null;
    return pubsubError('not-authorized', 'not-in-roster-group', 'the node is for some roster groups of the owner only', { type: 'auth' });
  };
}
