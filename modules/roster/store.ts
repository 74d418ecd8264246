// Roster storage: one map-store row per contact and one keyval document per user holding the
// version counter and a bounded log of recent changes (RFC 6121 §2.6, "pushes of only the changes").
// Every change of a user's roster runs under that user's lock, so versions, rows and pushes agree.
import { randomBytes } from 'node:crypto';
import { StanzaError, type KeyValueStore, type MapStore } from '../../src/api/index.js';
import type { RosterItem, RosterMutation, Subscription } from './types.js';
import { view } from './xml.js';

interface Meta {
  /** Random per roster incarnation: a version from a deleted-and-recreated account never matches. */
  epoch: string;
  version: number;
  /** [version, contact] of the most recent visible changes, oldest first. */
  log: [number, string][];
}

export interface StoreLimits {
  maxItems: number;
  maxPendingIn: number;
  logSize: number;
}

export interface ApplyResult {
  previous: RosterItem | null;
  item: RosterItem | null;
  pushed: boolean;
  version: string;
}

const SUBSCRIPTIONS = new Set<Subscription>(['none', 'to', 'from', 'both']);

/** Reads a stored row defensively (rows written by older versions may miss fields). */
function normalise(jid: string, raw: unknown): RosterItem | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Partial<RosterItem>;
  const item: RosterItem = {
    jid,
    groups: Array.isArray(r.groups) ? r.groups.filter((g): g is string => typeof g === 'string') : [],
    subscription: r.subscription && SUBSCRIPTIONS.has(r.subscription) ? r.subscription : 'none',
    ask: r.ask === true,
    approved: r.approved === true,
    pendingIn: r.pendingIn === true,
    hidden: r.hidden === true,
  };
  if (typeof r.name === 'string') item.name = r.name;
  if (typeof r.request === 'string') item.request = r.request;
  return item;
}

function stored(item: RosterItem): Omit<RosterItem, 'jid'> {
  const { jid: _jid, ...rest } = item;
  return rest;
}

export class RosterStore {
  #locks = new Map<string, Promise<void>>();

  constructor(
    private readonly rows: MapStore,
    private readonly metas: KeyValueStore,
    private readonly limits: StoreLimits,
  ) {}

  /** Runs `fn` after every earlier locked call for this user has finished. */
  withLock<T>(user: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(user) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(() => undefined, () => undefined);
    this.#locks.set(user, tail);
    void tail.then(() => {
      if (this.#locks.get(user) === tail) this.#locks.delete(user);
    });
    return run;
  }

  async all(user: string): Promise<Map<string, RosterItem>> {
    const out = new Map<string, RosterItem>();
    for (const [jid, raw] of await this.rows.getAll(user)) {
      const item = normalise(jid, raw);
      if (item) out.set(jid, item);
    }
    return out;
  }

  async get(user: string, contact: string): Promise<RosterItem | null> {
    return normalise(contact, await this.rows.get(user, contact));
  }

  /** The user's version document, created (and saved, so that the version is stable) on first use. */
  async meta(user: string): Promise<Meta> {
    const raw = (await this.metas.get(user)) as Partial<Meta> | null;
    if (raw && typeof raw.epoch === 'string' && typeof raw.version === 'number' && Array.isArray(raw.log)) return raw as Meta;
    const meta: Meta = { epoch: randomBytes(4).toString('hex'), version: 0, log: [] };
    await this.metas.set(user, meta);
    return meta;
  }

  static versionString(meta: Meta, version = meta.version): string {
    return `${meta.epoch}-${version}`;
  }

  /**
   * The contacts changed since the client's version `ver`, each with the version of its last change,
   * oldest first; [] when `ver` is current; null when `ver` is unknown or older than the log.
   */
  static changesSince(meta: Meta, ver: string): [string, number][] | null {
    const dash = ver.lastIndexOf('-');
    if (dash <= 0 || ver.slice(0, dash) !== meta.epoch) return null;
    const digits = ver.slice(dash + 1);
    if (!/^\d{1,15}$/.test(digits)) return null;
    const since = Number(digits);
    if (since > meta.version) return null;
    if (since === meta.version) return [];
    const oldest = meta.log[0]?.[0];
    if (oldest === undefined || oldest > since + 1) return null;
    const last = new Map<string, number>();
    for (const [v, contact] of meta.log) {
      if (v <= since) continue;
      last.delete(contact);   // keep the map in order of each contact's latest change
      last.set(contact, v);
    }
    return [...last];
  }

  /**
   * Applies a mutation to one item. Call under the user's lock. The version moves on when what the
   * user sees changed (or when `force` is set: a roster set is always pushed, RFC 6121 §2.3.2).
   */
  async apply(user: string, contact: string, mutate: RosterMutation, force = false): Promise<ApplyResult> {
    const previous = await this.get(user, contact);
    const next = mutate(previous ? structuredClone(previous) : null);
    const meta = await this.meta(user);
    if (next === undefined) return { previous, item: previous, pushed: false, version: RosterStore.versionString(meta) };
    if (next) {
      next.jid = contact;
      if (!next.pendingIn) delete next.request;
      await this.#checkLimits(user, previous, next);
    }
    const pushed = force || view(previous) !== view(next);
    if (pushed) {
      // The version document is written first: after a crash between the two writes a client is
      // at worst pushed an item that did not change, never left without a change.
      meta.version += 1;
      meta.log.push([meta.version, contact]);
      if (meta.log.length > this.limits.logSize) meta.log.splice(0, meta.log.length - this.limits.logSize);
      await this.metas.set(user, meta);
    }
    await this.rows.set(user, contact, next ? stored(next) : null);
    return { previous, item: next, pushed, version: RosterStore.versionString(meta) };
  }

  async #checkLimits(user: string, previous: RosterItem | null, next: RosterItem): Promise<void> {
    const wasVisible = previous !== null && !previous.hidden;
    if (!next.hidden && !wasVisible) {
      let visible = 0;
      for (const raw of (await this.rows.getAll(user)).values()) if (!(raw as Partial<RosterItem>).hidden) visible++;
      if (visible >= this.limits.maxItems) {
        throw new StanzaError('resource-constraint', `the roster is full (${this.limits.maxItems} contacts)`, 'cancel');
      }
    } else if (next.hidden && previous === null) {
      let hidden = 0;
      for (const raw of (await this.rows.getAll(user)).values()) if ((raw as Partial<RosterItem>).hidden) hidden++;
      if (hidden >= this.limits.maxPendingIn) {
        throw new StanzaError('resource-constraint', 'too many pending subscription requests', 'cancel');
      }
    }
  }
}
