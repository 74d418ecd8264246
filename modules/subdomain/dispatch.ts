// Stanzas to a service on a subdomain a module claimed with ctx.addRoute (upload.<host>, pubsub.<host>):
// IQ get/set by payload to handlers that return the result payload or throw StanzaError, the rest
// answered the way RFC 6120 wants for an entity that does not handle it.
import type { Element } from 'ltx';
import { iqResult, StanzaError, type ModuleContext, type RouteHandler, type StanzaEvent } from '../../src/api/index.js';

export type SubdomainIqHandler = (ev: StanzaEvent, payload: Element) => Element | void | Promise<Element | void>;

export interface SubdomainHandlers {
  get: Map<string, SubdomainIqHandler>;
  set: Map<string, SubdomainIqHandler>;
  /** Messages and presence, if the service wants them. */
  other?: (ev: StanzaEvent) => void | Promise<void>;
}

const key = (xmlns: string, name: string) => `${xmlns} ${name}`;

export function subdomainHandlers(): SubdomainHandlers & { on(type: 'get' | 'set', xmlns: string, name: string, fn: SubdomainIqHandler): void } {
  const h = { get: new Map<string, SubdomainIqHandler>(), set: new Map<string, SubdomainIqHandler>() };
  return { ...h, on: (type, xmlns, name, fn) => void h[type].set(key(xmlns, name), fn) };
}

export function subdomainRoute(ctx: ModuleContext<unknown>, h: SubdomainHandlers): RouteHandler {
  return async (ev) => {
    const s = ev.stanza;
    const type = s.attrs.type;
    if (s.name !== 'iq') {
      if (h.other) await h.other(ev);
      else if (s.name === 'message' && type !== 'error') ev.reply(new StanzaError('service-unavailable'));
      return;
    }
    if (type !== 'get' && type !== 'set') return;   // results and errors to the service: nothing asked
    const kids = s.getChildElements();
    if (kids.length !== 1) {
      ev.reply(new StanzaError('bad-request', 'an IQ get or set needs exactly one child element'));
      return;
    }
    const payload = kids[0]!;
    const fn = h[type].get(key(payload.attrs.xmlns ?? '', payload.name));
    if (!fn) {
      ev.reply(new StanzaError('service-unavailable'));
      return;
    }
    try {
      const out = await fn(ev, payload);
      const reply = iqResult(s, out ?? undefined);
      reply.attrs.from = ev.to.toString();
      reply.attrs.to = ev.from.toString();
      await ctx.send(reply);
    } catch (err) {
      if (err instanceof StanzaError) ev.reply(err);
      else {
        ctx.log.error({ err }, 'subdomain IQ handler failed');
        ev.reply(new StanzaError('internal-server-error'));
      }
    }
  };
}
