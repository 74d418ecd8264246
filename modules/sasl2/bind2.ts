// XEP-0386 Bind2 inside a SASL2 <authenticate/>: a resource from the client's tag and its user agent (stable across
// logins of the same client, so a new login replaces the old session), then the inline features in request order:
// stream management enable (XEP-0198), message carbons (XEP-0280) and client state (XEP-0352) through those
// modules' services.
import { createHash, randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import { el, type ClientSession, type InlineAuth, type ModuleContext } from '../../src/api/index.js';
import { NS_CARBONS } from '../carbons/ns.js';
import { NS_BIND2, NS_CSI, NS_SM } from './ns.js';

/** The features this server can enable inside Bind2 now (advertised in <inline/>). */
export function inlineFeatures(ctx: ModuleContext<unknown>): string[] {
  const out: string[] = [];
  if (ctx.tryUse('sm')) out.push(NS_SM);
  if (ctx.tryUse('carbons')) out.push(NS_CARBONS);
  if (ctx.tryUse('csi')) out.push(NS_CSI);
  return out;
}

/** tag + '.' + a short digest of the account and user agent id (random without one). */
export function bind2Resource(tag: string | null, username: string, host: string, uaId: string | null): string {
  const clean = (tag ?? '').replace(/[^\p{L}\p{N} ._-]/gu, '').trim().slice(0, 64) || 'starling';
  const suffix = uaId
    ? createHash('sha256').update(`${host}\0${username}\0${uaId}`).digest('hex').slice(0, 12)
    : randomBytes(6).toString('hex');
  return `${clean}.${suffix}`;
}

export type Bind2Result = { ok: true; bound: Element; jid: string; announce(): void | Promise<void> } | { ok: false };

export function bind2(ctx: ModuleContext<unknown>, session: ClientSession, auth: InlineAuth, request: Element, uaId: string | null): Bind2Result {
  const resource = bind2Resource(request.getChildText('tag'), session.username!, session.host, uaId);
  const r = auth.bind(resource);
  if (!r.ok) {
    session.log.info({ condition: r.error.condition }, 'Bind2 could not bind a resource');
    return { ok: false };
  }
  const bound = el('bound', { xmlns: NS_BIND2 });
  for (const child of request.children) {
    if (typeof child === 'string') continue;
    const ns = child.attrs.xmlns;
    if (ns === NS_SM && child.name === 'enable') {
      const sm = ctx.tryUse('sm');
      if (sm) bound.cnode(sm.enable(session, child));
    } else if (ns === NS_CARBONS && child.name === 'enable') {
      ctx.tryUse('carbons')?.enable(session);
    } else if (ns === NS_CSI && (child.name === 'inactive' || child.name === 'active')) {
      ctx.tryUse('csi')?.setInactive(session, child.name === 'inactive');
    }
  }
  return { ok: true, bound, jid: r.jid.full(), announce: r.announce };
}
