// One PubSubEngine per account: the XEP-0163 policy (the account owns every node, publishing creates
// nodes, presence-based access by default, +notify recipients from caps).
import type { Element } from 'ltx';
import type { ModuleContext } from '../../src/api/index.js';
import { el } from '../../src/api/index.js';
import { configForm, type NodeConfig } from './config.js';
import { PubSubEngine } from './engine.js';
import { pepAccess } from './access.js';
import type { CapsTracker } from './caps.js';
import { NS_META_DATA } from './ns.js';
import type { NodeStore } from './store.js';
import type { NodeRecord } from './types.js';

export interface PepLimits {
  maxItems: number;
  maxNodes: number;
  maxBytes: number;
  defaults: Pick<NodeConfig, 'access_model' | 'max_items'>;
}

export function pepDefaults(limits: PepLimits): NodeConfig {
  return {
    access_model: limits.defaults.access_model,
    publish_model: 'publishers',
    max_items: limits.defaults.max_items,
    persist_items: true,
    deliver_notifications: true,
    deliver_payloads: true,
    notify_retract: true,
    notify_delete: true,
    notify_config: false,
    send_last_published_item: 'on_sub_and_presence',
    roster_groups_allowed: [],
    title: '',
    description: '',
    type: '',
  };
}

export class PepAccounts {
  #engines = new Map<string, PubSubEngine>();

  constructor(
    private readonly ctx: ModuleContext<unknown>,
    private readonly store: NodeStore,
    private readonly caps: CapsTracker,
    private readonly limits: PepLimits,
    private readonly onChange: (user: string) => ConstructorParameters<typeof PubSubEngine>[2],
  ) {}

  bare(user: string): string {
    return `${user}@${this.ctx.host}`;
  }

  of(user: string): PubSubEngine {
    let e = this.#engines.get(user);
    if (!e) {
      const bare = this.bare(user);
      const access = pepAccess(this.ctx, user);
      e = new PubSubEngine(this.store, {
        jid: bare,
        key: user,
        maxItems: this.limits.maxItems,
        maxNodes: this.limits.maxNodes,
        maxBytes: this.limits.maxBytes,
        autoCreate: true,
        defaults: () => pepDefaults(this.limits),
        canCreate: (requester) => requester === bare,
        serviceAffiliation: (requester) => (requester === bare ? 'owner' : null),
        accessError: access,
        interested: (node) => this.caps.interested(user, node),
        send: (stanza) => this.ctx.send(stanza),
      }, this.onChange(user));
      // Engines are small; keep a bounded number around.
      if (this.#engines.size >= 10_000) this.#engines.delete(this.#engines.keys().next().value!);
      this.#engines.set(user, e);
    }
    return e;
  }

  /** Whether `requester` may see the node (owner, or allowed by its access model). */
  async visible(user: string, rec: NodeRecord, requester: string): Promise<boolean> {
    return this.of(user).checkAccess(rec, requester).then(() => true, () => false);
  }

  /** disco#info of a node: pubsub/leaf and the meta-data form. */
  async info(user: string, requester: string, node: string): Promise<Element[] | null> {
    const rec = await this.of(user).tryNode(node);
    if (!rec || !(await this.visible(user, rec, requester))) return null;
    return [
      el('identity', { category: 'pubsub', type: 'leaf' }),
      el('feature', { var: 'http://jabber.org/protocol/pubsub' }),
      configForm(rec.config, 'result', NS_META_DATA),
    ];
  }

  async items(user: string, requester: string, node: string | undefined): Promise<Element[] | null> {
    const bare = this.bare(user);
    if (node === undefined) {
      const out: Element[] = [];
      for (const rec of await this.of(user).nodes()) {
        if (await this.visible(user, rec, requester)) out.push(el('item', { jid: bare, node: rec.name, name: rec.config.title || undefined }));
      }
      return out;
    }
    const rec = await this.of(user).tryNode(node);
    if (!rec || !(await this.visible(user, rec, requester))) return null;
    return rec.items.map((i) => el('item', { jid: bare, name: i.id }));
  }
}
