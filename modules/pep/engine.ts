// The XEP-0060 operations of one pubsub service, independent of how it is addressed: a PEP account
// (XEP-0163, the account's bare JID) or the pubsub.<host> component. A ServicePolicy supplies what
// differs (who owns what, the access-model checks, presence-based recipients, node defaults).
import { randomUUID } from 'node:crypto';
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { parseFragment, standalone } from '../../src/xml/fragment.js';
import { applyConfig, checkPreconditions, type NodeConfig } from './config.js';
import { nodeNotFound, pubsubError } from './errors.js';
import { NS_PUBSUB_EVENT } from './ns.js';
import type { NodeStore } from './store.js';
import type { Affiliation, NodeRecord, StoredItem, Subscription } from './types.js';

export interface ServicePolicy {
  /** The JID notifications come from (the account's bare JID, or pubsub.<host>). */
  readonly jid: string;
  /** The storage key of this service. */
  readonly key: string;
  readonly maxItems: number;
  readonly maxNodes: number;
  /** Most payload bytes kept by the whole service (all nodes' items), or by each node when bytesPerNode. */
  readonly maxBytes: number;
  readonly bytesPerNode?: boolean;
  /** Publishing to a missing node creates it (PEP). */
  readonly autoCreate: boolean;
  defaults(node: string): NodeConfig;
  /** Whether this bare JID may create nodes here. */
  canCreate(requester: string): boolean;
  /** The service-wide affiliation (PEP: the account owns every node), or null to use the node's list. */
  serviceAffiliation(requester: string): Affiliation | null;
  /** Null when `requester` (a bare JID, not an owner) may read the node under its access model; else the error. */
  accessError(rec: NodeRecord, requester: string): Promise<StanzaError | null>;
  /** Full JIDs that asked for notifications of this node without subscribing (PEP +notify); [] for none. */
  interested(node: string): string[];
  /** Sends a stanza (from/to set). */
  send(stanza: Element): void | Promise<void>;
}

export type ChangeListener = (change: { node: string; action: 'publish' | 'retract' | 'purge' | 'delete'; itemId?: string; payload?: Element | null; actor: string }) => void | Promise<void>;

const bareOf = (jid: string): string => jid.split('/')[0]!;
const isPublisher = (a: Affiliation) => a === 'owner' || a === 'publisher' || a === 'publish-only';

export function payloadOf(item: StoredItem): Element | null {
  return item.xml ? parseFragment(item.xml) : null;
}

/** <item id='...'>payload</item> in whatever namespace the parent has. */
export function itemElement(item: StoredItem, withPayload = true): Element {
  const out = el('item', { id: item.id });
  const p = withPayload ? payloadOf(item) : null;
  if (p) out.cnode(p);
  return out;
}

export class PubSubEngine {
  constructor(
    private readonly store: NodeStore,
    readonly policy: ServicePolicy,
    private readonly onChange?: ChangeListener,
  ) {}

  affiliation(rec: NodeRecord | null, requester: string): Affiliation {
    return this.policy.serviceAffiliation(requester) ?? rec?.affiliations[requester] ?? 'none';
  }

  /** The node, or item-not-found. */
  async node(node: string): Promise<NodeRecord> {
    const rec = await this.store.get(this.policy.key, node);
    if (!rec) throw nodeNotFound(node);
    return rec;
  }

  tryNode(node: string): Promise<NodeRecord | null> {
    return this.store.get(this.policy.key, node);
  }

  nodes(): Promise<NodeRecord[]> {
    return this.store.all(this.policy.key);
  }

  /** Throws unless `requester` may read items of the node / subscribe to it. */
  async checkAccess(rec: NodeRecord, requester: string): Promise<void> {
    const aff = this.affiliation(rec, requester);
    if (aff === 'outcast') throw pubsubError('forbidden', null, 'you are banned from this node');
    if (aff === 'owner' || aff === 'publisher' || aff === 'member') return;
    const err = await this.policy.accessError(rec, requester);
    if (err) throw err;
  }

  #requireOwner(rec: NodeRecord, requester: string): void {
    if (this.affiliation(rec, requester) !== 'owner') throw pubsubError('forbidden', null, 'only an owner of the node may do this');
  }

  #newNode(name: string, config: NodeConfig, creator: string): NodeRecord {
    const affiliations: Record<string, Affiliation> = {};
    if (this.policy.serviceAffiliation(creator) !== 'owner') affiliations[creator] = 'owner';
    return { name, config, items: [], affiliations, subscriptions: [], created: Date.now() };
  }

  async #checkRoom(): Promise<void> {
    if ((await this.store.all(this.policy.key)).length >= this.policy.maxNodes) {
      throw new StanzaError('resource-constraint', `at most ${this.policy.maxNodes} nodes are allowed`, 'wait');
    }
  }

  /** Throws resource-constraint when storing `rec` would take the service past its byte quota. */
  async #checkBytes(rec: NodeRecord): Promise<void> {
    const size = (r: NodeRecord) => r.items.reduce((n, i) => n + i.xml.length, 0);
    let total = size(rec);
    if (!this.policy.bytesPerNode) for (const other of await this.store.all(this.policy.key)) if (other.name !== rec.name) total += size(other);
    if (total > this.policy.maxBytes) {
      throw new StanzaError('resource-constraint', `the items would take ${total} bytes; at most ${this.policy.maxBytes} may be stored`, 'wait');
    }
  }

  #validateConfig(config: NodeConfig): NodeConfig {
    if (typeof config.max_items === 'number' && config.max_items > this.policy.maxItems) {
      throw pubsubError('not-acceptable', 'invalid-options', `pubsub#max_items may be at most ${this.policy.maxItems} (or 'max')`);
    }
    return config;
  }

  limit(config: NodeConfig): number {
    return config.max_items === 'max' ? this.policy.maxItems : Math.min(config.max_items, this.policy.maxItems);
  }

  async create(requester: string, node: string | undefined, change: Partial<NodeConfig>): Promise<string> {
    if (!this.policy.canCreate(requester)) throw pubsubError('forbidden', null, 'you may not create nodes here');
    const name = node ?? randomUUID();
    return this.store.withLock(this.policy.key, async () => {
      if (await this.store.get(this.policy.key, name)) throw new StanzaError('conflict', 'the node exists');
      await this.#checkRoom();
      const config = this.#validateConfig(applyConfig(this.policy.defaults(name), change));
      await this.store.put(this.policy.key, this.#newNode(name, config, requester));
      return name;
    });
  }

  /** `actor` is what the change event names (default: the requester; '' for the server itself). */
  async publish(requester: string, node: string, itemId: string | undefined, payload: Element | null, options?: Partial<NodeConfig>, actor = requester): Promise<string> {
    const result = await this.store.withLock(this.policy.key, async () => {
      let rec = await this.store.get(this.policy.key, node);
      if (!rec) {
        if (!this.policy.autoCreate) throw nodeNotFound(node);
        if (!this.policy.canCreate(requester)) throw pubsubError('forbidden', null, 'you may not create nodes here');
        await this.#checkRoom();
        rec = this.#newNode(node, this.#validateConfig(applyConfig(this.policy.defaults(node), options ?? {})), requester);
      } else if (options) {
        checkPreconditions(rec.config, options);
      }
      const aff = this.affiliation(rec, requester);
      const subscribed = rec.subscriptions.some((s) => bareOf(s.jid) === requester);
      const allowed = aff !== 'outcast' && (isPublisher(aff) || rec.config.publish_model === 'open' || (rec.config.publish_model === 'subscribers' && subscribed));
      if (!allowed) throw pubsubError('forbidden', null, 'you may not publish to this node');
      const id = itemId ?? randomUUID();
      const item: StoredItem = { id, xml: payload ? standalone(payload).toString() : '', publisher: requester, at: Date.now() };
      const items = rec.items.filter((i) => i.id !== id);
      items.push(item);
      const limit = this.limit(rec.config);
      rec.items = items.slice(Math.max(0, items.length - limit));
      await this.#checkBytes(rec);
      await this.store.put(this.policy.key, rec);
      return { rec, item };
    });
    await this.broadcast(result.rec, el('items', { node }, itemElement(result.item, result.rec.config.deliver_payloads)));
    await this.onChange?.({ node, action: 'publish', itemId: result.item.id, payload, actor });
    return result.item.id;
  }

  async retract(requester: string, node: string, itemId: string, notify: boolean, actor = requester): Promise<void> {
    const rec = await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      const aff = this.affiliation(r, requester);
      const item = r.items.find((i) => i.id === itemId);
      if (!item) throw new StanzaError('item-not-found', 'no such item');
      if (aff !== 'owner' && !(isPublisher(aff) && item.publisher === requester)) throw pubsubError('forbidden', null, 'you may not retract this item');
      r.items = r.items.filter((i) => i.id !== itemId);
      await this.store.put(this.policy.key, r);
      return r;
    });
    if (notify || rec.config.notify_retract) await this.broadcast(rec, el('items', { node }, el('retract', { id: itemId })));
    await this.onChange?.({ node, action: 'retract', itemId, actor });
  }

  async purge(requester: string, node: string): Promise<void> {
    const rec = await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      this.#requireOwner(r, requester);
      r.items = [];
      await this.store.put(this.policy.key, r);
      return r;
    });
    if (rec.config.notify_retract) await this.broadcast(rec, el('purge', { node }));
    await this.onChange?.({ node, action: 'purge', actor: requester });
  }

  async deleteNode(requester: string, node: string, redirect?: string, actor = requester): Promise<void> {
    const rec = await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      this.#requireOwner(r, requester);
      await this.store.delete(this.policy.key, node);
      return r;
    });
    if (rec.config.notify_delete) await this.broadcast(rec, el('delete', { node }, redirect ? el('redirect', { uri: redirect }) : null));
    await this.onChange?.({ node, action: 'delete', actor });
  }

  async configure(requester: string, node: string, change: Partial<NodeConfig>): Promise<void> {
    const rec = await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      this.#requireOwner(r, requester);
      r.config = this.#validateConfig(applyConfig(r.config, change));
      const limit = this.limit(r.config);
      if (r.items.length > limit) r.items = r.items.slice(r.items.length - limit);
      await this.store.put(this.policy.key, r);
      return r;
    });
    if (rec.config.notify_config) await this.broadcast(rec, el('configuration', { node }));
  }

  /** Items the requester may see: by id, or the newest `max`, oldest first. */
  async items(requester: string, node: string, opts: { ids?: string[]; max?: number } = {}): Promise<{ rec: NodeRecord; items: StoredItem[] }> {
    const rec = await this.node(node);
    await this.checkAccess(rec, requester);
    let items = rec.items;
    if (opts.ids && opts.ids.length > 0) items = items.filter((i) => opts.ids!.includes(i.id));
    if (opts.max !== undefined) items = items.slice(Math.max(0, items.length - opts.max));
    return { rec, items };
  }

  async subscribe(requester: string, node: string, jid: string): Promise<Subscription> {
    if (bareOf(jid) !== requester) throw pubsubError('bad-request', 'invalid-jid', 'you may only subscribe your own JID');
    const { rec, sub } = await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      await this.checkAccess(r, requester);
      let s = r.subscriptions.find((x) => x.jid === jid);
      if (!s) {
        if (r.subscriptions.length >= 10_000) throw new StanzaError('resource-constraint', 'too many subscribers', 'wait');
        s = { jid, subid: randomUUID() };
        r.subscriptions.push(s);
        await this.store.put(this.policy.key, r);
      }
      return { rec: r, sub: s };
    });
    if (rec.config.send_last_published_item !== 'never') await this.sendLast(rec, [jid]);
    return sub;
  }

  async unsubscribe(requester: string, node: string, jid: string, subid?: string): Promise<void> {
    await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      if (bareOf(jid) !== requester && this.affiliation(r, requester) !== 'owner') throw pubsubError('forbidden', null, 'you may only unsubscribe your own JID');
      const s = r.subscriptions.find((x) => x.jid === jid && (subid === undefined || x.subid === subid));
      if (!s) {
        if (subid !== undefined && r.subscriptions.some((x) => x.jid === jid)) throw pubsubError('not-acceptable', 'invalid-subid');
        throw pubsubError('unexpected-request', 'not-subscribed', undefined, { type: 'cancel' });
      }
      r.subscriptions = r.subscriptions.filter((x) => x !== s);
      await this.store.put(this.policy.key, r);
    });
  }

  /** Owner: replaces affiliations (jid -> affiliation; 'none' removes). */
  async setAffiliations(requester: string, node: string, changes: Map<string, Affiliation>): Promise<void> {
    await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      this.#requireOwner(r, requester);
      for (const [jid, aff] of changes) {
        if (jid === requester && aff !== 'owner' && this.policy.serviceAffiliation(requester) === null) {
          const owners = Object.values(r.affiliations).filter((a) => a === 'owner').length;
          if (owners <= 1) throw new StanzaError('not-acceptable', 'the node would have no owner');
        }
        if (aff === 'none') delete r.affiliations[jid];
        else r.affiliations[jid] = aff;
        if (aff === 'outcast') r.subscriptions = r.subscriptions.filter((s) => bareOf(s.jid) !== jid);
      }
      await this.store.put(this.policy.key, r);
    });
  }

  /** Owner: sets subscription states ('none' removes, 'subscribed' adds). */
  async setSubscriptions(requester: string, node: string, changes: Map<string, 'none' | 'subscribed'>): Promise<void> {
    await this.store.withLock(this.policy.key, async () => {
      const r = await this.node(node);
      this.#requireOwner(r, requester);
      for (const [jid, state] of changes) {
        r.subscriptions = r.subscriptions.filter((s) => s.jid !== jid);
        if (state === 'subscribed') r.subscriptions.push({ jid, subid: randomUUID() });
      }
      await this.store.put(this.policy.key, r);
    });
  }

  async deleteAll(): Promise<void> {
    await this.store.withLock(this.policy.key, () => this.store.deleteService(this.policy.key));
  }

  /** The last item of a node to these JIDs (on subscription, or on presence for PEP). */
  async sendLast(rec: NodeRecord, to: readonly string[]): Promise<void> {
    const last = rec.items.at(-1);
    if (!last || !rec.config.deliver_notifications) return;
    for (const jid of to) {
      await this.policy.send(this.#message(jid, el('items', { node: rec.name }, itemElement(last, rec.config.deliver_payloads))));
    }
  }

  #message(to: string, event: Element): Element {
    return el('message', { from: this.policy.jid, to, type: 'headline', id: randomUUID() }, el('event', { xmlns: NS_PUBSUB_EVENT }, event));
  }

  /** Subscribers plus presence-based interest, each checked against the access model now. */
  async recipients(rec: NodeRecord): Promise<string[]> {
    const verdict = new Map<string, boolean>();
    const may = async (bare: string): Promise<boolean> => {
      let ok = verdict.get(bare);
      if (ok === undefined) {
        ok = await this.checkAccess(rec, bare).then(() => true, () => false);
        verdict.set(bare, ok);
      }
      return ok;
    };
    const out: string[] = [];
    const bareSubs = new Set(rec.subscriptions.filter((s) => !s.jid.includes('/')).map((s) => s.jid));
    const seen = new Set<string>();
    for (const jid of [...rec.subscriptions.map((s) => s.jid), ...this.policy.interested(rec.name)]) {
      if (seen.has(jid)) continue;
      seen.add(jid);
      if (jid.includes('/') && bareSubs.has(bareOf(jid))) continue;   // the bare subscription reaches it
      if (await may(bareOf(jid))) out.push(jid);
    }
    return out;
  }

  async broadcast(rec: NodeRecord, event: Element): Promise<void> {
    if (!rec.config.deliver_notifications) return;
    for (const to of await this.recipients(rec)) await this.policy.send(this.#message(to, event));
  }
}
