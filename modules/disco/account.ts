// Account disco (XEP-0030 §3, RFC 6121 §8.5.1): the server answers disco#info and disco#items sent to a
// user's bare JID on the account's behalf. Only the user and contacts with a presence subscription get
// an answer; everyone else gets service-unavailable, the same as for a JID that does not exist, so that
// accounts cannot be enumerated.
import type { Element } from 'ltx';
import type { IqRequest, ModuleContext } from '../../src/api/index.js';
import { el, StanzaError } from '../../src/api/index.js';
import { NS_INFO, NS_ITEMS } from './ns.js';

/** The part of the roster module's service used here (modules/roster/types.ts), looked up by name so
 *  that this module builds and runs without the roster module. */
interface RosterLookup {
  isSubscribed(user: string, contact: string): Promise<boolean>;
}

/** Nodes an account offers (XEP-0163 PEP), provided by the pep module as the 'accountNodes' service. */
export interface AccountNodes {
  /** Identities of every account (PEP: pubsub/pep). */
  identities(): { category: string; type: string }[];
  /** disco#info children for one node the requester may see, or null (item-not-found). */
  info(user: string, requester: string, node: string): Promise<Element[] | null>;
  /** disco#items children: the nodes the requester may see (node undefined), or a node's items. */
  items(user: string, requester: string, node: string | undefined): Promise<Element[] | null>;
}

declare module '../../src/api/index.js' {
  interface Services {
    accountNodes: AccountNodes;
  }
}

export function registerAccountDisco(ctx: ModuleContext<unknown>): void {
  const allowed = async ({ from, to }: IqRequest): Promise<boolean> => {
    if (from.local === to.local && from.domain === to.domain) return true;
    const roster = (ctx.tryUse as (name: string) => unknown)('roster') as RosterLookup | undefined;
    return roster ? roster.isSubscribed(to.local, from.bare()) : false;
  };

  ctx.iq.get('bare', NS_INFO, 'query', async (req) => {
    const nodes = ctx.tryUse('accountNodes');
    const node = req.payload.attrs.node;
    // A node's info is decided by its access model (an open PEP node is public), not by the subscription.
    if (node !== undefined) {
      const info = nodes && (await ctx.accounts.exists(req.to.local)) ? await nodes.info(req.to.local, req.from.bare(), node) : null;
      if (!info) throw new StanzaError('item-not-found', 'no such node');
      return el('query', { xmlns: NS_INFO, node }, ...info);
    }
    if (!(await allowed(req))) throw new StanzaError('service-unavailable');
    const query = el('query', { xmlns: NS_INFO }, el('identity', { category: 'account', type: 'registered' }));
    for (const id of nodes?.identities() ?? []) query.cnode(el('identity', id));
    for (const f of new Set([NS_INFO, NS_ITEMS, ...ctx.disco.accountFeatures()])) query.cnode(el('feature', { var: f }));
    return query;
  });

  // The account's PEP nodes (those the requester may see), when the pep module is loaded.
  ctx.iq.get('bare', NS_ITEMS, 'query', async (req) => {
    const node = req.payload.attrs.node;
    if (node === undefined && !(await allowed(req))) throw new StanzaError('service-unavailable');
    const nodes = ctx.tryUse('accountNodes');
    const items = nodes && (await ctx.accounts.exists(req.to.local)) ? await nodes.items(req.to.local, req.from.bare(), node) : node === undefined ? [] : null;
    if (!items) throw new StanzaError('item-not-found', 'no such node');
    return el('query', { xmlns: NS_ITEMS, node }, ...items);
  });
}
