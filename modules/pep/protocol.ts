// XEP-0060 requests (<pubsub/> and <pubsub xmlns='...#owner'/>) turned into engine operations and
// their results, for any service: PEP and pubsub.<host> share this.
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { parseJid } from '../../src/jid.js';
import { configForm, parseConfigForm, type NodeConfig } from './config.js';
import { itemElement, type PubSubEngine } from './engine.js';
import { nodeIdRequired, pubsubError, unsupported } from './errors.js';
import { NS_DATA, NS_NODE_CONFIG, NS_PUBLISH_OPTIONS, NS_PUBSUB, NS_PUBSUB_OWNER, NS_RSM, NS_SUBSCRIBE_OPTIONS } from './ns.js';
import type { Affiliation, StoredItem } from './types.js';

export interface PubSubRequest {
  /** The requester's bare JID. */
  requester: string;
  /** The requester's full JID (for subscribe checks). */
  full: string;
  payload: Element;
}

/** Paging of item lists (XEP-0059 by item id), supplied by services that offer it. */
export interface ItemPager {
  page(items: StoredItem[], request: Element): { items: StoredItem[]; set: Element | null };
}

const ONE_ELEMENT = (parent: Element): Element => {
  const kids = parent.getChildElements();
  if (kids.length !== 1) throw new StanzaError('bad-request', 'exactly one pubsub verb is expected');
  return kids[0]!;
};

function nodeAttr(verb: Element): string {
  const node = verb.attrs.node;
  if (node === undefined || node === '') throw nodeIdRequired();
  if (node.length > 1023) throw new StanzaError('not-acceptable', 'the node name is too long');
  return node;
}

function normaliseJid(jid: string | undefined): string {
  if (!jid) throw pubsubError('bad-request', 'invalid-jid', 'a jid is required');
  try {
    return parseJid(jid).toString();
  } catch {
    throw new StanzaError('jid-malformed');
  }
}

function formOf(parent: Element | undefined): Element | undefined {
  return parent?.getChild('x', NS_DATA) ?? undefined;
}

const COMPANIONS = new Set(['publish-options', 'configure', 'options']);

export async function pubsubSet(engine: PubSubEngine, req: PubSubRequest): Promise<Element | void> {
  // The verb, whatever the order of its companions (<publish-options/>, <configure/>, <options/>).
  const kids = req.payload.getChildElements();
  const others = kids.filter((c) => !COMPANIONS.has(c.name));
  // <options/> alone is itself a verb (setting subscription options).
  const verbs = others.length === 0 && kids.length === 1 ? kids : others;
  if (verbs.length !== 1) throw new StanzaError('bad-request', 'exactly one pubsub verb is expected');
  const verb = verbs[0]!;
  switch (verb.name) {
    case 'publish': {
      const node = nodeAttr(verb);
      const items = verb.getChildren('item');
      if (items.length > 1) throw pubsubError('bad-request', 'invalid-payload', 'publish one item at a time');
      const item = items[0];
      const payloads = item?.getChildElements() ?? [];
      if (payloads.length > 1) throw pubsubError('bad-request', 'invalid-payload', 'an item holds one payload element');
      if (payloads.length === 0) throw pubsubError('bad-request', 'payload-required');
      const optsForm = formOf(req.payload.getChild('publish-options') ?? undefined);
      const options = optsForm ? parseConfigForm(optsForm, NS_PUBLISH_OPTIONS) : undefined;
      const id = item?.attrs.id ? item.attrs.id : undefined;
      if (id !== undefined && id.length > 1023) throw new StanzaError('not-acceptable', 'the item id is too long');
      const stored = await engine.publish(req.requester, node, id, payloads[0]!, options);
      return el('pubsub', { xmlns: NS_PUBSUB }, el('publish', { node }, el('item', { id: stored })));
    }
    case 'retract': {
      const node = nodeAttr(verb);
      const items = verb.getChildren('item');
      if (items.length === 0 || items.some((i) => !i.attrs.id)) throw pubsubError('bad-request', 'item-required');
      const notify = verb.attrs.notify === 'true' || verb.attrs.notify === '1';
      for (const i of items) await engine.retract(req.requester, node, i.attrs.id!, notify);
      return;
    }
    case 'create': {
      const config = formOf(req.payload.getChild('configure') ?? undefined);
      const change = config ? parseConfigForm(config, NS_NODE_CONFIG) : {};
      const name = await engine.create(req.requester, verb.attrs.node || undefined, change);
      return verb.attrs.node ? undefined : el('pubsub', { xmlns: NS_PUBSUB }, el('create', { node: name }));
    }
    case 'subscribe': {
      const node = nodeAttr(verb);
      const jid = normaliseJid(verb.attrs.jid);
      const sub = await engine.subscribe(req.requester, node, jid);
      return el('pubsub', { xmlns: NS_PUBSUB }, el('subscription', { node, jid: sub.jid, subid: sub.subid, subscription: 'subscribed' }));
    }
    case 'unsubscribe': {
      const node = nodeAttr(verb);
      await engine.unsubscribe(req.requester, node, normaliseJid(verb.attrs.jid), verb.attrs.subid);
      return;
    }
    case 'options': {
      // Subscription options are accepted and have no effect beyond delivery (no digest or filters).
      const node = nodeAttr(verb);
      const rec = await engine.node(node);
      const jid = normaliseJid(verb.attrs.jid);
      if (!rec.subscriptions.some((s) => s.jid === jid)) throw pubsubError('unexpected-request', 'not-subscribed', undefined, { type: 'cancel' });
      return;
    }
    default:
      throw unsupported(verb.name);
  }
}

export async function pubsubGet(engine: PubSubEngine, req: PubSubRequest, pager?: ItemPager): Promise<Element> {
  // A XEP-0059 <set/> may accompany <items/>.
  const verbs = req.payload.getChildElements().filter((c) => c.attrs.xmlns !== NS_RSM);
  if (verbs.length !== 1) throw new StanzaError('bad-request', 'exactly one pubsub verb is expected');
  const verb = verbs[0]!;
  switch (verb.name) {
    case 'items': {
      const node = nodeAttr(verb);
      const ids = verb.getChildren('item').map((i) => i.attrs.id).filter((id): id is string => !!id);
      const maxAttr = verb.attrs.max_items;
      if (maxAttr !== undefined && !/^[0-9]{1,9}$/.test(maxAttr)) throw new StanzaError('bad-request', 'max_items must be a number');
      const { items } = await engine.items(req.requester, node, { ids, max: maxAttr === undefined ? undefined : Number(maxAttr) });
      const paged = pager && ids.length === 0 ? pager.page(items, req.payload) : { items, set: null };
      const list = el('items', { node });
      for (const i of paged.items) list.cnode(itemElement(i, true));
      return el('pubsub', { xmlns: NS_PUBSUB }, list, paged.set);
    }
    case 'subscriptions': {
      const only = verb.attrs.node;
      const out = el('subscriptions', { node: only });
      for (const rec of await engine.nodes()) {
        if (only !== undefined && rec.name !== only) continue;
        for (const s of rec.subscriptions) {
          if (s.jid.split('/')[0] === req.requester) out.cnode(el('subscription', { node: rec.name, jid: s.jid, subid: s.subid, subscription: 'subscribed' }));
        }
      }
      return el('pubsub', { xmlns: NS_PUBSUB }, out);
    }
    case 'affiliations': {
      const only = verb.attrs.node;
      const out = el('affiliations', { node: only });
      for (const rec of await engine.nodes()) {
        if (only !== undefined && rec.name !== only) continue;
        const aff = engine.affiliation(rec, req.requester);
        if (aff !== 'none') out.cnode(el('affiliation', { node: rec.name, affiliation: aff }));
      }
      return el('pubsub', { xmlns: NS_PUBSUB }, out);
    }
    case 'options': {
      const node = nodeAttr(verb);
      const rec = await engine.node(node);
      const jid = normaliseJid(verb.attrs.jid);
      if (!rec.subscriptions.some((s) => s.jid === jid)) throw pubsubError('unexpected-request', 'not-subscribed', undefined, { type: 'cancel' });
      const form = el('x', { xmlns: NS_DATA, type: 'form' },
        el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', null, NS_SUBSCRIBE_OPTIONS)),
        el('field', { var: 'pubsub#deliver', type: 'boolean', label: 'Enable delivery?' }, el('value', null, '1')));
      return el('pubsub', { xmlns: NS_PUBSUB }, el('options', { node, jid }, form));
    }
    default:
      throw unsupported(verb.name);
  }
}

const AFFILIATIONS: readonly Affiliation[] = ['owner', 'publisher', 'publish-only', 'member', 'none', 'outcast'];

export async function ownerGet(engine: PubSubEngine, req: PubSubRequest): Promise<Element> {
  const verb = ONE_ELEMENT(req.payload);
  const wrap = (child: Element) => el('pubsub', { xmlns: NS_PUBSUB_OWNER }, child);
  switch (verb.name) {
    case 'default':
      return wrap(el('default', null, configForm(engine.policy.defaults(''))));
    case 'configure': {
      const node = nodeAttr(verb);
      const rec = await engine.node(node);
      if (engine.affiliation(rec, req.requester) !== 'owner') throw pubsubError('forbidden', null, 'only an owner may configure the node');
      return wrap(el('configure', { node }, configForm(rec.config)));
    }
    case 'affiliations': {
      const node = nodeAttr(verb);
      const rec = await engine.node(node);
      if (engine.affiliation(rec, req.requester) !== 'owner') throw pubsubError('forbidden', null, 'only an owner may see affiliations');
      const out = el('affiliations', { node });
      for (const [jid, aff] of Object.entries(rec.affiliations)) out.cnode(el('affiliation', { jid, affiliation: aff }));
      return wrap(out);
    }
    case 'subscriptions': {
      const node = nodeAttr(verb);
      const rec = await engine.node(node);
      if (engine.affiliation(rec, req.requester) !== 'owner') throw pubsubError('forbidden', null, 'only an owner may see subscriptions');
      const out = el('subscriptions', { node });
      for (const s of rec.subscriptions) out.cnode(el('subscription', { jid: s.jid, subscription: 'subscribed', subid: s.subid }));
      return wrap(out);
    }
    default:
      throw unsupported(verb.name);
  }
}

export async function ownerSet(engine: PubSubEngine, req: PubSubRequest): Promise<void> {
  const verb = ONE_ELEMENT(req.payload);
  switch (verb.name) {
    case 'configure': {
      const node = nodeAttr(verb);
      const form = formOf(verb);
      if (!form) throw pubsubError('bad-request', 'invalid-options', 'a configuration form is expected');
      await engine.configure(req.requester, node, parseConfigForm(form, NS_NODE_CONFIG) as Partial<NodeConfig>);
      return;
    }
    case 'delete': {
      const node = nodeAttr(verb);
      await engine.deleteNode(req.requester, node, verb.getChild('redirect')?.attrs.uri);
      return;
    }
    case 'purge':
      await engine.purge(req.requester, nodeAttr(verb));
      return;
    case 'affiliations': {
      const node = nodeAttr(verb);
      const changes = new Map<string, Affiliation>();
      for (const a of verb.getChildren('affiliation')) {
        const aff = a.attrs.affiliation as Affiliation;
        if (!AFFILIATIONS.includes(aff)) throw new StanzaError('bad-request', `unknown affiliation '${String(a.attrs.affiliation).slice(0, 50)}'`);
        changes.set(parseJid(normaliseJid(a.attrs.jid)).bare(), aff);
      }
      await engine.setAffiliations(req.requester, node, changes);
      return;
    }
    case 'subscriptions': {
      const node = nodeAttr(verb);
      const changes = new Map<string, 'none' | 'subscribed'>();
      for (const s of verb.getChildren('subscription')) {
        const state = s.attrs.subscription;
        if (state !== 'none' && state !== 'subscribed') throw unsupported('manage-subscriptions');
        changes.set(normaliseJid(s.attrs.jid), state);
      }
      await engine.setSubscriptions(req.requester, node, changes);
      return;
    }
    default:
      throw unsupported(verb.name);
  }
}
