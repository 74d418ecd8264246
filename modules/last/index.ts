// XEP-0012 Last Activity, answered by the server:
//   to the server        -> its uptime in seconds (§5)
//   to a user's bare JID -> 0 while the user has a connected resource, else the seconds since the
//                           last logout with that unavailable presence's status text (§3); forbidden
//                           for anyone not allowed to see the user's presence (also when there is no
//                           such account, so accounts cannot be probed); item-not-found when no
//                           logout has been recorded yet
//   to a full JID        -> forbidden without the same permission, else delivered to the client (§4)
import type { Element } from 'ltx';
import { z } from 'zod';
import { defineModule, el, PRIORITY, StanzaError, type ModuleContext, type SessionEvent } from '../../src/api/index.js';
import { maySeePresence } from './access.js';
import { NS_LAST, STATUS } from './ns.js';
import { LastStore, type LastLogout } from './store.js';

type Options = Record<string, never>;

export default defineModule({
  name: 'last',
  description: 'Last activity: server uptime and when a user was last online (XEP-0012)',
  xeps: [{ xep: 12, version: '2.0', status: 'complete' }],
  options: z.object({}).strict(),
  setup(ctx: ModuleContext<Options>) {
    const store = new LastStore(ctx.openStore('', 'keyval'));
    ctx.addFeature(NS_LAST);
    ctx.addFeature(NS_LAST, 'account');

    ctx.iq.get('host', NS_LAST, 'query', () => {
      const seconds = Math.max(0, Math.floor((Date.now() - ctx.server.startedAt) / 1000));
      return el('query', { xmlns: NS_LAST, seconds });
    });

    ctx.iq.get('bare', NS_LAST, 'query', async ({ from, to }) => {
      const user = to.local;
      if (!(await maySeePresence(ctx, user, from))) throw new StanzaError('forbidden');
      if (ctx.sessions.ofUser(user).size > 0) return el('query', { xmlns: NS_LAST, seconds: 0 });
      const last = recent.get(user) ?? (await store.get(user));
      if (!last) throw new StanzaError('item-not-found', 'no logout has been recorded for this account');
      const seconds = Math.max(0, Math.floor((Date.now() - last.at) / 1000));
      return el('query', { xmlns: NS_LAST, seconds }, last.status || undefined);
    });

    // §4: the server must not even deliver the query to a resource for an unauthorised requester.
    ctx.hook('iq/full', (ev) => {
      if (ev.stanza.attrs.type !== 'get' || !ev.stanza.getChild('query', NS_LAST)) return false;
      return maySeePresence(ctx, ev.to.local, ev.from).then((ok) => {
        if (ok) return false;
        ev.reply(new StanzaError('forbidden'));
        return true;
      });
    }, PRIORITY.DEFAULT + 100);

    // The status text of the unavailable presence a client sends before logging out.
    ctx.hook('pre-presence', ({ stanza, origin }) => {
      if (!origin || stanza.attrs.to !== undefined) return false;
      const type = stanza.attrs.type;
      if (type === undefined) origin.data.delete(STATUS);
      else if (type === 'unavailable') origin.data.set(STATUS, statusText(stanza));
      return false;
    }, PRIORITY.DEFAULT + 100);

    // Logouts not yet in the store. The core removes a session before it fires resource-unbind, so
    // a query right after sees no session: it must see this logout then, not the one before.
    const recent = new Map<string, LastLogout>();
    const record = async ({ session }: SessionEvent): Promise<void> => {
      const user = session.username;
      if (!user || !session.jid) return;
      const rec: LastLogout = { at: Date.now(), status: (session.data.get(STATUS) as string | undefined) ?? '' };
      recent.set(user, rec);
      try {
        // The sessions of a deleted account end after its data is purged: write nothing back for it.
        if (await ctx.accounts.exists(user)) await store.set(user, rec);
      } finally {
        if (recent.get(user) === rec) recent.delete(user);
      }
    };
    ctx.hook('presence-unavailable', record);
    ctx.hook('resource-unbind', record);
  },
});

function statusText(presence: Element): string {
  const all = presence.getChildren('status');
  const plain = all.find((s) => s.attrs['xml:lang'] === undefined) ?? all[0];
  return plain ? plain.getText() : '';
}
