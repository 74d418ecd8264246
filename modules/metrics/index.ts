// Observability: OpenMetrics at /metrics (loopback clients only unless `public`), /health (liveness) and /ready
// (storage answers and the server has listeners) on the HTTP listeners. Counters come from hooks: logins, stanzas
// received and delivered, routing latency; gauges are read at scrape time.
import { z } from 'zod';
import type { Element } from 'ltx';
import { defineModule, PRIORITY, sendHttp, type HttpRequest, type ModuleContext, type StanzaEvent } from '../../src/api/index.js';
import { collectorFor } from './collector.js';
import type { BoundCounter, Counter } from './registry.js';

const options = z.object({
  /** Serve /metrics to any address (put it behind your own access control); default loopback only. */
  public: z.boolean().default(false),
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/).default('/metrics'),
  /** Serve /health and /ready. */
  health: z.boolean().default(true),
}).strict();

type Options = z.infer<typeof options>;

const INTERNAL = { via: 'web' as const, actor: 'metrics', scopes: ['server:read'] };

function loopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

export default defineModule({
  name: 'metrics',
  description: 'OpenMetrics at /metrics (loopback only by default), /health and /ready',
  options,
  setup(ctx: ModuleContext<Options>) {
    const c = collectorFor(ctx.server);
    const host = ctx.host;
    // Read at scrape time, so modules loaded after this one (or reloaded) are seen.
    c.hosts.set(host, {
      sessions: () => ctx.sessions.count,
      muc: () => ctx.tryUse('muc')?.stats(),
      stored: async () => ({ offline: await ctx.tryUse('offline')?.queued(), archive: await ctx.tryUse('mam')?.size() }),
    });
    c.probe ??= {
      status: async () => {
        const s = await ctx.commands.run('server.status', {}, INTERNAL, 'rest') as { connections: number; s2sConnections: number; listeners: unknown[]; uptimeSeconds: number };
        return { connections: s.connections, s2sConnections: s.s2sConnections, listeners: s.listeners.length, uptimeSeconds: s.uptimeSeconds };
      },
    };
    c.lag.enable();
    ctx.onUnload(() => {
      c.hosts.delete(host);
      if (c.hosts.size === 0) c.close();
    });

    // Hot path: every client stanza passes here, so the counters are bound per kind once, and routing latency is
    // sampled: one stanza to a user of this host is timed at a time (the next one once it is delivered, or after
    // 1 s if a policy hook took it). Timing every stanza through a WeakMap cost 2.3 µs a message, half again the
    // cost of routing it (bench/RESULTS.md).
    const countersOf = (counter: Counter) => {
      const byKind = new Map<string, BoundCounter>();
      return (kind: string) => {
        let b = byKind.get(kind);
        if (!b) byKind.set(kind, (b = counter.child({ host, kind })));
        return b;
      };
    };
    const received = countersOf(c.stanzasIn);
    let probe: Element | null = null;
    let probeAt = 0;
    ctx.hook('pre-stanza', ({ stanza, to }) => {
      received(stanza.name).inc();
      // Only stanzas that reach this host's delivery hooks below (not the server's own IQs, not other servers).
      if (to.local !== '' && to.domain === host && (probe === null || performance.now() - probeAt > 1000)) {
        probe = stanza;
        probeAt = performance.now();
      }
      return false;
    }, PRIORITY.POLICY + 1000);
    const deliveredOf = countersOf(c.delivered);
    const delivered = (kind: string) => {
      const count = deliveredOf(kind);
      return ({ stanza }: StanzaEvent) => {
        count.inc();
        if (stanza === probe) {
          c.routing.observe((performance.now() - probeAt) / 1000);
          probe = null;
        }
        return false;
      };
    };
    for (const ev of ['message/bare', 'message/full', 'presence/bare', 'presence/full', 'iq/full', 'iq/bare'] as const) {
      ctx.hook(ev, delivered(ev.split('/')[0]!), PRIORITY.POLICY + 1000);
    }
    ctx.hook('authentication-success', () => { c.logins.inc({ host, result: 'ok' }); return false; });
    ctx.hook('authentication-failure', () => { c.logins.inc({ host, result: 'failed' }); return false; });

    ctx.commands.register({
      name: 'metrics.summary', summary: 'totals since start: messages and stanzas received, logins (every host)', scope: 'server:read', needs: 'running',
      args: z.object({ host: z.string().optional().describe('any host of the server (the totals cover all)') }),
      result: z.object({ messagesReceived: z.number().int(), stanzasReceived: z.number().int(), loginsOk: z.number().int(), loginsFailed: z.number().int(), at: z.string() }),
      http: { method: 'GET', path: '/metrics/summary' },
      run: async () => ({ ...c.summary(), at: new Date().toISOString() }),
    });

    ctx.http.route('GET', ctx.options.path, async (req: HttpRequest, res) => {
      if (!ctx.options.public && !loopback(req.remoteAddress)) {
        return sendHttp(res, 403, 'metrics are served to loopback clients only (modules.metrics.public)\n', 'text/plain; charset=utf-8');
      }
      sendHttp(res, 200, await c.render(), 'application/openmetrics-text; version=1.0.0; charset=utf-8', { 'Cache-Control': 'no-store' });
    });

    if (ctx.options.health) {
      const probeStore = ctx.openStore('health', 'keyval');
      ctx.http.route('GET', '/health', (_req, res) => {
        sendHttp(res, 200, '{"status":"ok"}\n', 'application/json', { 'Cache-Control': 'no-store' });
      });
      ctx.http.route('GET', '/ready', async (_req, res) => {
        const checks: Record<string, string> = {};
        try {
          await probeStore.get('probe');
          checks.storage = 'ok';
        } catch (err) {
          checks.storage = `failing: ${(err as Error).message}`;
        }
        try {
          const s = await c.probe!.status();
          checks.listeners = s.listeners > 0 ? 'ok' : 'none';
        } catch (err) {
          checks.listeners = `failing: ${(err as Error).message}`;
        }
        const ready = Object.values(checks).every((v) => v === 'ok');
        sendHttp(res, ready ? 200 : 503, `${JSON.stringify({ status: ready ? 'ready' : 'not-ready', checks })}\n`, 'application/json', { 'Cache-Control': 'no-store' });
      });
    }
  },
});
