// RFC 6121 §8.5.2 and §8.5.3.2: messages addressed to an account's bare JID, and to a full JID whose
// resource is not online (the router hands those to message/bare with `to` made bare; the stanza keeps
// its full `to`). Messages to a bound full JID are delivered by the core, and messages to the host that
// no module handles get the core's <service-unavailable/>. The stanza is never rewritten (§8.5.2.1.1).
import { z } from 'zod';
import { defineModule, PRIORITY, StanzaError, type ClientSession, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { allEligible, messageType, mostAvailable, type MessageType } from './rules.js';
import type { OfflineMessageEvent } from './types.js';

const options = z.object({}).strict();
type Options = z.infer<typeof options>;

type Result = boolean | Promise<boolean>;

export default defineModule({
  name: 'message',
  description: 'Delivers messages to bare JIDs and unavailable resources by the RFC 6121 §8.5 rules (priorities, types, offline hand-off)',
  options,
  setup(ctx: ModuleContext<Options>) {
    // The default delivery: any module that wants a say on bare-JID messages (blocking, carbons, MUC) runs first.
    ctx.hook('message/bare', (ev) => route(ctx, ev), PRIORITY.FALLBACK);
  },
});

function route(ctx: ModuleContext<Options>, ev: StanzaEvent): Result {
  const type = messageType(ev.stanza.attrs.type);
  // §8.5.2.1.1, §8.5.2.2.1, §8.5.3.2.1: a message of type error is silently ignored, whatever else holds.
  if (type === 'error') return true;
  const sessions = ctx.sessions.ofUser(ev.to.local);
  // A bound session proves the account exists; only without one is the account store asked.
  if (sessions.size > 0) return deliver(ctx, ev, type, sessions.values());
  return ctx.accounts.exists(ev.to.local).then((exists) => (exists ? deliver(ctx, ev, type, []) : noSuchUser(ev, type)));
}

function deliver(ctx: ModuleContext<Options>, ev: StanzaEvent, type: MessageType, sessions: Iterable<ClientSession>): Result {
  // groupchat to an account (not a room): never delivered to any resource, always refused.
  if (type === 'groupchat') return refuse(ev);
  // §8.5.3.2.1: of the messages to a resource that is not online, only chat falls back to the other
  // resources; a normal message is refused and a headline (time-bound, never answered) dropped.
  if (type !== 'chat' && addressedToResource(ev.stanza.attrs.to)) return type === 'headline' ? true : refuse(ev);

  const targets = type === 'headline' ? allEligible(sessions) : mostAvailable(sessions);
  for (const s of targets) s.send(ev.stanza);
  // A headline nobody can take is silently ignored; normal and chat go to offline handling.
  if (targets.length > 0 || type === 'headline') return true;
  return handOff(ctx, ev);
}

/** No available resource with a non-negative priority: offline storage may take it, else the sender is told. */
function handOff(ctx: ModuleContext<Options>, ev: OfflineMessageEvent): Result {
  const taken = ctx.fire('message/offline', ev);
  if (taken === true) return true;
  if (taken === false) return refuse(ev);
  return taken.then((t) => t || refuse(ev));
}

/**
 * §8.5.1: ignore or refuse. The answers are the ones an existing account without resources would give
 * (when offline storage is off), with no text, so they tell the sender no more than that.
 */
function noSuchUser(ev: StanzaEvent, type: MessageType): Result {
  if (type === 'headline') return true;
  return refuse(ev);
}

function refuse(ev: StanzaEvent): true {
  ev.reply(new StanzaError('service-unavailable'));
  return true;
}

/** A JID has a resource exactly when it contains '/': neither a localpart nor a domainpart may. */
function addressedToResource(to: string | undefined): boolean {
  return to !== undefined && to.includes('/');
}
