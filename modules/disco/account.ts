// Account disco (XEP-0030 §3, RFC 6121 §8.5.1): the server answers disco#info and disco#items sent to a
// user's bare JID on the account's behalf. Only the user and contacts with a presence subscription get
// an answer; everyone else gets service-unavailable, the same as for a JID that does not exist, so that
// accounts cannot be enumerated.
import type { IqRequest, ModuleContext } from '../../src/api/index.js';
import { el, StanzaError } from '../../src/api/index.js';
import { NS_INFO, NS_ITEMS } from './ns.js';

/** The part of the roster module's service used here (modules/roster/types.ts), looked up by name so
 *  that this module builds and runs without the roster module. */
interface RosterLookup {
  isSubscribed(user: string, contact: string): Promise<boolean>;
}

export function registerAccountDisco(ctx: ModuleContext<unknown>): void {
  const allowed = async ({ from, to }: IqRequest): Promise<boolean> => {
    if (from.local === to.local && from.domain === to.domain) return true;
    const roster = (ctx.tryUse as (name: string) => unknown)('roster') as RosterLookup | undefined;
    return roster ? roster.isSubscribed(to.local, from.bare()) : false;
  };

  ctx.iq.get('bare', NS_INFO, 'query', async (req) => {
    if (!(await allowed(req))) throw new StanzaError('service-unavailable');
    if (req.payload.attrs.node !== undefined) throw new StanzaError('item-not-found', 'no such node');
    const query = el('query', { xmlns: NS_INFO }, el('identity', { category: 'account', type: 'registered' }));
    for (const f of new Set([NS_INFO, NS_ITEMS, ...ctx.disco.accountFeatures()])) query.cnode(el('feature', { var: f }));
    return query;
  });

  // Empty until PEP publishes nodes here.
  ctx.iq.get('bare', NS_ITEMS, 'query', async (req) => {
    if (!(await allowed(req))) throw new StanzaError('service-unavailable');
    if (req.payload.attrs.node !== undefined) throw new StanzaError('item-not-found', 'no such node');
    return el('query', { xmlns: NS_ITEMS });
  });
}
