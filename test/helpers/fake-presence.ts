// A stand-in for the presence module in tests of modules that only read presence state (message
// delivery, offline storage): RFC 6121 §4.2 initial presence and §4.5 unavailable presence for the
// sender's own sessions, nothing about subscriptions or contacts.
// - <presence/> without 'to' sets session.presence and session.priority (§4.7.2.3: -128..127, default 0),
//   echoes the presence to the account's available resources (the sender included, §4.2.2) and fires
//   presence-available ({ initial } true when the session had no presence yet);
// - <presence type='unavailable'/> without 'to', or the session ending while available, clears them,
//   tells the other available resources and fires presence-unavailable.
import type { Element } from 'ltx';
import { clone } from 'ltx';
import { z } from 'zod';
import { defineModule, type ClientSession, type ModuleContext } from '../../src/api/index.js';

function priorityOf(p: Element): number {
  const text = p.getChildText('priority');
  if (text === null) return 0;
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= -128 && n <= 127 ? n : 0;
}

function broadcast(ctx: ModuleContext<unknown>, from: ClientSession, stanza: Element): void {
  for (const s of ctx.sessions.ofUser(from.jid!.local).values()) {
    if (s.presence === null && s !== from) continue;
    const p = clone(stanza);
    p.attrs.from = from.jid!.full();
    p.attrs.to = s.jid!.full();
    s.send(p);
  }
}

export const fakePresence = defineModule({
  name: 'fake-presence',
  description: 'test stand-in for the presence module: own presence state and lifecycle events only',
  options: z.object({}).strict(),
  setup(ctx) {
    const unavailable = (session: ClientSession): boolean | Promise<boolean> => {
      session.presence = null;
      session.priority = 0;
      return ctx.fire('presence-unavailable', { session });
    };

    ctx.hook('pre-presence', async (ev) => {
      const session = ev.origin;
      if (ev.stanza.attrs.to !== undefined || !session?.jid) return false;
      const type = ev.stanza.attrs.type;
      if (type === undefined) {
        const initial = session.presence === null;
        session.presence = ev.stanza;
        session.priority = priorityOf(ev.stanza);
        broadcast(ctx, session, ev.stanza);
        await ctx.fire('presence-available', { session, initial });
        return true;
      }
      if (type === 'unavailable') {
        if (session.presence !== null) {
          broadcast(ctx, session, ev.stanza);
          await unavailable(session);
        }
        return true;
      }
      return false;
    });

    ctx.hook('resource-unbind', async ({ session }) => {
      if (session.presence !== null) await unavailable(session);
    });
  },
});

export default fakePresence;
