// message.*: messages from the server (a host's JID) to a user, a session, or everyone online.
import { z } from 'zod';
import * as R from './results.js';
import { el } from '../../xml/stanza.js';
import { parseJid } from '../../jid.js';
import { CommandError } from '../errors.js';
import { command, hostArg, hostsOf, running } from './define.js';

const body = z.string().min(1).max(65_536).describe('message text');
const subject = z.string().max(1024).optional().describe('subject line');

function message(from: string, to: string, type: string, text: string, subj: string | undefined) {
  return el('message', { from, to, type, id: `admin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}` },
    subj ? el('subject', null, subj) : null, el('body', null, text));
}

export const messageSend = command({
  name: 'message.send', result: R.sent, summary: 'send a message from the server to a user (bare JID: by the usual delivery rules) or one session (full JID)', scope: 'messages:write', needs: 'running',
  args: z.object({
    to: z.string().min(1).max(3071).describe('recipient JID'),
    body, subject,
    type: z.enum(['normal', 'chat', 'headline']).default('normal').describe('message type'),
  }),
  positional: ['to', 'body'],
  http: { method: 'POST', path: '/messages' },
  async run(env, a) {
    const srv = running(env);
    let to;
    try {
      to = parseJid(a.to);
    } catch (err) {
      throw new CommandError('invalid-argument', `"${a.to}" is not a valid JID: ${(err as Error).message}`);
    }
    // From the recipient's own host when we serve it, else from the first host (the router handles remote domains).
    const from = srv.hosts.has(to.domain) ? to.domain : [...srv.hosts.keys()].find((h) => to.domain.endsWith(`.${h}`)) ?? [...srv.hosts.keys()][0]!;
    await srv.send(message(from, to.full(), a.type, a.body, a.subject));
    return { to: to.full(), from };
  },
  format: (r) => `sent to ${r.to}`,
});

export const messageAnnounce = command({
  name: 'message.announce', result: R.announced, summary: 'send a headline message from the server to every online session (of one host or all)', scope: 'messages:write', needs: 'running',
  args: z.object({ body, subject, host: hostArg }),
  positional: ['body'],
  http: { method: 'POST', path: '/announcements' },
  async run(env, a) {
    const srv = running(env);
    let sent = 0;
    for (const h of hostsOf(env, a.host)) {
      const host = srv.hosts.get(h);
      if (!host) continue;
      for (const s of [...host.sessions.all()]) {
        if (!s.jid) continue;
        await srv.send(message(h, s.jid.full(), 'headline', a.body, a.subject));
        sent++;
      }
    }
    return { sessions: sent };
  },
  format: (r) => `announced to ${r.sessions} session${r.sessions === 1 ? '' : 's'}`,
});
