// XEP-0377 spam reporting: a <report/> inside a blocking command's <item/> is kept in an admin queue (the block
// itself is done by the blocking module), listed and dismissed with admin commands.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CommandError, type MapStore, type ModuleContext } from '../../src/api/index.js';
import type { ModerationOptions } from './options.js';

export const NS_REPORTING = 'urn:xmpp:reporting:1';
const NS_BLOCKING = 'urn:xmpp:blocking';
const QUEUE = '';

export interface Report { id: string; reporter: string; reported: string; reason: string; text: string; at: string }

const reportSchema = z.object({ id: z.string(), reporter: z.string(), reported: z.string(), reason: z.string(), text: z.string(), at: z.string() });

export function registerReports(ctx: ModuleContext<ModerationOptions>): void {
  const store = ctx.openStore('reports', 'map') as MapStore<Report>;
  ctx.addFeature(NS_REPORTING);

  ctx.hook('iq/bare', (ev) => {
    const block = ev.stanza.attrs.type === 'set' ? ev.stanza.getChild('block', NS_BLOCKING) : undefined;
    if (!block || !ev.origin || ev.from.bare() !== ev.to.bare()) return false;
    const reports = block.getChildren('item').map((item) => ({ item, report: item.getChild('report', NS_REPORTING) })).filter((x) => x.report);
    if (reports.length === 0) return false;
    return (async () => {
      for (const { item, report } of reports.slice(0, 50)) {
        const r: Report = {
          id: randomBytes(8).toString('hex'),
          reporter: ev.from.bare(),
          reported: String(item.attrs.jid ?? '').slice(0, 3071),
          reason: String(report!.attrs.reason ?? '').slice(0, 200),
          text: (report!.getChildText('text') ?? '').slice(0, 4000),
          at: new Date().toISOString(),
        };
        await store.set(QUEUE, r.id, r);
        ctx.log.info({ id: r.id, reason: r.reason }, 'abuse report received');
      }
      return false;   // the blocking module still blocks
    })();
  });

  ctx.commands.register({
    name: 'report.list', summary: 'spam and abuse reports (XEP-0377) waiting for an administrator', scope: 'moderation:read', needs: 'running',
    args: z.object({ host: z.string().describe('virtual host') }), positional: ['host'],
    result: z.object({ reports: z.array(reportSchema) }),
    http: { method: 'GET', path: '/reports' },
    async run() {
      const reports = [...(await store.getAll(QUEUE)).values()].sort((a, b) => a.at.localeCompare(b.at));
      return { reports };
    },
    format: (r: { reports: Report[] }) => r.reports.map((x) => `${x.id}  ${x.at}  ${x.reporter} reported ${x.reported} (${x.reason})${x.text ? `: ${x.text}` : ''}`).join('\n') || 'no reports',
  });
  ctx.commands.register({
    name: 'report.dismiss', summary: 'remove a report from the queue', scope: 'moderation:write', needs: 'running',
    args: z.object({ host: z.string().describe('virtual host'), id: z.string().regex(/^[0-9a-f]{16}$/).describe('report id') }), positional: ['host', 'id'],
    result: z.object({ dismissed: z.string() }),
    http: { method: 'DELETE', path: '/reports/{id}' },
    async run(_env, a: { id: string }) {
      if (!(await store.get(QUEUE, a.id))) throw new CommandError('not-found', `no report ${a.id}`);
      await store.set(QUEUE, a.id, null);
      return { dismissed: a.id };
    },
  });
}
