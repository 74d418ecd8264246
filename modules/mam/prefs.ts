// XEP-0441 archiving preferences (<prefs xmlns='urn:xmpp:mam:2'/>): a default of always / never / roster and
// JIDs that are always or never archived. Stored per user (keyval), cached, with the server's default for
// users who never set any.
import type { Element } from 'ltx';
import { el, StanzaError, type KeyValueStore } from '../../src/api/index.js';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { NS_MAM } from './ns.js';

export type PrefsDefault = 'always' | 'never' | 'roster';

export interface Prefs {
  default: PrefsDefault;
  always: string[];   // prepared JIDs (bare, full or domain)
  never: string[];
}

const DEFAULTS = new Set<string>(['always', 'never', 'roster']);
const MAX_JIDS = 1000;

function jidList(parent: Element | undefined, name: string): string[] {
  if (!parent) return [];
  const out: string[] = [];
  for (const j of parent.getChildren('jid')) {
    const parsed = tryParseJid(j.getText().trim());
    if (!parsed) throw new StanzaError('jid-malformed', `a JID in <${name}/> is not valid`);
    out.push(parsed.full());
  }
  if (out.length > MAX_JIDS) throw new StanzaError('not-acceptable', `at most ${MAX_JIDS} JIDs per list`);
  return [...new Set(out)];
}

/** Reads a <prefs/> set; bad-request when the default is missing or unknown or a JID is in both lists. */
export function parsePrefs(prefs: Element): Prefs {
  const d = prefs.attrs.default;
  if (typeof d !== 'string' || !DEFAULTS.has(d)) throw new StanzaError('bad-request', "prefs need a 'default' of always, never or roster");
  const always = jidList(prefs.getChild('always'), 'always');
  const never = jidList(prefs.getChild('never'), 'never');
  const both = always.filter((j) => never.includes(j));
  if (both.length > 0) throw new StanzaError('bad-request', `${both[0]} cannot be in both <always/> and <never/>`);
  return { default: d as PrefsDefault, always, never };
}

export function prefsElement(p: Prefs): Element {
  return el('prefs', { xmlns: NS_MAM, default: p.default },
    el('always', null, ...p.always.map((j) => el('jid', null, j))),
    el('never', null, ...p.never.map((j) => el('jid', null, j))));
}

/** Whether a listed JID covers the peer: the same full JID, the same bare JID, or the peer's domain. */
function covers(list: string[], peer: Jid): boolean {
  if (list.length === 0) return false;
  return list.includes(peer.bare()) || list.includes(peer.full()) || list.includes(peer.domain);
}

/** The archiving decision for one peer: true/false, or 'roster' when it depends on the user's roster. */
export function decide(p: Prefs, peer: Jid): boolean | 'roster' {
  if (covers(p.never, peer)) return false;
  if (covers(p.always, peer)) return true;
  return p.default === 'always' ? true : p.default === 'never' ? false : 'roster';
}

/** Prefs per user over a keyval store, with a bounded cache (the archive consults it on every message). */
export class PrefsStore {
  #cache = new Map<string, Prefs>();

  constructor(private readonly store: KeyValueStore, private readonly fallback: PrefsDefault, private readonly cacheUsers: number) {}

  get defaults(): Prefs {
    return { default: this.fallback, always: [], never: [] };
  }

  /** Synchronous when cached. */
  get(user: string): Prefs | Promise<Prefs> {
    const hit = this.#cache.get(user);
    if (hit) return hit;
    return this.store.get(user).then((v) => {
      const p = isPrefs(v) ? v : this.defaults;
      this.#remember(user, p);
      return p;
    });
  }

  async set(user: string, p: Prefs): Promise<void> {
    await this.store.set(user, p);
    this.#remember(user, p);
  }

  forget(user: string): void {
    this.#cache.delete(user);
  }

  #remember(user: string, p: Prefs): void {
    if (this.#cache.size >= this.cacheUsers && !this.#cache.has(user)) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(user, p);
  }
}

function isPrefs(v: unknown): v is Prefs {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Prefs;
  return DEFAULTS.has(p.default) && Array.isArray(p.always) && Array.isArray(p.never);
}
