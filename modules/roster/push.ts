// Roster pushes (RFC 6121 §2.1.6): an IQ set from the user's bare JID, with a unique id, to each
// interested resource, i.e. each session that asked for the roster (§2.1.3).
import { randomBytes } from 'node:crypto';
import { clone, type Element } from 'ltx';
import { el, type ClientSession, type ModuleContext } from '../../src/api/index.js';
import { query } from './xml.js';

const INTERESTED = 'roster:interested';

export function markInterested(session: ClientSession): void {
  session.data.set(INTERESTED, true);
}

export function isInterested(session: ClientSession): boolean {
  return session.data.get(INTERESTED) === true;
}

export function pushTo(session: ClientSession, item: Element, ver: string): void {
  const jid = session.jid;
  if (!jid) return;
  session.send(el('iq', { type: 'set', id: `push-${randomBytes(6).toString('hex')}`, from: jid.bare(), to: jid.full() }, query(ver, [clone(item)])));
}

export function pushToInterested(ctx: ModuleContext<unknown>, user: string, item: Element, ver: string): void {
  for (const session of ctx.sessions.ofUser(user).values()) {
    if (isInterested(session)) pushTo(session, item, ver);
  }
}
