// The last unavailable presence of each user and when it was sent, answered to presence probes
// while the user is offline (RFC 6121 §4.3.2) with an XEP-0203 delay stamp.
import type { Element } from 'ltx';
import { el, type KeyValueStore } from '../../src/api/index.js';
import { fromJson, jsonSize, toJson } from './json.js';
import { NS_DELAY } from './ns.js';

interface LastRecord {
  at: number;
  presence: unknown;
}

const MAX_STORED = 16 * 1024;

export class LastPresence {
  constructor(private readonly store: KeyValueStore) {}

  async save(user: string, presence: Element, at = Date.now()): Promise<void> {
    let json = toJson(presence);
    delete json.a.to;
    delete json.a.from;
    delete json.a.id;
    if (jsonSize(json) > MAX_STORED) json = { n: 'presence', a: { type: 'unavailable' }, c: [] };
    await this.store.set(user, { at, presence: json } satisfies LastRecord);
  }

  async get(user: string): Promise<{ at: number; presence: Element } | null> {
    const rec = (await this.store.get(user)) as Partial<LastRecord> | null;
    if (!rec || typeof rec.at !== 'number') return null;
    const presence = fromJson(rec.presence);
    return presence ? { at: rec.at, presence } : null;
  }

  /** The answer to a probe while the user is offline: the last unavailable presence, delayed. */
  async answer(user: string, from: string, to: string, host: string): Promise<Element> {
    const last = await this.get(user);
    if (!last) return el('presence', { type: 'unavailable', from, to });
    const p = last.presence;
    p.attrs.type = 'unavailable';
    p.attrs.from = from;
    p.attrs.to = to;
    p.remove('delay', NS_DELAY);
    p.cnode(el('delay', { xmlns: NS_DELAY, from: host, stamp: new Date(last.at).toISOString() }));
    return p;
  }
}
