// XEP-0045 Multi-User Chat as a service on its own domain (conference.<host> by default), with XEP-0410
// self-ping, XEP-0421 occupant ids, XEP-0359 stanza ids, XEP-0425 moderation, room vCards and rooms
// persisted in SQLite through the module's stores.
import { defineModule, PRIORITY, type ModuleContext } from '../../src/api/index.js';
import { RoomArchive } from './archive.js';
import { mucOptions, type MucOptions } from './options.js';
import { MucService } from './service.js';
import { RoomStore } from './store.js';
import { registerRoomVcard } from './vcard.js';
import { registerModeration } from './moderation.js';
import { loadHistory, registerRoomMam } from './mam.js';
import { registerNicks } from './register.js';
import { registerRoomCommands } from './commands.js';

/** What other modules (metrics) may read of the MUC service. */
export interface MucStatsService {
  stats(): { rooms: number; occupants: number };
}

declare module '../../src/api/index.js' {
  interface Services {
    muc: MucStatsService;
  }
}

export default defineModule({
  name: 'muc',
  description: 'Multi-user chat rooms at conference.<host> (XEP-0045) with persistence, moderation and modern MUC extensions',
  xeps: [
    { xep: 45, version: '1.35', status: 'complete' },
    { xep: 249, version: '1.2', status: 'complete', note: 'direct invitations are routed between clients' },
    { xep: 359, version: '0.7.0', status: 'complete', note: 'stanza-id stamped by rooms' },
    { xep: 313, version: '1.1.1', status: 'complete', note: 'room archives (archive toggle in the room config form)' },
    { xep: 410, version: '1.1.0', status: 'complete' },
    { xep: 421, version: '0.2.0', status: 'complete' },
    { xep: 425, version: '0.3.0', status: 'complete', note: 'urn:xmpp:message-moderate:1' },
  ],
  options: mucOptions,
  async setup(ctx: ModuleContext<MucOptions>) {
    const domain = ctx.options.domain ?? `conference.${ctx.host}`;
    const store = new RoomStore(ctx.openStore('rooms', 'map'), ctx.openStore('meta', 'keyval'));
    const archive = new RoomArchive(ctx.openStore('archive', 'archive'), ctx.openStore('tombstones', 'map'));
    const svc = new MucService(ctx, domain, store, archive, await store.secret());
    await svc.load();
    registerRoomVcard(svc);
    registerModeration(svc);
    registerRoomMam(svc);
    registerNicks(svc);
    registerRoomCommands(svc);
    ctx.provide('muc', { stats: () => svc.stats() });
    for (const room of svc.rooms.values()) await loadHistory(svc, room);

    ctx.addRoute(domain, (ev) => svc.route(ev).catch((err: unknown) => ctx.log.error({ err }, 'MUC routing failed')));
    ctx.addDiscoItem({ jid: domain, name: ctx.options.name });
    ctx.hook('resource-unbind', ({ session }) => {
      if (session.jid) svc.sessionEnded(session.jid.full());
      return false;
    }, PRIORITY.FALLBACK + 1);
    // Accounts of every local host, not only this one, may hold affiliations here: the server-wide event.
    ctx.hookServer('user-deleted', ({ host, username }) => svc.accountDeleted(`${username}@${host}`).then(() => false));
    // Awaited by the server before it closes the streams, so occupants learn why they left (status 332).
    ctx.hook('server-stopping', () => svc.shutdown().then(() => false));
    ctx.onUnload(() => svc.occupantIq.clear());
  },
});
