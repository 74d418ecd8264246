// The MUC service at its domain: the rooms, room creation by policy, and the dispatch of every stanza
// addressed to the service, a room or an occupant.
import { createHmac } from 'node:crypto';
import type { Element } from 'ltx';
import { iqResult, StanzaError, type IqRequest, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { adminGet, adminSet } from './admin.js';
import type { RoomArchive } from './archive.js';
import type { MucContext } from './context.js';
import { roomInfo, roomItems, serviceInfo, serviceItems } from './disco.js';
import { onPrivateMessage, onRoomMessage } from './groupchat.js';
import { onPresence } from './join.js';
import { MUC } from './ns.js';
import { OccupantIq } from './occupant-iq.js';
import type { MucOptions } from './options.js';
import { ownerGet, ownerSet } from './owner.js';
import { reservedNickInfo } from './register.js';
import { Room } from './room.js';
import type { RoomStore } from './store.js';
import { roomConfigSchema, type RoomRecord } from './types.js';

/** A handler for an IQ to a room's bare JID, by "type namespace name". */
export type RoomIqHandler = (room: Room, req: IqRequest) => Element | void | Promise<Element | void>;

export class MucService implements MucContext {
  readonly rooms = new Map<string, Room>();
  readonly options: MucOptions;
  readonly occupantIq: OccupantIq;
  readonly #roomIq = new Map<string, RoomIqHandler>();
  readonly #admins: Set<string>;

  constructor(
    readonly ctx: ModuleContext<MucOptions>,
    readonly domain: string,
    readonly store: RoomStore,
    readonly archive: RoomArchive,
    private readonly secret: string,
  ) {
    this.options = ctx.options;
    this.#admins = new Set(ctx.options.admins);
    this.occupantIq = new OccupantIq(this);
    this.roomIq('get', MUC.DISCO_INFO, 'query', (room, req) =>
      req.payload.attrs.node === 'x-roomuser-item' ? reservedNickInfo(room, req.from.bare()) : roomInfo(room, req.payload.attrs.node, req.from.bare()));
    this.roomIq('get', MUC.DISCO_ITEMS, 'query', (room, req) => roomItems(room, req.payload.attrs.node));
    this.roomIq('get', MUC.ADMIN, 'query', (room, req) => adminGet(room, req));
    this.roomIq('set', MUC.ADMIN, 'query', (room, req) => adminSet(room, req));
    this.roomIq('get', MUC.OWNER, 'query', (room, req) => ownerGet(room, req));
    this.roomIq('set', MUC.OWNER, 'query', (room, req) => ownerSet(this, room, req));
    this.roomIq('get', MUC.PING, 'ping', () => undefined);
  }

  /** Registers a handler for IQs to rooms (other files of this module add vCard, MAM, moderation). */
  roomIq(type: 'get' | 'set', xmlns: string, name: string, fn: RoomIqHandler): void {
    this.#roomIq.set(`${type} ${xmlns} ${name}`, fn);
  }

  send(stanza: Element): void {
    void this.ctx.send(stanza);
  }

  occupantId(room: string, bare: string): string {
    return createHmac('sha256', this.secret).update(`${room}\0${bare}`).digest('base64url').slice(0, 22);
  }

  isServiceAdmin(bare: string): boolean {
    return this.#admins.has(bare);
  }

  /** How many rooms `bare` owns (the rooms-per-user limit). */
  roomsOwnedBy(bare: string): number {
    let n = 0;
    for (const room of this.rooms.values()) if (room.affiliation(bare) === 'owner') n++;
    return n;
  }

  /** Rooms on the service and occupants (nicknames) in them, for metrics. */
  stats(): { rooms: number; occupants: number } {
    let occupants = 0;
    for (const room of this.rooms.values()) occupants += room.occupants.size;
    return { rooms: this.rooms.size, occupants };
  }

  forget(name: string): void {
    this.rooms.delete(name);
  }

  /** Loads stored rooms and creates the pre-provisioned ones. */
  async load(): Promise<void> {
    for (const [name, record] of await this.store.loadAll()) this.rooms.set(name, new Room(name, this, record, true));
    for (const p of this.options.rooms) {
      let room = this.rooms.get(p.name);
      if (!room) {
        const config = roomConfigSchema.parse({ ...this.options.defaults, persistent: true, ...p.config });
        room = new Room(p.name, this, { config, affiliations: {}, subject: null, createdAt: Date.now() }, false);
        this.rooms.set(p.name, room);
      }
      const grant = (list: string[], aff: 'owner' | 'admin' | 'member' | 'outcast') => list.forEach((j) => room!.setAffiliation(j, aff));
      grant(p.members, 'member');
      grant(p.admins, 'admin');
      grant(p.owners, 'owner');
      grant(p.outcasts, 'outcast');
      await room.save();
    }
  }

  /** Whoever may create rooms here (the `creation` option). */
  mayCreate(bare: string, domain: string): boolean {
    if (this.isServiceAdmin(bare)) return true;
    switch (this.options.creation) {
      case 'anyone': return true;
      case 'local': return this.ctx.server.hosts().includes(domain);
      case 'admins': return false;
      case 'list': return this.options.creators.includes(bare);
    }
  }

  /** A join to a room that does not exist: creates it (locked, owned by the joiner) when policy allows. */
  async createOnJoin(ev: StanzaEvent): Promise<Room | undefined> {
    const name = ev.to.local;
    if (!this.mayCreate(ev.from.bare(), ev.from.domain)) {
      ev.reply(new StanzaError('not-allowed', 'you may not create rooms on this service'));
      return undefined;
    }
    if (this.rooms.size >= this.options.limits.maxRooms) {
      ev.reply(new StanzaError('resource-constraint', 'this service has as many rooms as it may have'));
      return undefined;
    }
    const creator = ev.from.bare();
    if (!this.isServiceAdmin(creator) && this.roomsOwnedBy(creator) >= this.options.limits.maxRoomsPerUser) {
      ev.reply(new StanzaError('resource-constraint', `you own ${this.options.limits.maxRoomsPerUser} rooms, as many as one user may`));
      return undefined;
    }
    const record: RoomRecord = {
      config: roomConfigSchema.parse(this.options.defaults),
      affiliations: { [ev.from.bare()]: 'owner' },
      subject: null,
      createdAt: Date.now(),
      locked: this.options.lockNewRooms,
    };
    const room = new Room(name, this, record, false);
    this.rooms.set(name, room);
    // A locked room is saved once its owner configures it (a creator who walks away leaves nothing behind).
    if (!record.locked) await room.save();
    return room;
  }

  /** The route handler: everything addressed to the service's domain. */
  async route(ev: StanzaEvent): Promise<void> {
    const kind = ev.stanza.name;
    if (ev.to.local === '') return this.#toService(ev);
    const room = this.rooms.get(ev.to.local);
    if (kind === 'presence') return onPresence(this, ev);
    if (!room) {
      if (kind === 'iq' && (ev.stanza.attrs.type === 'result' || ev.stanza.attrs.type === 'error')) return;
      ev.reply(new StanzaError('item-not-found', 'there is no such room'));
      return;
    }
    if (kind === 'message') {
      if (ev.to.resource) onPrivateMessage(this, room, ev);
      else await onRoomMessage(this, room, ev);
      return;
    }
    if (kind === 'iq') {
      if (ev.to.resource) this.occupantIq.handle(room, ev);
      else await this.#roomIqDispatch(room, ev);
    }
  }

  async #roomIqDispatch(room: Room, ev: StanzaEvent): Promise<void> {
    const type = ev.stanza.attrs.type;
    if (type !== 'get' && type !== 'set') return;
    const payloads = ev.stanza.children.filter((c): c is Element => typeof c !== 'string');
    const payload = payloads[0];
    if (payloads.length !== 1 || !payload) {
      ev.reply(new StanzaError('bad-request', 'an IQ get or set needs exactly one child element'));
      return;
    }
    const fn = this.#roomIq.get(`${type} ${payload.attrs.xmlns ?? ''} ${payload.name}`);
    if (!fn) {
      ev.reply(new StanzaError('service-unavailable'));
      return;
    }
    try {
      const out = await fn(room, { stanza: ev.stanza, payload, from: ev.from, to: ev.to, origin: ev.origin, host: this.ctx.host });
      this.send(iqResult(ev.stanza, out ?? undefined));
    } catch (err) {
      if (err instanceof StanzaError) ev.reply(err);
      else {
        this.ctx.log.error({ err, room: room.name }, 'MUC IQ handler failed');
        ev.reply(new StanzaError('internal-server-error'));
      }
    }
  }

  #toService(ev: StanzaEvent): void {
    const s = ev.stanza;
    if (s.name !== 'iq') {
      if (s.name === 'message') ev.reply(new StanzaError('service-unavailable'));
      return;
    }
    const type = s.attrs.type;
    if (type !== 'get' && type !== 'set') return;
    const payload = s.children.find((c): c is Element => typeof c !== 'string');
    const xmlns = payload?.attrs.xmlns;
    if (type === 'get' && payload?.name === 'query' && payload.attrs.node === undefined) {
      if (xmlns === MUC.DISCO_INFO) return this.send(iqResult(s, serviceInfo(this.options.name)));
      if (xmlns === MUC.DISCO_ITEMS) {
        try {
          return this.send(iqResult(s, serviceItems(this.rooms.values(), payload)));
        } catch (err) {
          if (err instanceof StanzaError) return ev.reply(err);
          throw err;
        }
      }
    }
    if (type === 'get' && payload?.name === 'ping' && xmlns === MUC.PING) return this.send(iqResult(s));
    ev.reply(new StanzaError('service-unavailable'));
  }

  /** Server shutdown: everyone leaves with status 332; resolves when the presences are handed to the sessions. */
  async shutdown(): Promise<void> {
    const sent: Promise<void>[] = [];
    for (const room of this.rooms.values()) {
      for (const o of room.occupants.values()) {
        for (const to of o.sessions.keys()) {
          const p = this.ctx.send(room.presenceFor(o, to, o, { codes: [332] }, 'unavailable', 'none'));
          if (p) sent.push(p);
        }
      }
      room.occupants.clear();
      room.byJid.clear();
    }
    this.occupantIq.clear();
    await Promise.allSettled(sent);
  }

  /**
   * An account of any local host was deleted: its owner, admin and member affiliations and its reserved nick go,
   * so that whoever registers the name later inherits no privileges. A ban (outcast) stays: deleting an account
   * must not be a way out of a ban (Prosody keeps deleted names from being registered again for the same reason).
   * A room left without owners stays as it is, managed by the service admins (Prosody does not destroy it either).
   */
  async accountDeleted(bare: string): Promise<void> {
    for (const room of this.rooms.values()) {
      const aff = room.record.affiliations[bare];
      const privileged = aff !== undefined && aff !== 'outcast';
      const nick = room.record.nicks?.[bare] !== undefined;
      if (!privileged && !nick) continue;
      if (privileged) room.setAffiliation(bare, 'none');
      if (nick) delete room.record.nicks![bare];
      if (aff === 'owner' && room.owners().length === 0) this.ctx.log.info({ room: room.jid, deleted: bare }, 'room left without owners after an account was deleted');
      await room.save();
    }
  }

  /** A local session ended: it leaves every room it was in. */
  sessionEnded(fullJid: string): void {
    for (const room of [...this.rooms.values()]) {
      const o = room.byJid.get(fullJid);
      if (o) room.removeSession(o, fullJid, {});
    }
  }
}

