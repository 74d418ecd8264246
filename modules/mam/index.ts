// XEP-0313 Message Archive Management for user archives, with XEP-0359 stanza ids and XEP-0441 preferences:
// every chat/normal message with content that a local user sends or receives is stored once in their archive
// (SQLite through the archive store) and stamped with <stanza-id by='user@host'/>; the user pages through it
// with XEP-0059 RSM. Old messages expire after the configured retention; account deletion removes the archive.
import { z } from 'zod';
import { defineModule, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { Archiver } from './archiver.js';
import { BufferedArchive } from './buffer.js';
import { registerIq } from './iq.js';
import { NS_MAM, NS_MAM_EXTENDED, NS_SID } from './ns.js';
import { archivable } from './policy.js';
import { PrefsStore } from './prefs.js';
import { scheduleRetention } from './retention.js';
import { stripStanzaIds } from './stanza-id.js';
import type { MamService } from './types.js';

const options = z.object({
  /** What is archived for users who set no preferences (XEP-0441): always, never, or only roster contacts. */
  defaultPrefs: z.enum(['always', 'never', 'roster']).default('always'),
  /** Items per page when a query has no RSM <max/>. */
  defaultPageSize: z.number().int().min(1).max(1000).default(50),
  /** Most items per page; a bigger <max/> is cut down to this (the client pages on with <after/>). */
  maxPageSize: z.number().int().min(1).max(1000).default(250),
  /** Messages older than this many days are deleted; 0 keeps them for ever. */
  retentionDays: z.number().min(0).default(365),
  /** How often the expiry sweep runs, in minutes (it deletes in chunks and yields between them). */
  expireIntervalMinutes: z.number().positive().default(60),
  /** 0 (default): rows are group-committed at the end of each event-loop turn and a message waits for its row, so
   *  nothing the server acknowledged is lost to a crash. >0: one commit per this many ms (or 2000 rows) without
   *  waiting, faster under heavy load, but a crash loses up to this many ms of history. */
  writeBatchMs: z.number().int().min(0).max(1000).default(0),
  /** Users whose preferences are kept in memory. */
  cacheUsers: z.number().int().positive().default(10_000),
}).strict().refine((o) => o.defaultPageSize <= o.maxPageSize, { message: 'defaultPageSize must not exceed maxPageSize' });

type Options = z.infer<typeof options>;

/** Archiving runs after policy (blocking stops a message before it is stored) and before carbons and delivery. */
export const ARCHIVE_PRIORITY = 500;
/** After carbons copied the sender's stanza-id, it is taken off again before the message leaves. */
const STRIP_PRIORITY = -500;

export default defineModule({
  name: 'mam',
  description: 'Archives 1:1 messages and serves them to the account (XEP-0313 with RSM, XEP-0359 stanza ids, XEP-0441 prefs)',
  xeps: [
    { xep: 313, version: '1.1.3', status: 'complete', note: 'user archives; urn:xmpp:mam:2, #extended and #groupchat-field; groupchat not in user archives' },
    { xep: 59, version: '1.0', status: 'complete', note: 'MAM paging: after, before, max, count, first index, page jumps by index' },
    { xep: 359, version: '0.7.0', status: 'complete', note: 'stanza-id on archived messages; forged ones removed; origin-id kept' },
    { xep: 441, version: '0.2.0', status: 'complete' },
  ],
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    const store = new BufferedArchive(ctx.openStore('', 'archive'), ctx.log, { flushMs: opts.writeBatchMs, maxRows: 2000 });
    ctx.onUnload(() => store.settled());
    const prefs = new PrefsStore(ctx.openStore('prefs', 'keyval'), opts.defaultPrefs, opts.cacheUsers);
    const archiver = new Archiver(ctx as ModuleContext<unknown>, store, prefs);
    for (const f of [NS_MAM, NS_MAM_EXTENDED, NS_SID]) ctx.addFeature(f, 'account');
    registerIq(ctx as ModuleContext<unknown>, store, prefs, opts);

    // Outgoing: into the sender's archive, before routing. The stanza-id stays on for the carbons copies.
    ctx.hook('pre-message', (ev) => {
      const userBare = ev.from.bare();
      stripStanzaIds(ev.stanza, userBare);
      if (!archivable(ev.stanza)) return false;
      const r = archiver.archive(ev.from.local, userBare, ev.to, ev.stanza);
      return r instanceof Promise ? r.then(() => false) : false;
    }, ARCHIVE_PRIORITY);
    ctx.hook('pre-message', (ev) => {
      if (archiver.idFor(ev.stanza, ev.from.local) !== undefined) stripStanzaIds(ev.stanza, ev.from.bare());
      return false;
    }, STRIP_PRIORITY);

    // Incoming: into the recipient's archive, before delivery (or offline storage, which keeps the stanza-id).
    const incoming = (ev: StanzaEvent, full: boolean): boolean | Promise<boolean> => {
      const user = ev.to.local;
      const userBare = ev.to.bare();
      if (archiver.idFor(ev.stanza, user) === undefined) stripStanzaIds(ev.stanza, userBare);
      if (!archivable(ev.stanza)) return false;
      if (full) {
        // Not bound: the router hands the message on as message/bare, where it is archived if it is delivered.
        if (!ctx.sessions.get(user, ev.to.resource)) return false;
      } else if (ev.stanza.attrs.type !== 'chat' && ev.stanza.attrs.to?.includes('/')) {
        return false;   // a normal message to an unavailable resource is refused (RFC 6121 §8.5.3.2.1)
      }
      const store1 = () => {
        const r = archiver.archive(user, userBare, ev.from, ev.stanza);
        return r instanceof Promise ? r.then(() => false) : false;
      };
      if (ctx.sessions.ofUser(user).size > 0) return store1();
      return ctx.accounts.exists(user).then((exists) => (exists ? store1() : false));
    };
    ctx.hook('message/bare', (ev) => incoming(ev, false), ARCHIVE_PRIORITY);
    ctx.hook('message/full', (ev) => incoming(ev, true), ARCHIVE_PRIORITY);

    ctx.hook('user-deleted', ({ username }) => {
      prefs.forget(username);
      // The storage already purged the account; rows still queued from this turn would come back without this.
      return store.delete(username).then(() => false);
    });
    scheduleRetention(ctx as ModuleContext<unknown>, store, opts);

    const service: MamService = {
      purge: (user, range) => store.delete(user, range ?? {}),
      expire: (before) => store.deleteOlderThan(before),
      size: () => store.countAll(),
      idFor: (stanza, user) => archiver.idFor(stanza, user),
    };
    ctx.provide('mam', service);
  },
});

