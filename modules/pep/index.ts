// XEP-0163 Personal Eventing Protocol: a XEP-0060 pubsub service on every account's bare JID, with
// publish-options preconditions, the open/presence/roster/whitelist access models, notifications
// filtered by the +notify features of XEP-0115 capabilities, the last item sent when a contact comes
// online, and node listing through the account's disco. Other modules (bookmarks, avatars) build on
// the 'pep' service and the 'pep-changed' event.
import type { Element } from 'ltx';
import { z } from 'zod';
import { defineModule, PRIORITY, StanzaError, type IqRequest, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { PepAccounts } from './account.js';
import { CapsTracker, discoQuery } from './caps.js';
import { ACCESS_MODELS } from './config.js';
import { NS_PUBSUB, NS_PUBSUB_OWNER, PUBSUB_FEATURES } from './ns.js';
import { ownerGet, ownerSet, pubsubGet, pubsubSet, type PubSubRequest } from './protocol.js';
import { NodeStore } from './store.js';
import { payloadOf } from './engine.js';
import type { PepService } from './types.js';

const options = z.object({
  /** Most items a node keeps (what pubsub#max_items 'max' means). */
  maxItems: z.number().int().positive().max(10_000).default(256),
  /** Most nodes per account. */
  maxNodes: z.number().int().positive().max(10_000).default(256),
  /** Most payload bytes one account keeps in all its nodes (avatars are the big ones). */
  maxBytes: z.number().int().positive().default(16 * 1024 * 1024),
  /** Defaults for new nodes (XEP-0163: presence access). */
  defaultAccessModel: z.enum(ACCESS_MODELS).default('presence'),
  defaultMaxItems: z.union([z.number().int().positive(), z.literal('max')]).default(1),
  /** How long to wait for a client's disco#info answer about its capabilities. */
  capsQueryTimeoutMs: z.number().int().positive().default(10_000),
}).strict();

type Options = z.infer<typeof options>;

export default defineModule({
  name: 'pep',
  description: 'Personal eventing: a pubsub service on every account (XEP-0163 over XEP-0060), for OMEMO, avatars, bookmarks, nicknames',
  xeps: [
    { xep: 163, version: '1.2.2', status: 'complete' },
    { xep: 60, version: '1.26.0', status: 'partial', note: 'PEP subset: no pending subscriptions, no collections, no item expiry' },
    { xep: 223, version: '1.1.1', status: 'complete', note: 'whitelist access with persist_items honoured' },
    { xep: 384, version: '0.8.3', status: 'complete', note: 'device lists and bundles with open access via publish-options' },
  ],
  depends: ['disco'],
  options,
  setup(ctx: ModuleContext<Options>) {
    const o = ctx.options;
    const store = new NodeStore(ctx.openStore('nodes', 'map'));
    const caps = new CapsTracker({
      query: (from, to, node) => ctx.sendIq(discoQuery(from, to, node), o.capsQueryTimeoutMs),
      onInterest: (owner, full, nodes) => sendLastItems(owner, full, nodes),
      warn: (err, msg) => ctx.log.debug({ err }, msg),
    });
    const accounts = new PepAccounts(ctx, store, caps, {
      maxItems: o.maxItems,
      maxNodes: o.maxNodes,
      maxBytes: o.maxBytes,
      defaults: { access_model: o.defaultAccessModel, max_items: o.defaultMaxItems },
    }, (user) => async (change) => {
      await ctx.fire('pep-changed', { username: user, ...change });
    });

    /** XEP-0163 §4.3.2: the last item of each wanted node the JID may see. */
    async function sendLastItems(owner: string, full: string, nodes: ReadonlySet<string>): Promise<void> {
      const engine = accounts.of(owner);
      const requester = full.split('/')[0]!;
      for (const node of nodes) {
        const rec = await engine.tryNode(node);
        if (!rec || rec.config.send_last_published_item !== 'on_sub_and_presence') continue;
        if (await accounts.visible(owner, rec, requester)) await engine.sendLast(rec, [full]);
      }
    }

    for (const f of [NS_PUBSUB, NS_PUBSUB_OWNER, ...PUBSUB_FEATURES]) ctx.addFeature(f, 'account');
    ctx.provide('accountNodes', {
      identities: () => [{ category: 'pubsub', type: 'pep' }],
      info: (user, requester, node) => accounts.info(user, requester, node),
      items: (user, requester, node) => accounts.items(user, requester, node),
    });

    const request = async (req: IqRequest): Promise<PubSubRequest & { user: string }> => {
      // A PEP service exists for accounts only; asking a missing one looks like any other missing JID.
      if (!(await ctx.accounts.exists(req.to.local))) throw new StanzaError('service-unavailable');
      return { user: req.to.local, requester: req.from.bare(), full: req.from.full(), payload: req.payload };
    };
    ctx.iq.set('bare', NS_PUBSUB, 'pubsub', async (req) => {
      const r = await request(req);
      return pubsubSet(accounts.of(r.user), r);
    });
    ctx.iq.get('bare', NS_PUBSUB, 'pubsub', async (req) => {
      const r = await request(req);
      return pubsubGet(accounts.of(r.user), r);
    });
    ctx.iq.set('bare', NS_PUBSUB_OWNER, 'pubsub', async (req) => {
      const r = await request(req);
      await ownerSet(accounts.of(r.user), r);
    });
    ctx.iq.get('bare', NS_PUBSUB_OWNER, 'pubsub', async (req) => {
      const r = await request(req);
      return ownerGet(accounts.of(r.user), r);
    });

    // Capabilities of the account's own resources: their broadcast presence.
    ctx.hook('pre-presence', (ev) => {
      const s = ev.origin;
      if (!s?.username || !s.jid || ev.stanza.attrs.to !== undefined) return false;
      const type = ev.stanza.attrs.type;
      if (type === 'unavailable') caps.remove(s.username, s.jid.full());
      else if (type === undefined) track(s.username, s.jid.full(), ev.stanza);
      return false;
    }, PRIORITY.DEFAULT + 50);
    ctx.hook('resource-unbind', ({ session }) => {
      if (session.username && session.jid) caps.remove(session.username, session.jid.full());
      return false;
    });

    // Capabilities of contacts: presence they send to the account (broadcast to the bare JID, or probe answers).
    const fromContact = (ev: StanzaEvent): false | Promise<false> => {
      const type = ev.stanza.attrs.type;
      const user = ev.to.local;
      if (!ev.from.local || !ev.from.resource || ev.from.bare() === accounts.bare(user)) return false;
      if (type === 'unavailable') caps.remove(user, ev.from.full());
      else if (type === 'unsubscribe' || type === 'unsubscribed') caps.removeBare(user, ev.from.bare());
      else if (type === undefined) return contactPresence(user, ev.from.full(), ev.stanza).then(() => false as const);
      return false;
    };
    ctx.hook('presence/bare', fromContact, PRIORITY.DEFAULT + 50);
    ctx.hook('presence/full', fromContact, PRIORITY.DEFAULT + 50);

    /** Only contacts subscribed to the account's presence (as Prosody does): a stranger's directed presence
     *  must not make the server query it on the account's behalf. */
    async function contactPresence(user: string, full: string, stanza: Element): Promise<void> {
      const roster = ctx.tryUse('roster');
      if (!roster || !(await roster.isSubscribed(user, full.split('/')[0]!))) return;
      track(user, full, stanza);
    }

    function track(user: string, full: string, stanza: Element): void {
      // In the background: a slow client answering disco must not hold up presence delivery.
      caps.presence(user, accounts.bare(user), full, stanza).catch((err: unknown) => ctx.log.warn({ err, user }, 'PEP caps tracking failed'));
    }

    ctx.hook('user-deleted', async ({ username }) => {
      caps.forgetOwner(username);
      await accounts.of(username).deleteAll();
      return false;
    });

    const service: PepService = {
      async publish(user, node, itemId, payload, opts) {
        // The options configure a node this creates; an existing node keeps its configuration.
        const engine = accounts.of(user);
        const exists = (await engine.tryNode(node)) !== null;
        return engine.publish(accounts.bare(user), node, itemId, payload, exists ? undefined : opts, '');
      },
      async retract(user, node, itemId) {
        const engine = accounts.of(user);
        const rec = await engine.tryNode(node);
        if (!rec?.items.some((i) => i.id === itemId)) return false;
        await engine.retract(accounts.bare(user), node, itemId, true, '');
        return true;
      },
      async items(user, node) {
        const rec = await accounts.of(user).tryNode(node);
        return rec ? rec.items.map((i) => ({ id: i.id, payload: payloadOf(i) })) : null;
      },
      async deleteNode(user, node) {
        const engine = accounts.of(user);
        if (!(await engine.tryNode(node))) return false;
        await engine.deleteNode(accounts.bare(user), node, undefined, '');
        return true;
      },
    };
    ctx.provide('pep', service);
  },
});
