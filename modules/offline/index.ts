// XEP-0160 offline messages: a chat or normal message that no resource of an existing account can take
// (the message module fires message/offline) is stored durably with a XEP-0203 delay, and delivered to the
// next resource that sends available presence with a non-negative priority, then deleted. The store is an
// archive owned by this module, so it survives restarts and is purged with the account.
import { z } from 'zod';
import { defineModule, StanzaError, type ClientSession, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import type { OfflineMessageEvent } from '../message/types.js';
import { stampForStorage } from './codec.js';
import { deliverStored, isEligible } from './deliver.js';
import { worthStoring } from './policy.js';
import { OfflineQueue } from './queue.js';
import { KeyedSerial } from './serial.js';
import type { OfflineDeliveredEvent } from './types.js';

const options = z.object({
  /** Messages kept per account; a message beyond that is refused. */
  maxMessages: z.number().int().min(1).max(100_000).default(500),
  /** The error a sender gets when the recipient's storage is full (XEP-0160 §2 suggests service-unavailable). */
  quotaError: z.enum(['resource-constraint', 'service-unavailable']).default('resource-constraint'),
  /** Stored messages read, written to the client and deleted per step of a delivery. */
  pageSize: z.number().int().min(1).max(1000).default(100),
}).strict();

type Options = z.infer<typeof options>;

/**
 * Per session, whether it has had the queue since it last became eligible: 'idle' (not eligible, or not
 * yet), 'queued' (a delivery run is waiting for the account's turn), 'done' (it got the queue; while it
 * stays eligible, new messages reach it live, so nothing is stored for the account).
 */
type Phase = 'idle' | 'queued' | 'done';
const KEY = 'offline';

const phaseOf = (s: ClientSession): Phase => (s.data.get(KEY) as Phase | undefined) ?? 'idle';
const setPhase = (s: ClientSession, p: Phase): void => void s.data.set(KEY, p);

export default defineModule({
  name: 'offline',
  description: 'Stores messages for accounts with no available resource and delivers them at the next non-negative presence (XEP-0160, XEP-0203)',
  xeps: [
    { xep: 160, version: '1.0.1', status: 'complete' },
    { xep: 203, version: '2.0', status: 'complete', note: 'delay stamps on delivered offline messages' },
    { xep: 334, version: '0.3.0', status: 'partial', note: 'store and no-store hints decide offline storage' },
  ],
  depends: ['message'],
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    const queue = new OfflineQueue(ctx.openStore('', 'archive'));
    // Storing and delivering for one account take turns: this is what makes delivery exactly once.
    const serial = new KeyedSerial();
    ctx.addFeature('msgoffline');
    ctx.provide('offline', { queued: () => queue.total() });

    ctx.hook('message/offline', (ev: OfflineMessageEvent) => {
      // Not worth keeping: the message module answers service-unavailable (RFC 6121 §8.5.2.2.1).
      if (!worthStoring(ev.stanza)) return false;
      // Queued now, synchronously, so a delivery run that starts later for this account sees the message.
      return serial.run(ev.to.local, () => store(ev)).catch((err) => {
        ctx.log.error({ err, user: ev.to.local }, 'could not store an offline message');
        ev.reply(new StanzaError('service-unavailable'));
        return true;
      });
    });

    async function store(ev: StanzaEvent): Promise<boolean> {
      const user = ev.to.local;
      // A resource that already had the queue became eligible after the message module looked (a hook
      // before this one was slow): route the message again instead of storing it where nobody looks.
      for (const s of ctx.sessions.ofUser(user).values()) {
        if (phaseOf(s) === 'done' && isEligible(s)) {
          void ctx.send(ev.stanza);   // not awaited: a second hand-off would queue behind this very task
          return true;
        }
      }
      const { count, lastKey } = await queue.stats(user);
      if (count >= opts.maxMessages) {
        ev.reply(new StanzaError(opts.quotaError, 'the recipient cannot take more offline messages'));
        return true;
      }
      const now = Date.now();
      await queue.append(user, lastKey, now, {
        from: ev.from.bare(),
        kind: ev.stanza.attrs.type === 'chat' ? 'chat' : 'normal',
        xml: stampForStorage(ev.stanza, ctx.host, now).toString(),
      });
      return true;
    }

    // XEP-0160 §2: deliver when a resource sends available presence with a non-negative priority. That is
    // initial presence, or a later presence that raises the priority from negative (the messages stored
    // meanwhile are for it too).
    ctx.hook('presence-available', ({ session }) => {
      if (!session.jid) return;
      if (session.priority < 0) {
        setPhase(session, 'idle');
        return;
      }
      if (phaseOf(session) !== 'idle') return;
      setPhase(session, 'queued');
      const user = session.jid.local;
      serial.run(user, async () => {
        if (phaseOf(session) !== 'queued') return;   // went negative or unavailable while waiting
        const count = await deliverStored(session, user, queue, opts.pageSize, ctx.log);
        if (phaseOf(session) === 'queued') setPhase(session, isEligible(session) ? 'done' : 'idle');
        // Not awaited: listeners must not hold up the account's queue.
        void ctx.fire('offline/delivered', { session, count } satisfies OfflineDeliveredEvent);
      }).catch((err) => {
        if (phaseOf(session) === 'queued') setPhase(session, 'idle');
        ctx.log.error({ err, user }, 'offline delivery failed');
      });
    });

    ctx.hook('presence-unavailable', ({ session }) => setPhase(session, 'idle'));
  },
});
