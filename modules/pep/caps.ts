// XEP-0163 §4 filtered notifications from XEP-0115 entity capabilities: who (a full JID) wants which
// nodes of an account's PEP, learnt from the <c/> in presence and a disco#info query per new hash.
// Answers whose SHA-1 verification string matches are cached by hash for every account; others
// only for the JID that gave them.
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { capsVer } from '../disco/caps.js';
import { NS_CAPS, NS_DISCO_INFO } from './ns.js';

const NOTIFY = '+notify';
const MAX_CACHED = 10_000;

export interface CapsDeps {
  /** Sends a disco#info query and resolves with the result. */
  query(from: string, to: string, node: string): Promise<Element>;
  /** A full JID's wanted nodes became known (new presence): deliver the last items it may see. */
  onInterest(owner: string, full: string, nodes: ReadonlySet<string>): void | Promise<void>;
  warn(err: unknown, msg: string): void;
}

/** The +notify nodes in a disco#info answer. */
export function notifyNodes(features: readonly string[]): Set<string> {
  return new Set(features.filter((f) => f.endsWith(NOTIFY)).map((f) => f.slice(0, -NOTIFY.length)));
}

export class CapsTracker {
  /** caps key -> nodes wanted. */
  #known = new Map<string, Set<string>>();
  #pending = new Map<string, Promise<Set<string> | null>>();
  /** owner username -> full JID -> caps key. */
  #recipients = new Map<string, Map<string, string>>();

  constructor(private readonly deps: CapsDeps) {}

  /** Nodes the full JID wants, if its caps are known. */
  wanted(owner: string, full: string): ReadonlySet<string> | undefined {
    const key = this.#recipients.get(owner)?.get(full);
    return key === undefined ? undefined : this.#known.get(key);
  }

  /** Full JIDs interested in `node` of the owner's PEP. */
  interested(owner: string, node: string): string[] {
    const out: string[] = [];
    for (const [full, key] of this.#recipients.get(owner) ?? []) if (this.#known.get(key)?.has(node)) out.push(full);
    return out;
  }

  remove(owner: string, full: string): void {
    const m = this.#recipients.get(owner);
    if (!m) return;
    m.delete(full);
    if (m.size === 0) this.#recipients.delete(owner);
  }

  /** Drops an owner's recipients whose bare JID is `bare` (e.g. the subscription was removed). */
  removeBare(owner: string, bare: string): void {
    const m = this.#recipients.get(owner);
    if (!m) return;
    for (const full of [...m.keys()]) if (full.split('/')[0] === bare) m.delete(full);
  }

  forgetOwner(owner: string): void {
    this.#recipients.delete(owner);
  }

  /** An available presence from `full` reached the owner's PEP (ownerBare is the account's bare JID). */
  async presence(owner: string, ownerBare: string, full: string, presence: Element): Promise<void> {
    const c = presence.getChild('c', NS_CAPS);
    const ver = c?.attrs.ver;
    const capsNode = c?.attrs.node;
    if (!c || !ver || !capsNode || ver.length > 200 || capsNode.length > 1000) {
      this.remove(owner, full);
      return;
    }
    const queryNode = `${capsNode}#${ver}`;
    const shared = c.attrs.hash === 'sha-1' ? `sha-1\0${ver}` : null;
    const own = `${full}\0${queryNode}`;
    const current = this.#recipients.get(owner)?.get(full);
    if (current !== undefined && (current === own || current === shared)) return;
    let key = shared !== null && this.#known.has(shared) ? shared : this.#known.has(own) ? own : null;
    if (key === null) {
      // While the answer is awaited the JID wants nothing; an unavailable presence meanwhile removes the marker.
      const marker = `pending\0${own}`;
      this.#set(owner, full, marker);
      const learnt = await this.#learn(shared, own, ownerBare, full, queryNode, ver);
      if (this.#recipients.get(owner)?.get(full) !== marker) return;
      if (!learnt) {
        this.remove(owner, full);
        return;
      }
      key = learnt;
    }
    const nodes = this.#known.get(key) ?? new Set<string>();
    this.#set(owner, full, key);
    await this.deps.onInterest(owner, full, nodes);
  }

  #set(owner: string, full: string, key: string): void {
    const m = this.#recipients.get(owner) ?? new Map<string, string>();
    m.set(full, key);
    this.#recipients.set(owner, m);
  }

  /** Queries `to` and caches the answer: by hash when it verifies, else for this JID only. Returns the key. */
  async #learn(shared: string | null, own: string, from: string, to: string, queryNode: string, ver: string): Promise<string | null> {
    const pendingKey = shared ?? own;
    let p = this.#pending.get(pendingKey);
    if (!p) {
      p = this.deps.query(from, to, queryNode).then((result) => {
        const query = result.getChild('query', NS_DISCO_INFO);
        if (!query) return null;
        const features = query.getChildren('feature').map((f) => f.attrs.var).filter((v): v is string => !!v);
        const identities = query.getChildren('identity').map((i) => ({ category: i.attrs.category ?? '', type: i.attrs.type ?? '', name: i.attrs.name }));
        const forms = query.getChildren('x', 'jabber:x:data');
        const nodes = notifyNodes(features);
        if (shared !== null && capsVer(identities, features, forms) === ver) this.#remember(shared, nodes);
        return nodes;
      }, (err: unknown) => {
        this.deps.warn(err, 'caps disco#info query failed');
        return null;
      }).finally(() => this.#pending.delete(pendingKey));
      this.#pending.set(pendingKey, p);
    }
    const nodes = await p;
    if (!nodes) return null;
    if (shared !== null && this.#known.get(shared) === nodes) return shared;
    this.#remember(own, nodes);
    return own;
  }

  #remember(key: string, nodes: Set<string>): void {
    if (this.#known.size >= MAX_CACHED) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
    this.#known.set(key, nodes);
  }
}

export const discoQuery = (from: string, to: string, node: string): Element =>
  el('iq', { type: 'get', from, to }, el('query', { xmlns: NS_DISCO_INFO, node }));
