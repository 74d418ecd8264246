// The message of the day: a headline from the host to each session when it first becomes available. Set in the
// configuration (motd) or with motd.set, which overrides it until motd.clear.
import { z } from 'zod';
import { el, type KeyValueStore, type ModuleContext } from '../../src/api/index.js';
import type { ModerationOptions } from './options.js';

interface Stored { text: string }

export function registerMotd(ctx: ModuleContext<ModerationOptions>): void {
  const store = ctx.openStore('motd', 'keyval') as KeyValueStore<Stored>;
  let cached: string | null | undefined;
  const current = async (): Promise<string | null> => {
    if (cached === undefined) cached = (await store.get(''))?.text ?? ctx.options.motd ?? null;
    return cached;
  };

  ctx.hook('presence-available', ({ session, initial }) => {
    if (!initial || !session.jid) return false;
    return current().then((text) => {
      if (text) session.send(el('message', { from: ctx.host, to: session.jid!.full(), type: 'headline', id: `motd-${Date.now().toString(36)}` }, el('subject', null, 'Message of the day'), el('body', null, text)));
      return false;
    });
  });

  const result = z.object({ motd: z.string().nullable() });
  const hostArg = z.string().describe('virtual host');
  ctx.commands.register({
    name: 'motd.get', summary: 'the message of the day', scope: 'moderation:read', needs: 'running',
    args: z.object({ host: hostArg }), positional: ['host'], result,
    http: { method: 'GET', path: '/motd/{host}' },
    run: async () => ({ motd: await current() }),
    format: (r: { motd: string | null }) => r.motd ?? 'no message of the day',
  });
  ctx.commands.register({
    name: 'motd.set', summary: 'set the message of the day (sent to each session as it comes online)', scope: 'moderation:write', needs: 'running',
    args: z.object({ host: hostArg, text: z.string().min(1).max(10_000).describe('the message') }), positional: ['host', 'text'], result,
    http: { method: 'PUT', path: '/motd/{host}' },
    async run(_env, a: { text: string }) {
      await store.set('', { text: a.text });
      cached = a.text;
      return { motd: a.text };
    },
  });
  ctx.commands.register({
    name: 'motd.clear', summary: 'remove the message of the day set with motd.set (the configured one applies again)', scope: 'moderation:write', needs: 'running',
    args: z.object({ host: hostArg }), positional: ['host'], result,
    http: { method: 'DELETE', path: '/motd/{host}' },
    async run() {
      await store.set('', null);
      cached = undefined;
      return { motd: await current() };
    },
  });
}
