// XEP-0191 §3.2–3.5: blocklist retrieval, block, unblock, unblock-all, and the pushes to every resource
// of the user that retrieved the blocklist.
import type { Element } from 'ltx';
import type { IqRequest, ModuleContext } from '../../src/api/index.js';
import { el, StanzaError } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { INTERESTED, NS_BLOCKING } from './ns.js';
import { sendCurrentPresence, sendUnavailable } from './presence.js';
import type { BlocklistStore } from './store.js';

export interface CommandOptions {
  maxItems: number;
}

/** The IQ must come from the account it is addressed to (no 'to', or the user's own bare JID). */
function selfUser(req: IqRequest): string {
  if (!req.from.local || req.from.local !== req.to.local || req.from.domain !== req.to.domain) throw new StanzaError('service-unavailable');
  return req.to.local;
}

/** The prepared JIDs of the <item/> children, without duplicates. */
function parseItems(payload: Element, max: number): string[] {
  const out = new Set<string>();
  for (const child of payload.getChildElements()) {
    if (child.name !== 'item' || (child.attrs.xmlns !== undefined && child.attrs.xmlns !== NS_BLOCKING)) {
      throw new StanzaError('bad-request', `unexpected <${child.name}/> element`);
    }
    const raw = child.attrs.jid;
    if (raw === undefined || raw === '') throw new StanzaError('bad-request', "an item needs a 'jid' attribute");
    const jid = tryParseJid(raw);
    if (!jid) throw new StanzaError('jid-malformed', `'${raw.slice(0, 100)}' is not a valid JID`);
    out.add(jid.full());
    if (out.size > max) throw new StanzaError('policy-violation', `at most ${max} items may be blocked`);
  }
  return [...out];
}

const itemsOf = (items: readonly string[]) => items.map((jid) => el('item', { jid }));

export function registerCommands(ctx: ModuleContext<unknown>, store: BlocklistStore, opts: CommandOptions): void {
  let pushCounter = 0;
  // After the result has gone out (the router answers once the handler resolves).
  const push = (user: string, command: 'block' | 'unblock', items: readonly string[]) => {
    setImmediate(() => {
      for (const s of ctx.sessions.ofUser(user).values()) {
        if (s.data.get(INTERESTED) !== true || !s.jid) continue;
        s.send(el('iq', { type: 'set', id: `blockpush${(++pushCounter).toString(36)}`, to: s.jid.full() }, el(command, { xmlns: NS_BLOCKING }, ...itemsOf(items))));
      }
    });
  };

  ctx.iq.get('bare', NS_BLOCKING, 'blocklist', async (req) => {
    const user = selfUser(req);
    const list = await store.get(user);
    req.origin?.data.set(INTERESTED, true);
    return el('blocklist', { xmlns: NS_BLOCKING }, ...itemsOf([...list].sort()));
  });

  ctx.iq.set('bare', NS_BLOCKING, 'block', async (req) => {
    const user = selfUser(req);
    const items = parseItems(req.payload, opts.maxItems);
    if (items.length === 0) throw new StanzaError('bad-request', 'a block command needs at least one item');
    const current = await store.get(user);
    if (current.size + items.filter((i) => !current.has(i)).length > opts.maxItems) {
      throw new StanzaError('policy-violation', `at most ${opts.maxItems} items may be blocked`);
    }
    const added = await store.add(user, items);
    await sendUnavailable(ctx, user, added);
    push(user, 'block', items);
  });

  ctx.iq.set('bare', NS_BLOCKING, 'unblock', async (req) => {
    const user = selfUser(req);
    const items = parseItems(req.payload, opts.maxItems);
    // An empty <unblock/> unblocks everybody (§3.5).
    const removed = await store.remove(user, items.length === 0 ? null : items);
    await sendCurrentPresence(ctx, user, removed, await store.get(user));
    push(user, 'unblock', items);
  });
}
