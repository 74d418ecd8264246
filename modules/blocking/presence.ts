// XEP-0191 §3.3/§3.4: blocking a contact who may see the user's presence sends them unavailable;
// unblocking sends them the user's current presence again. "May see" = subscription from/both in
// the roster (RFC 6121); without the roster module there is nobody to tell.
import { clone, type Element } from 'ltx';
import type { ModuleContext } from '../../src/api/index.js';
import { el } from '../../src/api/index.js';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { isBlockedBy } from './match.js';

/** The part of the roster module's service used here (modules/roster/types.ts), looked up by name so
 *  that blocking works without the roster module. */
interface RosterLookup {
  items(user: string): Promise<Map<string, { subscription: string }>>;
}

/** The addresses among the user's presence subscribers that `items` block: bare JIDs, or full JIDs for resource items. */
async function affectedSubscribers(ctx: ModuleContext<unknown>, user: string, items: readonly string[], stillBlocked?: ReadonlySet<string>): Promise<string[]> {
  const roster = (ctx.tryUse as (name: string) => unknown)('roster') as RosterLookup | undefined;
  if (!roster || items.length === 0) return [];
  const set = new Set(items);
  const parsed = items.map((i) => tryParseJid(i)).filter((j): j is Jid => j !== null);
  const out: string[] = [];
  for (const [contact, item] of await roster.items(user)) {
    if (item.subscription !== 'from' && item.subscription !== 'both') continue;
    const cj = tryParseJid(contact);
    if (!cj || (stillBlocked && isBlockedBy(stillBlocked, cj))) continue;
    if (isBlockedBy(set, cj)) out.push(cj.bare());
    else for (const j of parsed) if (j.resource && j.local === cj.local && j.domain === cj.domain) out.push(j.full());
  }
  return out;
}

function availableSessions(ctx: ModuleContext<unknown>, user: string) {
  return [...ctx.sessions.ofUser(user).values()].filter((s) => s.jid && s.presence);
}

export async function sendUnavailable(ctx: ModuleContext<unknown>, user: string, blocked: readonly string[]): Promise<void> {
  const sessions = availableSessions(ctx, user);
  if (sessions.length === 0) return;   // the contact already sees the user offline
  for (const to of await affectedSubscribers(ctx, user, blocked)) {
    for (const s of sessions) await ctx.send(el('presence', { type: 'unavailable', from: s.jid!.full(), to }));
  }
}

export async function sendCurrentPresence(ctx: ModuleContext<unknown>, user: string, unblocked: readonly string[], stillBlocked: ReadonlySet<string>): Promise<void> {
  const sessions = availableSessions(ctx, user);
  if (sessions.length === 0) return;
  for (const to of await affectedSubscribers(ctx, user, unblocked, stillBlocked)) {
    for (const s of sessions) {
      const p: Element = clone(s.presence!);
      p.attrs.from = s.jid!.full();
      p.attrs.to = to;
      await ctx.send(p);
    }
  }
}
