// XEP-0198 Stream Management: acknowledgements (<r/>, <a h/>), resumption of a session whose connection was
// lost (within a timeout, with a random id bound to the account), resending what the client did not
// acknowledge, and — when a session ends without being resumed — unacknowledged messages to offline storage
// or bounced (see unacked.ts). The core supplies the mechanisms (output filters, input observers, detaching
// a session from its connection and adopting a new one); the protocol lives here.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Element } from 'ltx';
import { defineModule, el, type ClientSession, type ModuleContext } from '../../src/api/index.js';
import { parseH } from './counter.js';
import { NS_SM, failed, handledCountTooHigh } from './protocol.js';
import { SmStream } from './stream.js';
import { requeue } from './unacked.js';
import type { ResumeOutcome } from './types.js';

const options = z.object({
  /** Offer resumption (XEP-0198 §5). */
  resume: z.boolean().default(true),
  /** How long a session whose connection was lost waits for the client to resume it (the most a client may ask for). */
  resumeTimeoutSeconds: z.number().int().min(1).max(86_400).default(300),
  /** The server asks for an acknowledgement once this many stanzas are unacknowledged. */
  requestEvery: z.number().int().min(1).max(10_000).default(5),
  /** Unacknowledged stanzas per session before it is ended (they then go to offline storage). */
  maxQueue: z.number().int().min(10).max(100_000).default(5000),
}).strict();

type Options = z.infer<typeof options>;
const KEY = 'sm';

export const smOf = (s: ClientSession): SmStream | undefined => s.data.get(KEY) as SmStream | undefined;

export default defineModule({
  name: 'sm',
  description: 'Stream management: acknowledgements, resumption after a lost connection, no stanza lost or duplicated (XEP-0198)',
  xeps: [{ xep: 198, version: '1.6.1', status: 'complete', note: 'urn:xmpp:sm:3; resumption on the same server' }],
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    const resumable = new Map<string, SmStream>();
    const timers = new Map<SmStream, { cancel(): void }>();
    const pending = new Set<Promise<unknown>>();
    let shuttingDown = false;
    ctx.hook('server-stopping', () => {
      shuttingDown = true;
    });

    ctx.hook('stream-features', ({ features, stage }) => {
      if (stage === 'post-auth') features.c('sm', { xmlns: NS_SM });
    });

    ctx.hook('stream-element', ({ session, element }) => {
      if (element.attrs.xmlns !== NS_SM) return false;
      const sm = smOf(session);
      switch (element.name) {
        case 'enable':
          session.send(enable(session, element));
          return true;
        case 'resume': {
          const r = resume(session, element);
          if (!r.ok) session.send(r.failed);
          else {
            r.session.send(r.resumed);
            r.finish();
          }
          return true;
        }
        case 'r':
          if (sm) sm.answerRequest();
          else session.send(failed('unexpected-request'));
          return true;
        case 'a': {
          const h = parseH(element.attrs.h);
          if (!sm) session.send(failed('unexpected-request'));
          else if (h === null) session.send(failed('undefined-condition'));
          else sm.onAck(h);
          return true;
        }
        default:
          return false;
      }
    });

    /** <enable/> on a bound session: the answer (<enabled/> or <failed/>). */
    function enable(session: ClientSession, element: Element): Element {
      if (session.state !== 'established' || smOf(session)) return failed('unexpected-request');
      const wantsResume = element.attrs.resume === 'true' || element.attrs.resume === '1';
      const max = parseH(element.attrs.max);
      const sm = new SmStream(session, { requestEvery: opts.requestEvery, maxQueue: opts.maxQueue });
      session.data.set(KEY, sm);
      const attrs: Record<string, string> = { xmlns: NS_SM };
      if (wantsResume && opts.resume) {
        sm.resumeId = randomBytes(18).toString('base64url');
        sm.timeoutSeconds = max !== null && max > 0 ? Math.min(max, opts.resumeTimeoutSeconds) : opts.resumeTimeoutSeconds;
        resumable.set(sm.resumeId, sm);
        session.setDetachHandler(() => {
          timers.get(sm)?.cancel();
          timers.set(sm, ctx.timer(sm.timeoutSeconds * 1000, () => {
            timers.delete(sm);
            session.log.info('resumption timeout passed; ending the session');
            session.close();
          }));
          return true;
        });
        Object.assign(attrs, { id: sm.resumeId, resume: 'true', max: String(sm.timeoutSeconds) });
      }
      return el('enabled', attrs);
    }

    /**
     * <resume/> on an authenticated, unbound session: on success the detached session has taken over the
     * connection; the caller sends `resumed` (alone, or inside a SASL2 success) through `session`, then finish()
     * resends what the client has not acknowledged.
     */
    function resume(session: ClientSession, element: Element): ResumeOutcome {
      const previd = element.attrs.previd ?? '';
      const h = parseH(element.attrs.h);
      if (session.state !== 'wait-bind' || smOf(session)) return { ok: false, failed: failed('unexpected-request') };
      const sm = resumable.get(previd);
      // Only the account that enabled it may resume a session: an id alone is not enough.
      if (!sm || sm.session.username !== session.username || sm.session.host !== session.host || sm.session.state !== 'established' || h === null) {
        return { ok: false, failed: failed('item-not-found') };
      }
      const acked = sm.out.ack(h);
      if (!acked.ok) return { ok: false, failed: failed('undefined-condition', sm.handled, handledCountTooHigh(h, acked.sent)) };
      timers.get(sm)?.cancel();
      timers.delete(sm);
      sm.session.adopt(session);
      return {
        ok: true,
        session: sm.session,
        resumed: el('resumed', { xmlns: NS_SM, previd, h: String(sm.handled) }),
        finish: () => sm.resend(),
      };
    }

    ctx.provide('sm', { enable, resume });

    // The session is over (closed, timed out, replaced): what the client never acknowledged is not lost.
    ctx.hook('session-closed', ({ session }) => {
      const sm = smOf(session);
      if (!sm) return;
      session.data.delete(KEY);
      if (sm.resumeId) resumable.delete(sm.resumeId);
      timers.get(sm)?.cancel();
      timers.delete(sm);
      sm.dispose();
      const unacked = sm.takeUnacked();
      if (unacked.length === 0) return;
      const { local: owner, resource } = session.jid!;
      const job = (async () => {
        for (const stanza of unacked) {
          try {
            await requeue(ctx as ModuleContext<unknown>, owner, resource, stanza, { shuttingDown });
          } catch (err) {
            ctx.log.error({ err }, 'could not requeue an unacknowledged stanza');
          }
        }
      })();
      pending.add(job);
      void job.finally(() => pending.delete(job));
    });

    // Unload (server stop) waits until every unacknowledged message is stored.
    ctx.onUnload(async () => {
      await Promise.all([...pending]);
    });
  },
});
