// A XEP-0060 publish-subscribe service for topics on pubsub.<host>: nodes created and configured by
// their owners (who may create nodes is configurable), explicit subscriptions, affiliations,
// notifications with or without payloads, item retrieval with XEP-0059 paging. The operations are
// the PEP module's engine; this module supplies the service's policy and its disco.
import { z } from 'zod';
import { defineModule, el, StanzaError, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { ACCESS_MODELS, configForm, type NodeConfig } from '../pep/config.js';
import { PubSubEngine } from '../pep/engine.js';
import { pubsubError } from '../pep/errors.js';
import { NS_META_DATA, NS_PUBSUB, NS_PUBSUB_OWNER, PUBSUB_FEATURES } from '../pep/ns.js';
import { ownerGet, ownerSet, pubsubGet, pubsubSet, type PubSubRequest } from '../pep/protocol.js';
import { NodeStore } from '../pep/store.js';
import type { NodeRecord } from '../pep/types.js';
import '../roster/types.js';
import { subdomainHandlers, subdomainRoute } from '../subdomain/dispatch.js';
import { rsmPager } from './rsm.js';

const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';

const options = z.object({
  /** The service's address; default pubsub.<host>. */
  domain: z.string().min(1).max(1023).optional(),
  /** Who may create nodes: users of this host, anyone (any domain), or only the JIDs in `creators`. */
  createNodes: z.enum(['local', 'anyone', 'listed']).default('local'),
  creators: z.array(z.string()).default([]),
  /** Publishing to a node that does not exist creates it (for those who may create nodes). */
  autoCreate: z.boolean().default(false),
  maxItems: z.number().int().positive().max(100_000).default(1000),
  maxNodes: z.number().int().positive().default(10_000),
  /** Most payload bytes one node keeps. */
  maxNodeBytes: z.number().int().positive().default(16 * 1024 * 1024),
  defaultAccessModel: z.enum(ACCESS_MODELS).default('open'),
  defaultMaxItems: z.union([z.number().int().positive(), z.literal('max')]).default(20),
  /** Items per page when a client asks for paging without <max/>. */
  pageSize: z.number().int().positive().default(50),
}).strict();

type Options = z.infer<typeof options>;

export default defineModule({
  name: 'pubsub',
  description: 'A publish-subscribe service for topics on pubsub.<host> (XEP-0060)',
  xeps: [{ xep: 60, version: '1.26.0', status: 'partial', note: 'no collections, pending (authorize) subscriptions or item expiry' }],
  options,
  setup(ctx: ModuleContext<Options>) {
    const o = ctx.options;
    const domain = o.domain ?? `pubsub.${ctx.host}`;
    const store = new NodeStore(ctx.openStore('nodes', 'map'));

    const defaults = (): NodeConfig => ({
      access_model: o.defaultAccessModel, publish_model: 'publishers', max_items: o.defaultMaxItems, persist_items: true,
      deliver_notifications: true, deliver_payloads: true, notify_retract: true, notify_delete: true, notify_config: false,
      send_last_published_item: 'on_sub', roster_groups_allowed: [], title: '', description: '', type: '',
    });

    /** presence/roster access on a topic node: decided by the rosters of the node's local owners. */
    const ownersAllow = async (rec: NodeRecord, requester: string, test: (item: { subscription: string; groups: string[] }) => boolean) => {
      const roster = ctx.tryUse('roster');
      if (!roster) return false;
      for (const [jid, aff] of Object.entries(rec.affiliations)) {
        const [local, host] = jid.split('@');
        if (aff !== 'owner' || host !== ctx.host || !local) continue;
        const item = await roster.item(local, requester);
        if (item && !item.hidden && test(item)) return true;
      }
      return false;
    };

    const engine = new PubSubEngine(store, {
      jid: domain,
      key: domain,
      maxItems: o.maxItems,
      maxNodes: o.maxNodes,
      maxBytes: o.maxNodeBytes,
      bytesPerNode: true,
      autoCreate: o.autoCreate,
      defaults,
      canCreate: (requester) => {
        if (o.createNodes === 'anyone') return true;
        if (o.createNodes === 'listed') return o.creators.includes(requester);
        return requester.endsWith(`@${ctx.host}`);
      },
      serviceAffiliation: () => null,
      accessError: async (rec, requester) => {
        switch (rec.config.access_model) {
          case 'open': return null;
          case 'whitelist': return pubsubError('not-allowed', 'closed-node', 'the node is only for its whitelist');
          case 'presence':
            return (await ownersAllow(rec, requester, (i) => i.subscription === 'from' || i.subscription === 'both'))
              ? null : pubsubError('not-authorized', 'presence-subscription-required', undefined, { type: 'auth' });
          case 'roster':
            return (await ownersAllow(rec, requester, (i) => i.groups.some((g) => rec.config.roster_groups_allowed.includes(g))))
              ? null : pubsubError('not-authorized', 'not-in-roster-group', undefined, { type: 'auth' });
        }
      },
      interested: () => [],
      send: (stanza) => ctx.send(stanza),
    });
    const pager = rsmPager(o.pageSize);

    const req = (ev: StanzaEvent, payload: PubSubRequest['payload']): PubSubRequest => ({ requester: ev.from.bare(), full: ev.from.full(), payload });
    const visible = (rec: NodeRecord, requester: string) => engine.checkAccess(rec, requester).then(() => true, () => false);

    const h = subdomainHandlers();
    h.on('get', NS_INFO, 'query', async (ev, q) => {
      const node = q.attrs.node;
      if (node === undefined) {
        const out = el('query', { xmlns: NS_INFO }, el('identity', { category: 'pubsub', type: 'service', name: 'Publish-Subscribe' }));
        for (const f of [NS_INFO, NS_ITEMS, NS_PUBSUB, NS_PUBSUB_OWNER, ...PUBSUB_FEATURES]) out.cnode(el('feature', { var: f }));
        return out;
      }
      const rec = await engine.tryNode(node);
      if (!rec || !(await visible(rec, ev.from.bare()))) throw new StanzaError('item-not-found');
      return el('query', { xmlns: NS_INFO, node },
        el('identity', { category: 'pubsub', type: 'leaf' }), el('feature', { var: NS_PUBSUB }), configForm(rec.config, 'result', NS_META_DATA));
    });
    h.on('get', NS_ITEMS, 'query', async (ev, q) => {
      const node = q.attrs.node;
      const out = el('query', { xmlns: NS_ITEMS, node });
      if (node === undefined) {
        for (const rec of await engine.nodes()) {
          if (await visible(rec, ev.from.bare())) out.cnode(el('item', { jid: domain, node: rec.name, name: rec.config.title || undefined }));
        }
        return out;
      }
      const rec = await engine.tryNode(node);
      if (!rec || !(await visible(rec, ev.from.bare()))) throw new StanzaError('item-not-found');
      for (const i of rec.items) out.cnode(el('item', { jid: domain, name: i.id }));
      return out;
    });
    h.on('get', NS_PUBSUB, 'pubsub', (ev, p) => pubsubGet(engine, req(ev, p), pager));
    h.on('set', NS_PUBSUB, 'pubsub', (ev, p) => pubsubSet(engine, req(ev, p)));
    h.on('get', NS_PUBSUB_OWNER, 'pubsub', (ev, p) => ownerGet(engine, req(ev, p)));
    h.on('set', NS_PUBSUB_OWNER, 'pubsub', (ev, p) => ownerSet(engine, req(ev, p)));
    ctx.addRoute(domain, subdomainRoute(ctx, h));
    ctx.addDiscoItem({ jid: domain, name: 'Publish-Subscribe' });
  },
});
