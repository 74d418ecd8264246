// user.*: accounts (offline against the database, or through the running server so that sessions are closed and
// the user-deleted event fires).
import { z } from 'zod';
import * as R from './results.js';
import { createAccountsApi } from '../../core/accounts.js';
import { StreamError } from '../../core/errors.js';
import { CommandError } from '../errors.js';
import { addUser, changePassword, deleteUser, hostScope } from '../users.js';
import { assertAccount, command, hostArg, hostsOf, jidArg, running, user } from './define.js';
import { describeSession, type SessionInfo } from './session-info.js';

const password = z.string().min(1).max(1023).describe('the password');

export const userAdd = command({
  name: 'user.add', result: R.jidResult, summary: 'create an account', scope: 'users:write', needs: 'any',
  args: z.object({ jid: jidArg, password }), positional: ['jid'], secret: ['password'],
  http: { method: 'POST', path: '/users' },
  async run(env, a) {
    const u = user(env, a.jid);
    if (await env.storage.accounts.get(u.domain, u.local)) throw new CommandError('conflict', `user ${u.bare} already exists`);
    await addUser(env.storage, u.bare, a.password, env.config.auth.scramIterations, hostScope(env.config));
    return { jid: u.bare };
  },
  format: (r) => `added user ${r.jid}`,
});

export const userDelete = command({
  name: 'user.delete', result: R.jidResult, summary: 'delete an account and everything stored for it (its sessions are closed)', scope: 'users:write', needs: 'any',
  args: z.object({ jid: jidArg }), positional: ['jid'],
  http: { method: 'DELETE', path: '/users/{jid}' },
  async run(env, a) {
    const u = user(env, a.jid);
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    const host = env.server?.hosts.get(u.domain);
    if (host) await createAccountsApi(host, env.storage, env.config.auth.scramIterations).delete(u.local);
    else await deleteUser(env.storage, u.bare, hostScope(env.config));
    return { jid: u.bare };
  },
  format: (r) => `deleted user ${r.jid}`,
});

export const userPasswd = command({
  name: 'user.passwd', result: R.jidResult, summary: "change an account's password", scope: 'users:write', needs: 'any',
  args: z.object({ jid: jidArg, password }), positional: ['jid'], secret: ['password'],
  http: { method: 'PUT', path: '/users/{jid}/password' },
  async run(env, a) {
    const u = user(env, a.jid);
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    await changePassword(env.storage, u.bare, a.password, env.config.auth.scramIterations, hostScope(env.config));
    return { jid: u.bare };
  },
  format: (r) => `changed the password of ${r.jid}`,
});

export interface UserSummary { jid: string; disabled: boolean; createdAt: string; online?: number }

export const userList = command({
  name: 'user.list', result: R.userList, summary: 'list accounts', scope: 'users:read', needs: 'any',
  args: z.object({ host: hostArg }), positional: ['host'],
  http: { method: 'GET', path: '/users' },
  async run(env, a) {
    const users: UserSummary[] = [];
    for (const h of hostsOf(env, a.host)) {
      for (const name of await env.storage.accounts.list(h)) {
        const rec = await env.storage.accounts.get(h, name);
        if (!rec) continue;
        const online = env.server?.hosts.get(h)?.sessions.ofUser(name).size;
        users.push({ jid: `${name}@${h}`, disabled: rec.disabled, createdAt: new Date(rec.createdAt).toISOString(), ...(online === undefined ? {} : { online }) });
      }
    }
    return { users };
  },
  format: (r) => r.users.map((u) => `${u.jid}${u.disabled ? ' (disabled)' : ''}${u.online ? ` (${u.online} online)` : ''}`).join('\n'),
});

export const userShow = command({
  name: 'user.show', result: R.userShow, summary: 'show an account and its sessions', scope: 'users:read', needs: 'any',
  args: z.object({ jid: jidArg }), positional: ['jid'],
  http: { method: 'GET', path: '/users/{jid}' },
  async run(env, a) {
    const u = user(env, a.jid);
    const rec = await env.storage.accounts.get(u.domain, u.local);
    assertAccount(rec !== null, u.bare);
    const sessions = env.server ? [...(env.server.hosts.get(u.domain)?.sessions.ofUser(u.local).values() ?? [])].map(describeSession) : undefined;
    return { jid: u.bare, disabled: rec!.disabled, createdAt: new Date(rec!.createdAt).toISOString(), ...(sessions ? { sessions } : {}) };
  },
});

function setDisabled(disabled: boolean) {
  return command({
    name: disabled ? 'user.disable' : 'user.enable', result: R.userDisabled,
    summary: disabled ? 'disable an account (it cannot log in; its sessions are closed)' : 'enable a disabled account',
    scope: 'users:write', needs: 'any',
    args: z.object({ jid: jidArg }), positional: ['jid'],
    http: { method: 'POST', path: `/users/{jid}/${disabled ? 'disable' : 'enable'}` },
    async run(env, a) {
      const u = user(env, a.jid);
      assertAccount(await env.storage.accounts.setDisabled(u.domain, u.local, disabled), u.bare);
      let closed = 0;
      if (disabled) {
        for (const s of [...(env.server?.hosts.get(u.domain)?.sessions.ofUser(u.local).values() ?? [])]) {
          s.close(new StreamError('not-authorized', 'this account has been disabled'));
          closed++;
        }
      }
      return { jid: u.bare, disabled, closedSessions: closed };
    },
    format: (r) => `${r.disabled ? 'disabled' : 'enabled'} ${r.jid}${r.closedSessions ? ` (${r.closedSessions} session${r.closedSessions === 1 ? '' : 's'} closed)` : ''}`,
  });
}
export const userDisable = setDisabled(true);
export const userEnable = setDisabled(false);

export const userSessions = command({
  name: 'user.sessions', result: R.sessions, summary: "list an account's connected sessions", scope: 'sessions:read', needs: 'running',
  args: z.object({ jid: jidArg }), positional: ['jid'],
  http: { method: 'GET', path: '/users/{jid}/sessions' },
  async run(env, a) {
    const u = user(env, a.jid);
    const sessions: SessionInfo[] = [...(running(env).hosts.get(u.domain)?.sessions.ofUser(u.local).values() ?? [])].map(describeSession);
    return { sessions };
  },
  format: (r) => r.sessions.map((s) => `${s.jid}  ${s.ip}${s.secure ? '' : ' (insecure)'}`).join('\n') || 'no sessions',
});

export const userKick = command({
  name: 'user.kick', result: R.kicked, summary: "close all of an account's sessions", scope: 'sessions:write', needs: 'running',
  args: z.object({ jid: jidArg, reason: z.string().max(1000).optional().describe('text sent with the stream error') }), positional: ['jid'],
  http: { method: 'POST', path: '/users/{jid}/kick' },
  async run(env, a) {
    const u = user(env, a.jid);
    const list = [...(running(env).hosts.get(u.domain)?.sessions.ofUser(u.local).values() ?? [])];
    for (const s of list) s.close(new StreamError('policy-violation', a.reason ?? 'disconnected by an administrator'));
    return { jid: u.bare, closed: list.length };
  },
  format: (r) => `closed ${r.closed} session${r.closed === 1 ? '' : 's'} of ${r.jid}`,
});

