// The message and rate policies, as hooks on what clients send: rate limits first (every stanza), then the body
// length and the content filters (messages).
import { PRIORITY, StanzaError, type ModuleContext } from '../../src/api/index.js';
import { Buckets } from './bucket.js';
import { compileFilter, type CompiledFilter } from './filter.js';
import type { ModerationOptions } from './options.js';

export interface PolicyCounters {
  rejected: number;
  dropped: number;
  throttled: number;
}

export function registerPolicy(ctx: ModuleContext<ModerationOptions>, counters: PolicyCounters): void {
  const o = ctx.options;
  const hostFilter = compileFilter(o.filter);
  const roomFilters = new Map<string, CompiledFilter>();
  for (const [room, f] of Object.entries(o.rooms)) {
    const c = compileFilter(f);
    if (c) roomFilters.set(room.toLowerCase(), c);
  }

  if (o.rateLimit.enabled) {
    const a = o.rateLimit.account;
    const i = o.rateLimit.ip;
    const accountStanzas = new Buckets(a.stanzasPerSecond, a.burstStanzas);
    const accountBytes = new Buckets(a.bytesPerSecond, a.burstBytes);
    const ipStanzas = new Buckets(i.stanzasPerSecond, i.burstStanzas);
    const ipBytes = new Buckets(i.bytesPerSecond, i.burstBytes);
    ctx.timer(30_000, () => { for (const b of [accountStanzas, accountBytes, ipStanzas, ipBytes]) b.sweep(); }, { repeat: true });

    ctx.hook('pre-stanza', (ev) => {
      const s = ev.origin;
      if (!s) return false;
      const bytes = Buffer.byteLength(ev.stanza.toString());
      const account = ev.from.bare();
      // Every bucket is charged, so a client cannot dodge one limit by staying under the other.
      const ok = [accountStanzas.take(account, 1), accountBytes.take(account, bytes), ipStanzas.take(s.ip, 1), ipBytes.take(s.ip, bytes)].every(Boolean);
      if (ok) return false;
      const type = ev.stanza.attrs.type;
      if (type === 'error' || (ev.stanza.name === 'iq' && type === 'result')) return false;   // answers always pass
      counters.throttled++;
      ev.reply(new StanzaError('policy-violation', 'rate limit exceeded: slow down', 'wait'));
      return true;
    }, PRIORITY.POLICY + 500);
  }

  ctx.hook('pre-message', (ev) => {
    if (!ev.origin) return false;
    const body = ev.stanza.getChildText('body');
    if (body === null) return false;
    if (o.maxBodyChars > 0 && body.length > o.maxBodyChars && [...body].length > o.maxBodyChars) {
      counters.rejected++;
      ev.reply(new StanzaError('policy-violation', `the message body is longer than ${o.maxBodyChars} characters`));
      return true;
    }
    for (const f of [hostFilter, roomFilters.get(ev.to.bare())]) {
      if (!f || !f.matches(body)) continue;
      if (f.action === 'drop') {
        counters.dropped++;
        ctx.log.info({ from: ev.from.bare() }, 'message dropped by the content filter');
      } else {
        counters.rejected++;
        ev.reply(new StanzaError('policy-violation', f.text));
      }
      return true;
    }
    return false;
  }, PRIORITY.POLICY);
}
