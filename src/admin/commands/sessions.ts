// session.*: connected client sessions of the running server.
import { z } from 'zod';
import * as R from './results.js';
import { parseJid } from '../../jid.js';
import { StreamError } from '../../core/errors.js';
import { CommandError } from '../errors.js';
import { command, hostArg, hostsOf, running } from './define.js';
import { describeSession, type SessionInfo } from './session-info.js';

export const sessionList = command({
  name: 'session.list', result: R.sessionList, summary: 'list connected (bound) client sessions', scope: 'sessions:read', needs: 'running',
  args: z.object({ host: hostArg }), positional: ['host'],
  http: { method: 'GET', path: '/sessions' },
  async run(env, a) {
    const srv = running(env);
    const sessions: SessionInfo[] = [];
    for (const h of hostsOf(env, a.host)) for (const s of srv.hosts.get(h)?.sessions.all() ?? []) sessions.push(describeSession(s));
    sessions.sort((x, y) => x.jid.localeCompare(y.jid));
    return { connections: srv.connectionCount(), sessions };
  },
  format: (r) => [...r.sessions.map((s) => `${s.jid}  ${s.ip}  ${s.show ?? 'unavailable'}`), `${r.sessions.length} bound session(s), ${r.connections} connection(s)`].join('\n'),
});

export const sessionKick = command({
  name: 'session.kick', result: R.jidResult, summary: 'close one session, given its full JID', scope: 'sessions:write', needs: 'running',
  args: z.object({ jid: z.string().min(1).max(3071).describe('full JID of the session, e.g. alice@example.com/phone'), reason: z.string().max(1000).optional() }),
  positional: ['jid'],
  http: { method: 'POST', path: '/sessions/kick' },
  async run(env, a) {
    let jid;
    try {
      jid = parseJid(a.jid);
    } catch (err) {
      throw new CommandError('invalid-argument', `"${a.jid}" is not a valid JID: ${(err as Error).message}`);
    }
    if (!jid.local || !jid.resource) throw new CommandError('invalid-argument', `give a full JID such as alice@${jid.domain}/phone`);
    const s = running(env).hosts.get(jid.domain)?.sessions.get(jid.local, jid.resource);
    if (!s) throw new CommandError('not-found', `no session ${jid.full()}`);
    s.close(new StreamError('policy-violation', a.reason ?? 'disconnected by an administrator'));
    return { jid: jid.full() };
  },
  format: (r) => `closed ${r.jid}`,
});
