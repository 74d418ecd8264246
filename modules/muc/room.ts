// A room: its persisted record (config, affiliations, subject), its occupants, and the presence it shows
// of each occupant to each observer (XEP-0045 §7.2.3-§7.2.5: real JIDs only where whois allows).
import { clone, type Element } from 'ltx';
import { el, sharedCopies } from '../../src/api/index.js';
import { History } from './history.js';
import { MUC } from './ns.js';
import { Occupant } from './occupant.js';
import type { Rate } from './rate.js';
import { defaultRole } from './permissions.js';
import type { MucContext } from './context.js';
import type { Affiliation, Role, RoomConfig, RoomRecord } from './types.js';

export interface StatusInfo {
  codes?: number[];
  actor?: string;
  reason?: string;
  /** For 303: the new nick. */
  newNick?: string;
  /** For a destroyed room: the <destroy/> element to include. */
  destroy?: Element;
}

/** What Room.limits() gives: message size and the token bucket's rate for each occupant. */
export interface RoomLimits extends Rate {
  maxMessageBytes: number;
}

export class Room {
  readonly jid: string;
  readonly occupants = new Map<string, Occupant>();
  readonly byJid = new Map<string, Occupant>();
  readonly history: History;
  /** Stored (persistent) rooms are saved on every change. */
  #saved = false;

  constructor(readonly name: string, readonly svc: MucContext, public record: RoomRecord, saved: boolean) {
    this.jid = `${name}@${svc.domain}`;
    this.history = new History(this.historyCapacity());
    this.#saved = saved;
  }

  get config(): RoomConfig {
    return this.record.config;
  }

  /** The limits per occupant in this room: the room's own where set (0 = unset), never above the service's. */
  limits(): RoomLimits {
    const service = this.svc.options.limits;
    const own = (value: number, cap: number) => (value > 0 ? Math.min(value, cap) : cap);
    return {
      maxMessageBytes: own(this.config.maxMessageBytes, service.maxMessageBytes),
      perSecond: own(this.config.messagesPerSecond, service.messagesPerSecond),
      burst: own(this.config.messageBurst, service.messageBurst),
    };
  }

  historyCapacity(): number {
    return Math.min(this.config.historyLength, this.svc.options.limits.maxHistory);
  }

  affiliation(bare: string): Affiliation {
    if (this.svc.isServiceAdmin(bare)) return 'owner';
    return this.record.affiliations[bare] ?? 'none';
  }

  owners(): string[] {
    return Object.entries(this.record.affiliations).filter(([, a]) => a === 'owner').map(([j]) => j);
  }

  setAffiliation(bare: string, aff: Affiliation): void {
    if (aff === 'none') delete this.record.affiliations[bare];
    else this.record.affiliations[bare] = aff;
  }

  defaultRoleOf(bare: string): Role {
    return defaultRole(this.affiliation(bare), this.config);
  }

  /** Persists the room when it is persistent, removes it from storage when it stopped being so. */
  async save(): Promise<void> {
    if (this.config.persistent) {
      await this.svc.store.save(this.name, this.record);
      this.#saved = true;
    } else if (this.#saved) {
      await this.svc.store.remove(this.name);
      this.#saved = false;
    }
  }

  occupantJid(nick: string): string {
    return `${this.jid}/${nick}`;
  }

  /** Whether `observer` is shown real JIDs (§7.2.3 non-anonymous, §7.2.4 semi-anonymous). */
  seesJids(observer: Occupant): boolean {
    return this.config.whois === 'anyone' || observer.role === 'moderator';
  }

  /** The <x xmlns='muc#user'/> of an occupant as `observer` sees it. */
  userX(o: Occupant, realJid: string | null, info: StatusInfo, role: Role = o.role): Element {
    const item = el('item', { affiliation: this.affiliation(o.bare), role, jid: realJid ?? undefined, nick: info.newNick });
    if (info.actor) item.cnode(el('actor', { nick: info.actor }));
    if (info.reason) item.cnode(el('reason', null, info.reason));
    const x = el('x', { xmlns: MUC.USER }, item);
    if (info.destroy) x.cnode(info.destroy);
    for (const code of info.codes ?? []) x.cnode(el('status', { code: String(code) }));
    return x;
  }

  /** The presence of `o` for one recipient session. */
  presenceFor(o: Occupant, to: string, observer: Occupant | null, info: StatusInfo, type?: 'unavailable', role?: Role): Element {
    const self = observer === o;
    const p = el('presence', { from: this.occupantJid(o.nick), to, type });
    if (type !== 'unavailable' && o.presence) {
      for (const c of o.presence.children) {
        if (typeof c === 'string') continue;
        const ns = c.attrs.xmlns;
        if (ns === MUC.BASE || ns === MUC.USER || ns === MUC.OCCUPANT_ID) continue;
        p.cnode(clone(c));
      }
    }
    p.cnode(el('occupant-id', { xmlns: MUC.OCCUPANT_ID, id: o.occupantId }));
    const real = self ? to : observer && this.seesJids(observer) ? o.primary : null;
    const codes = self ? [...(info.codes ?? []), 110] : (info.codes ?? []).filter((c) => c !== 110 && c !== 100 && c !== 170 && c !== 201 && c !== 210);
    p.cnode(this.userX(o, real, { ...info, codes }, role));
    return p;
  }

  /** Sends `o`'s presence to every occupant session (its own sessions get status 110). */
  broadcastPresence(o: Occupant, info: StatusInfo = {}, type?: 'unavailable', role?: Role): void {
    for (const observer of this.occupants.values()) {
      if (observer === o) continue;
      for (const to of observer.sessions.keys()) this.svc.send(this.presenceFor(o, to, observer, info, type, role));
    }
    for (const to of o.sessions.keys()) this.svc.send(this.presenceFor(o, to, o, info, type, role));
  }

  /** Sends a stanza to every session of every occupant, addressed to each. */
  broadcast(stanza: Element, filter?: (o: Occupant) => boolean): void {
    const copyTo = sharedCopies(stanza);   // one serialisation of the payload for every recipient
    for (const o of this.occupants.values()) {
      if (filter && !filter(o)) continue;
      for (const to of o.sessions.keys()) this.svc.send(copyTo({ to }));
    }
  }

  /** A message from the room itself with status codes (§10.2.1 config changes, 104 and friends). */
  announce(codes: number[]): void {
    const x = el('x', { xmlns: MUC.USER }, ...codes.map((c) => el('status', { code: String(c) })));
    this.broadcast(el('message', { from: this.jid, type: 'groupchat', id: `status-${Date.now().toString(36)}` }, x));
  }

  /** Takes an occupant out of the room (all sessions), telling everyone with `info`. */
  remove(o: Occupant, info: StatusInfo): void {
    this.broadcastPresence(o, info, 'unavailable', 'none');
    this.#drop(o);
  }

  #drop(o: Occupant): void {
    this.occupants.delete(o.nick);
    for (const j of o.sessions.keys()) this.byJid.delete(j);
    this.afterLeave();
  }

  /** Removes one session of an occupant; the occupant leaves when it was the last. */
  removeSession(o: Occupant, jid: string, info: StatusInfo): void {
    if (o.sessions.size <= 1) {
      this.remove(o, info);
      return;
    }
    this.svc.send(this.presenceFor(o, jid, o, info, 'unavailable', 'none'));
    o.sessions.delete(jid);
    this.byJid.delete(jid);
  }

  addOccupant(o: Occupant, jid: string, presence: Element): void {
    o.sessions.set(jid, presence);
    o.presence = presence;
    this.occupants.set(o.nick, o);
    this.byJid.set(jid, o);
  }

  /** A temporary room with nobody in it, or a room still locked when its creator leaves, is gone. */
  afterLeave(): void {
    if (this.occupants.size > 0) return;
    if (!this.config.persistent || this.record.locked) this.svc.forget(this.name);
  }

  newOccupant(nick: string, bare: string, role: Role): Occupant {
    return new Occupant(nick, bare, role, this.svc.occupantId(this.jid, bare), this.limits());
  }
}
