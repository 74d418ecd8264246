// The messages a room replays to people who join (XEP-0045 §7.2.15), with the joiner's <history/> limits.
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { MUC } from './ns.js';

export interface HistoryEntry {
  /** The message as broadcast, without 'to'. */
  stanza: Element;
  when: number;
  /** The stanza-id the room gave it (for moderation). */
  id: string;
  chars: number;
}

export interface HistoryRequest {
  maxchars?: number;
  maxstanzas?: number;
  seconds?: number;
  since?: number;
}

/** Reads <history/> from a join's <x xmlns='http://jabber.org/protocol/muc'/>; bad values are ignored. */
export function parseHistoryRequest(x: Element | undefined): HistoryRequest {
  const h = x?.getChild('history');
  if (!h) return {};
  const int = (v: string | undefined) => (v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined);
  const since = h.attrs.since ? Date.parse(h.attrs.since) : NaN;
  return { maxchars: int(h.attrs.maxchars), maxstanzas: int(h.attrs.maxstanzas), seconds: int(h.attrs.seconds), since: Number.isNaN(since) ? undefined : since };
}

export class History {
  #entries: HistoryEntry[] = [];

  constructor(public capacity: number) {}

  add(entry: HistoryEntry): void {
    if (this.capacity <= 0) return;
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
  }

  resize(capacity: number): void {
    this.capacity = capacity;
    if (this.#entries.length > capacity) this.#entries.splice(0, this.#entries.length - capacity);
  }

  find(id: string): HistoryEntry | undefined {
    return this.#entries.find((e) => e.id === id);
  }

  /** The entries to replay, oldest first: the newest ones that fit every limit. */
  select(req: HistoryRequest, now = Date.now()): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    let chars = 0;
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i]!;
      if (req.maxstanzas !== undefined && out.length >= req.maxstanzas) break;
      if (req.seconds !== undefined && e.when < now - req.seconds * 1000) break;
      if (req.since !== undefined && e.when <= req.since) break;
      if (req.maxchars !== undefined && chars + e.chars > req.maxchars) break;
      chars += e.chars;
      out.push(e);
    }
    return out.reverse();
  }
}

export const delayFor = (roomJid: string, when: number): Element =>
  el('delay', { xmlns: MUC.DELAY, from: roomJid, stamp: new Date(when).toISOString() });
