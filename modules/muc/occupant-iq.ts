// IQs to an occupant JID: XEP-0410 self-ping answered by the room, other IQs passed between occupants
// (XEP-0045 §7.5 privacy: the target's real JID is never shown), with ids rewritten and answers routed back.
import { randomUUID } from 'node:crypto';
import { clone } from 'ltx';
import { StanzaError, iqResult, type StanzaEvent } from '../../src/api/index.js';
import { MUC } from './ns.js';
import type { Room } from './room.js';
import type { MucService } from './service.js';

interface Pending {
  /** Who asked, and with which id. */
  from: string;
  id: string;
  /** The target's occupant JID, the answer's new 'from'. */
  occupantJid: string;
  /** Who must answer (the answer's 'from'). */
  responder: string;
  timer: NodeJS.Timeout;
}

const TIMEOUT_MS = 60_000;
/** Forwarded IQs waiting for an answer, per service: beyond this, new ones are refused. */
const MAX_PENDING = 10_000;

export class OccupantIq {
  #pending = new Map<string, Pending>();

  constructor(private readonly svc: MucService) {}

  handle(room: Room, ev: StanzaEvent): void {
    const type = ev.stanza.attrs.type;
    if (type === 'result' || type === 'error') return this.#answer(ev);
    const sender = room.byJid.get(ev.from.full());
    if (!sender) {
      ev.reply(new StanzaError('not-acceptable', 'you are not an occupant of this room'));
      return;
    }
    const payload = ev.stanza.children.find((c) => typeof c !== 'string');
    if (typeof payload === 'string' || !payload) {
      ev.reply(new StanzaError('bad-request'));
      return;
    }
    // XEP-0410 §3.2: a ping to one's own occupant JID is answered by the room itself.
    if (sender.nick === ev.to.resource && payload.name === 'ping' && payload.attrs.xmlns === MUC.PING) {
      const r = iqResult(ev.stanza);
      this.svc.send(r);
      return;
    }
    const target = room.occupants.get(ev.to.resource);
    if (!target) {
      ev.reply(new StanzaError('item-not-found', 'no occupant has that nickname'));
      return;
    }
    if (this.#pending.size >= MAX_PENDING) {
      ev.reply(new StanzaError('resource-constraint', 'too many requests in flight'));
      return;
    }
    // vCards belong to the account, so their requests go to the bare JID (as Prosody and ejabberd do).
    const responder = payload.attrs.xmlns === MUC.VCARD ? target.bare : target.primary;
    const id = randomUUID();
    const out = clone(ev.stanza);
    out.attrs.from = room.occupantJid(sender.nick);
    out.attrs.to = responder;
    out.attrs.id = id;
    const timer = setTimeout(() => this.#pending.delete(id), TIMEOUT_MS);
    timer.unref();
    this.#pending.set(id, { from: ev.from.full(), id: ev.stanza.attrs.id ?? '', occupantJid: ev.to.full(), responder, timer });
    this.svc.send(out);
  }

  #answer(ev: StanzaEvent): void {
    const p = this.#pending.get(ev.stanza.attrs.id ?? '');
    if (!p) return;
    // Only the entity that was asked may answer (IQ spoofing).
    const from = ev.from.full();
    if (from !== p.responder && ev.from.bare() !== p.responder) return;
    this.#pending.delete(ev.stanza.attrs.id!);
    clearTimeout(p.timer);
    const out = clone(ev.stanza);
    out.attrs.from = p.occupantJid;
    out.attrs.to = p.from;
    out.attrs.id = p.id;
    this.svc.send(out);
  }

  clear(): void {
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
  }
}
