// Moderation and policy, the operator's rules: body length, content filters (per host and per room), token-bucket
// rate limits per account and per IP, registration modes with XEP-0401 invitations, XEP-0377 abuse reports into an
// admin queue, and the message of the day.
import { z } from 'zod';
import { defineModule, type ModuleContext } from '../../src/api/index.js';
import { registerInvites } from './invites.js';
import { registerMotd } from './motd.js';
import { moderationOptions, type ModerationOptions } from './options.js';
import { registerPolicy, type PolicyCounters } from './policy.js';
import { registerReports } from './reports.js';

export default defineModule({
  name: 'moderation',
  description: 'Content filters, body length and rate limits, registration modes with invitations (XEP-0401), abuse reports (XEP-0377), message of the day',
  xeps: [
    { xep: 377, version: '0.3.1', status: 'partial', note: 'reports are collected from blocking commands into an admin queue' },
    { xep: 401, version: '0.5.0', status: 'partial', note: 'account invitations created by administrators; no roster pre-approval' },
  ],
  options: moderationOptions,
  setup(ctx: ModuleContext<ModerationOptions>) {
    const counters: PolicyCounters = { rejected: 0, dropped: 0, throttled: 0 };
    registerPolicy(ctx, counters);
    registerInvites(ctx);
    if (ctx.options.reports) registerReports(ctx);
    registerMotd(ctx);
    ctx.commands.register({
      name: 'moderation.stats', summary: 'messages refused, dropped and throttled by the policies since the module loaded', scope: 'moderation:read', needs: 'running',
      args: z.object({ host: z.string().describe('virtual host') }), positional: ['host'],
      result: z.object({ rejected: z.number().int(), dropped: z.number().int(), throttled: z.number().int() }),
      http: { method: 'GET', path: '/moderation/{host}/stats' },
      run: async () => ({ ...counters }),
    });
  },
});
