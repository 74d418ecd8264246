// XEP-0191 §3.3 effects, as high-priority hooks:
//  - inbound (delivery events on the recipient's host): nothing from a blocked JID reaches the user;
//    presence is dropped silently, messages and IQ get/set are answered with service-unavailable,
//    other IQs are dropped, so the user appears offline;
//  - outbound (pre-* events on the sender's host): a stanza from the user to a blocked JID is not
//    routed and is answered with not-acceptable + <blocked xmlns='urn:xmpp:blocking:errors'/>;
//  - stanzas the server generates on the user's behalf (presence broadcasts, notifications) are not
//    delivered to JIDs the user blocked, locally or (route/remote) to other servers.
import type { HookResult, ModuleContext, StanzaEvent } from '../../src/api/index.js';
import { el, PRIORITY, StanzaError } from '../../src/api/index.js';
import { isBlockedBy } from './match.js';
import { NS_BLOCKING_ERRORS } from './ns.js';
import type { BlocklistStore } from './store.js';

type Result = HookResult | Promise<HookResult>;

export function registerPolicy(ctx: ModuleContext<unknown>, store: BlocklistStore): void {
  /** Runs `fn` on the user's blocklist; an empty list (most users') blocks nothing and returns at once. */
  const withList = (user: string, fn: (list: Set<string>) => HookResult): Result => {
    const list = store.get(user);
    if (list instanceof Promise) return list.then((l) => (l.size === 0 ? undefined : fn(l)));
    return list.size === 0 ? undefined : fn(list);
  };

  /** Server-generated stanzas from a local user's address to a JID that user blocked are dropped. */
  const generatedForBlocked = (ev: StanzaEvent): Result => {
    const { from, stanza } = ev;
    if (ev.origin !== null || !from.local || from.domain !== ctx.host) return false;
    if (from.local === ev.to.local && from.domain === ev.to.domain) return false;
    const type = stanza.attrs.type;
    // Errors are answers the server gives for the user; unavailable presence only confirms "offline".
    if (type === 'error' || (stanza.name === 'presence' && type === 'unavailable')) return false;
    return withList(from.local, (list) => isBlockedBy(list, ev.to));
  };

  const inbound = (ev: StanzaEvent): Result => {
    const { from, to } = ev;
    if (!to.local) return false;
    // The user's own resources and the user's own server are never blocked.
    if (from.domain === ctx.host && (from.local === to.local || from.local === '')) return false;
    return withList(to.local, (list) => {
      if (!isBlockedBy(list, from)) return undefined;
      const { name, attrs } = ev.stanza;
      if (name === 'message' || (name === 'iq' && (attrs.type === 'get' || attrs.type === 'set'))) {
        ev.reply(new StanzaError('service-unavailable'));   // never answers errors (ev.reply checks)
      }
      return true;
    });
  };

  const delivery = (ev: StanzaEvent): Result => {
    const r = inbound(ev);
    const next = (taken: HookResult): Result => (taken ? true : generatedForBlocked(ev));
    return r instanceof Promise ? r.then(next) : next(r);
  };

  const outbound = (ev: StanzaEvent): Result => {
    const user = ev.origin?.username;
    if (!user || ev.from.domain !== ctx.host) return false;
    const to = ev.to;
    if (to.domain === ctx.host && (to.local === user || to.local === '')) return false;
    return withList(user, (list) => {
      if (!isBlockedBy(list, to)) return undefined;
      ev.reply(new StanzaError('not-acceptable', undefined, 'cancel', el('blocked', { xmlns: NS_BLOCKING_ERRORS })));
      return true;
    });
  };

  for (const event of ['message/bare', 'message/full', 'presence/bare', 'presence/full', 'iq/bare', 'iq/full'] as const) {
    ctx.hook(event, delivery, PRIORITY.POLICY);
  }
  for (const event of ['pre-message', 'pre-presence', 'pre-iq'] as const) ctx.hook(event, outbound, PRIORITY.POLICY);
  ctx.hook('route/remote', generatedForBlocked, PRIORITY.POLICY);
}
