// XEP-0280 Message Carbons: a resource that enables carbons gets a copy of every eligible message its account
// sends from another resource (<sent/>) and of every eligible message to the account that was delivered to
// another resource (<received/>). Copies carry what the archive stamped (the XEP-0359 stanza-id), since the
// mam module runs first.
import { z } from 'zod';
import { defineModule, StanzaError, type ClientSession, type IqRequest, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { mostAvailable } from '../message/rules.js';
import { NS_CARBONS, NS_CARBONS_RULES } from './ns.js';
import { carbonCopy, eligible, stripPrivate } from './rules.js';

const options = z.object({}).strict();
type Options = z.infer<typeof options>;

const KEY = 'carbons';
/** After archiving (500, so copies carry the stanza-id) and before the sender's stanza-id is removed (-500). */
const PRIORITY_COPY = 100;

const enabled = (s: ClientSession): boolean => s.data.get(KEY) === true && s.state === 'established';

/** For modules that enable carbons on a session's behalf (XEP-0386 Bind2 inline enable). */
export interface CarbonsService {
  enable(session: ClientSession): void;
  disable(session: ClientSession): void;
  isEnabled(session: ClientSession): boolean;
}

declare module '../../src/api/index.js' {
  interface Services {
    carbons: CarbonsService;
  }
}

export default defineModule({
  name: 'carbons',
  description: "Copies a user's messages to all of their resources that ask for it (XEP-0280, with XEP-0334 no-copy)",
  xeps: [
    { xep: 280, version: '1.0.1', status: 'complete' },
    { xep: 334, version: '0.3.0', status: 'partial', note: 'no-copy stops carbon copies' },
  ],
  options,
  setup(ctx: ModuleContext<Options>) {
    ctx.addFeature(NS_CARBONS);
    ctx.addFeature(NS_CARBONS_RULES);

    const own = (req: IqRequest): ClientSession => {
      const s = req.origin;
      if (!s || !s.jid || req.from.bare() !== req.to.bare()) throw new StanzaError('not-allowed', 'carbons are set by the resource itself');
      return s;
    };
    ctx.iq.set('bare', NS_CARBONS, 'enable', (req) => void own(req).data.set(KEY, true));
    ctx.iq.set('bare', NS_CARBONS, 'disable', (req) => void own(req).data.delete(KEY));
    ctx.provide('carbons', {
      enable: (s) => void s.data.set(KEY, true),
      disable: (s) => void s.data.delete(KEY),
      isEnabled: enabled,
    });

    /** Copies to the account's carbons-enabled resources except `skip`. */
    const copyTo = (user: string, userBare: string, kind: 'sent' | 'received', stanza: StanzaEvent['stanza'], skip: (s: ClientSession) => boolean): void => {
      for (const s of ctx.sessions.ofUser(user).values()) {
        if (enabled(s) && !skip(s)) s.send(carbonCopy(kind, stanza, userBare, s.jid!.full()));
      }
    };

    // Every chat message passes these hooks, and most accounts have one session: no other resource, no copy, so
    // that case returns before looking at the message (the received side still strips <private/>).
    const alone = (user: string): boolean => ctx.sessions.ofUser(user).size <= 1;

    // Sent: to the sender's other resources, whether or not the sending one enabled carbons (§8).
    ctx.hook('pre-message', (ev) => {
      if (!ev.origin || alone(ev.from.local) || !eligible(ev.stanza)) return false;
      copyTo(ev.from.local, ev.from.bare(), 'sent', ev.stanza, (s) => s === ev.origin);
      return false;
    }, PRIORITY_COPY);

    // Received, to a full JID: every other enabled resource gets a copy (§7). An unbound resource falls back to
    // message/bare in the router, handled below.
    ctx.hook('message/full', (ev) => {
      const target = ctx.sessions.get(ev.to.local, ev.to.resource);
      if (!target) return false;
      receive(ev, (s) => s === target);
      return false;
    }, PRIORITY_COPY);

    // Received, to the bare JID: the resources the message module delivers to (RFC 6121 §8.5.2.1.1) get the
    // message itself; the other enabled resources get copies.
    ctx.hook('message/bare', (ev) => {
      const type = ev.stanza.attrs.type;
      // a normal message to an unavailable resource is refused, not delivered (§8.5.3.2.1)
      if (type !== 'chat' && ev.stanza.attrs.to?.includes('/')) return false;
      if (alone(ev.to.local)) {
        stripPrivate(ev.stanza);
        return false;
      }
      const targets = new Set(mostAvailable(ctx.sessions.ofUser(ev.to.local).values()));
      receive(ev, (s) => targets.has(s));
      return false;
    }, PRIORITY_COPY);

    function receive(ev: StanzaEvent, delivered: (s: ClientSession) => boolean): void {
      if (alone(ev.to.local)) {
        stripPrivate(ev.stanza);
        return;
      }
      const privateCopy = !eligible(ev.stanza);
      stripPrivate(ev.stanza);
      // A message from the account to itself: the sent copies covered the other resources already.
      if (privateCopy || ev.from.bare() === ev.to.bare()) return;
      copyTo(ev.to.local, ev.to.bare(), 'received', ev.stanza, delivered);
    }
  },
});
