// XEP-0357 Push Notifications: a client registers an app server (JID, node, publish-options); when a message that
// matters (see csi/importance.ts: a body, encryption, a call, a mention) reaches a session of that client that is
// detached by stream management or inactive (XEP-0352), or reaches the account while no resource can take it, the
// app server gets a PubSub publish with a summary. An error from the app server disables the registration.
import type { Element } from 'ltx';
import { z } from 'zod';
import { defineModule, StanzaError, type ClientSession, type IqRequest, type ModuleContext, type MapStore } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { importance } from '../csi/importance.js';
import { NS_PUSH, publishIq } from './notify.js';
import { Registrations, type Registration } from './registrations.js';

const options = z.object({
  /** Put the message body into notifications (it then passes through the app server and the phone vendor). */
  includeBody: z.boolean().default(false),
  /** Registrations per account. */
  maxRegistrations: z.number().int().min(1).max(100).default(10),
  /** Group chat messages that wake the phone: only those mentioning the user, or every one with a body. */
  groupchat: z.enum(['mentions', 'all']).default('mentions'),
  /** How long to wait for the app server's answer. */
  timeoutSeconds: z.number().int().min(1).max(300).default(30),
}).strict();

type Options = z.infer<typeof options>;

/** Output filter rank: first, so it sees what CSI (500) and stream management (900) will hold. */
const PUSH_FILTER_RANK = 100;
const NS_DATA = 'jabber:x:data';

export default defineModule({
  name: 'push',
  description: 'Wakes sleeping phones: notifies their app server when a message arrives while the client is away (XEP-0357)',
  xeps: [{ xep: 357, version: '0.4.1', status: 'complete', note: 'summary form; body only if configured' }],
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    const regs = new Registrations(ctx.openStore('registrations', 'map') as MapStore<Registration>);
    /** Messages notified since the resource was last back, per "user resource". */
    const counts = new Map<string, number>();
    /** Stanzas already notified (a detached session's message may later go to offline storage too). */
    const notified = new WeakSet<Element>();
    ctx.addFeature(NS_PUSH, 'account');

    const own = (req: IqRequest): ClientSession => {
      const s = req.origin;
      if (!s || !s.jid || req.from.bare() !== req.to.bare()) throw new StanzaError('forbidden', 'push is set up by the account itself');
      return s;
    };

    ctx.iq.set('bare', NS_PUSH, 'enable', async (req) => {
      const session = own(req);
      const jid = tryParseJid(req.payload.attrs.jid ?? '');
      const node = req.payload.attrs.node ?? '';
      if (!jid || node === '') throw new StanzaError('bad-request', 'enable needs an app server jid and a node');
      const form = req.payload.getChild('x', NS_DATA);
      if (form && form.attrs.type !== 'submit') throw new StanzaError('bad-request', 'publish-options must be a submitted form');
      const user = session.jid!.local;
      const existing = await regs.all(user);
      if (existing.length >= opts.maxRegistrations && !existing.some((r) => r.jid === jid.toString() && r.node === node)) {
        throw new StanzaError('resource-constraint', `at most ${opts.maxRegistrations} push registrations per account`);
      }
      await regs.add(user, { jid: jid.toString(), node, options: form ? form.toString() : null, resource: session.jid!.resource });
      watch(session);
    });

    ctx.iq.set('bare', NS_PUSH, 'disable', async (req) => {
      const session = own(req);
      const jid = tryParseJid(req.payload.attrs.jid ?? '');
      if (!jid) throw new StanzaError('bad-request', 'disable needs the app server jid');
      await regs.remove(session.jid!.local, jid.toString(), req.payload.attrs.node ?? null);
    });

    /** What wakes a phone: what CSI would not hold back, and (if configured) any group chat message with a body. */
    function worthWaking(stanza: Element, session: ClientSession): boolean {
      if (importance(stanza, session.jid!) === 'urgent') return true;
      return opts.groupchat === 'all' && stanza.attrs.type === 'groupchat' && stanza.getChild('body') !== undefined;
    }

    /** Looks at what is sent to a session: a message that matters while it is detached or inactive is notified. */
    function watch(session: ClientSession): void {
      if (session.data.has('push')) return;
      const handle = session.addOutputFilter({
        rank: PUSH_FILTER_RANK,
        write(stanza, next) {
          next(stanza);
          if (stanza.name !== 'message' || !session.jid) return;
          const csi = ctx.tryUse('csi');
          const away = session.detached || (csi?.isInactive(session) ?? false);
          if (away && worthWaking(stanza, session)) void notify(session.jid.local, stanza, session.jid.resource);
        },
      });
      session.data.set('push', handle);
    }

    // A resource that enabled push earlier (before a restart, or on a previous connection) is watched again.
    ctx.hook('resource-bind', ({ session }) => {
      const jid = session.jid!;
      counts.delete(`${jid.local} ${jid.resource}`);
      void regs.all(jid.local).then((all) => {
        if (all.some((r) => r.resource === jid.resource) && session.state === 'established') watch(session);
      });
    });

    // Nobody can take it now: every registration of the account hears about it (it goes to offline storage).
    ctx.hook('message/offline', (ev) => {
      const owner = tryParseJid(`${ev.to.local}@${ev.to.domain}`);
      if (owner && importance(ev.stanza, owner) === 'urgent') void notify(ev.to.local, ev.stanza, null);
      return false;
    }, 100);

    async function notify(user: string, stanza: Element, resource: string | null): Promise<void> {
      if (notified.has(stanza)) return;
      notified.add(stanza);
      const targets = (await regs.all(user)).filter((r) => resource === null || r.resource === resource);
      const from = `${user}@${ctx.host}`;
      const body = opts.includeBody ? (stanza.getChildText('body') ?? null) : null;
      const sender = tryParseJid(stanza.attrs.from ?? '')?.bare() ?? '';
      await Promise.all(targets.map(async (reg) => {
        const key = `${user} ${reg.resource}`;
        const count = (counts.get(key) ?? 0) + 1;
        counts.set(key, count);
        try {
          await ctx.sendIq(publishIq(from, reg, { count, sender, body }), opts.timeoutSeconds * 1000);
        } catch (err) {
          if (err instanceof StanzaError && err.condition !== 'remote-server-timeout') {
            // XEP-0357 §8: the app server refused; stop sending to it.
            ctx.log.info({ user, app: reg.jid, node: reg.node, condition: err.condition }, 'push app server refused; registration disabled');
            await regs.remove(user, reg.jid, reg.node);
          } else {
            ctx.log.info({ user, app: reg.jid, err: (err as Error).message }, 'push notification not answered');
          }
        }
      }));
    }
  },
});
