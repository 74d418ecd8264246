// XEP-0133 service administration (v1.3): the standard nodes, each mapped onto registry commands so the checks,
// permissions and effects are the same as on the CLI and the REST API.
import { StanzaError } from '../../src/api/index.js';
import type { FieldSpec } from './form.js';
import { NS_ADMIN } from './ns.js';

export type RunCommand = (name: string, args: Record<string, unknown>) => Promise<unknown>;

export interface AdminNode {
  node: string;
  name: string;
  fields: FieldSpec[];
  /** A registry command that must exist for the node to be offered (one a module registers). */
  requires?: string;
  /** Runs with the submitted values; returns result fields (or none) and a note. */
  run(values: Map<string, string[]>, host: string, run: RunCommand): Promise<{ fields?: FieldSpec[]; note: string }>;
}

const one = (v: Map<string, string[]>, name: string): string => {
  const x = (v.get(name)?.[0] ?? '').trim();
  if (!x) throw new StanzaError('bad-request', `the ${name} field is required`);
  return x;
};
const many = (v: Map<string, string[]>, name: string): string[] => {
  const xs = (v.get(name) ?? []).flatMap((s) => s.split('\n')).map((s) => s.trim()).filter(Boolean);
  if (xs.length === 0) throw new StanzaError('bad-request', `the ${name} field is required`);
  return xs;
};

const accountjid: FieldSpec = { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID of the account', required: true };
const accountjids: FieldSpec = { var: 'accountjids', type: 'jid-multi', label: 'The Jabber IDs of the accounts', required: true };
const password: FieldSpec = { var: 'password', type: 'text-private', label: 'The password for this account', required: true };

function forEach(command: string, verb: string) {
  return async (v: Map<string, string[]>, _host: string, run: RunCommand) => {
    const jids = many(v, 'accountjids');
    for (const jid of jids) await run(command, { jid });
    return { note: `${verb} ${jids.join(', ')}` };
  };
}

export const ADMIN_NODES: readonly AdminNode[] = [
  {
    node: `${NS_ADMIN}#add-user`, name: 'Add User',
    fields: [accountjid, password, { var: 'password-verify', type: 'text-private', label: 'Retype password', required: true }],
    async run(v, _h, run) {
      if (one(v, 'password') !== one(v, 'password-verify')) throw new StanzaError('not-acceptable', 'the passwords do not match');
      await run('user.add', { jid: one(v, 'accountjid'), password: one(v, 'password') });
      return { note: `added ${one(v, 'accountjid')}` };
    },
  },
  { node: `${NS_ADMIN}#delete-user`, name: 'Delete User', fields: [accountjids], run: forEach('user.delete', 'deleted') },
  { node: `${NS_ADMIN}#disable-user`, name: 'Disable User', fields: [accountjids], run: forEach('user.disable', 'disabled') },
  { node: `${NS_ADMIN}#reenable-user`, name: 'Re-Enable User', fields: [accountjids], run: forEach('user.enable', 'enabled') },
  {
    node: `${NS_ADMIN}#change-user-password`, name: 'Change User Password', fields: [accountjid, password],
    async run(v, _h, run) {
      await run('user.passwd', { jid: one(v, 'accountjid'), password: one(v, 'password') });
      return { note: `changed the password of ${one(v, 'accountjid')}` };
    },
  },
  {
    node: `${NS_ADMIN}#end-user-session`, name: 'End User Session', fields: [accountjids],
    async run(v, _h, run) {
      const jids = many(v, 'accountjids');
      for (const jid of jids) await run(jid.includes('/') ? 'session.kick' : 'user.kick', { jid });
      return { note: `ended the sessions of ${jids.join(', ')}` };
    },
  },
  {
    node: `${NS_ADMIN}#announce`, name: 'Send Announcement to Online Users',
    fields: [{ var: 'subject', type: 'text-single', label: 'Subject' }, { var: 'announcement', type: 'text-multi', label: 'Announcement', required: true }],
    async run(v, host, run) {
      const body = (v.get('announcement') ?? []).join('\n').trim();
      if (!body) throw new StanzaError('bad-request', 'the announcement field is required');
      const subject = (v.get('subject')?.[0] ?? '').trim();
      const r = await run('message.announce', { host, body, ...(subject ? { subject } : {}) }) as { sessions: number };
      return { note: `announced to ${r.sessions} session${r.sessions === 1 ? '' : 's'}` };
    },
  },
  {
    node: `${NS_ADMIN}#set-motd`, name: 'Set Message of the Day', requires: 'motd.set',
    fields: [{ var: 'motd', type: 'text-multi', label: 'Message of the Day', required: true }],
    async run(v, host, run) {
      const text = (v.get('motd') ?? []).join('\n').trim();
      if (!text) throw new StanzaError('bad-request', 'the motd field is required');
      await run('motd.set', { host, text });
      return { note: 'message of the day set' };
    },
  },
  {
    node: `${NS_ADMIN}#delete-motd`, name: 'Delete Message of the Day', requires: 'motd.clear', fields: [],
    async run(_v, host, run) {
      await run('motd.clear', { host });
      return { note: 'message of the day removed' };
    },
  },
  {
    node: `${NS_ADMIN}#get-registered-users-num`, name: 'Get Number of Registered Users', fields: [],
    async run(_v, host, run) {
      const r = await run('user.list', { host }) as { users: unknown[] };
      return { fields: [{ var: 'registeredusersnum', type: 'fixed', label: 'The number of registered users', value: String(r.users.length) }], note: '' };
    },
  },
  {
    node: `${NS_ADMIN}#get-online-users-num`, name: 'Get Number of Online Users', fields: [],
    async run(_v, host, run) {
      const r = await run('session.list', { host }) as { sessions: { jid: string }[] };
      const users = new Set(r.sessions.map((s) => s.jid.split('/')[0]));
      return { fields: [{ var: 'onlineusersnum', type: 'fixed', label: 'The number of online users', value: String(users.size) }], note: '' };
    },
  },
  {
    node: `${NS_ADMIN}#get-online-users-list`, name: 'Get List of Online Users', fields: [],
    async run(_v, host, run) {
      const r = await run('session.list', { host }) as { sessions: { jid: string }[] };
      const users = [...new Set(r.sessions.map((s) => s.jid.split('/')[0]!))].sort();
      return { fields: [{ var: 'onlineuserjids', type: 'jid-multi', label: 'The list of all online users', value: users }], note: '' };
    },
  },
  {
    node: `${NS_ADMIN}#get-user-statistics`, name: 'Get User Statistics', fields: [accountjid],
    async run(v, _h, run) {
      const jid = one(v, 'accountjid');
      const shown = await run('user.show', { jid }) as { sessions?: { jid: string; ip: string }[] };
      const sessions = shown.sessions ?? [];
      let rostersize: string | null = null;
      try {
        rostersize = String(((await run('roster.get', { jid })) as { items: unknown[] }).items.length);
      } catch { /* no roster module */ }
      return {
        fields: [
          { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID of the account', value: jid },
          ...(rostersize === null ? [] : [{ var: 'rostersize', type: 'text-single' as const, label: 'Roster size', value: rostersize }]),
          { var: 'onlineresources', type: 'text-multi', label: 'Online resources', value: sessions.map((s) => s.jid.split('/').slice(1).join('/')) },
          { var: 'ipaddresses', type: 'text-multi', label: 'IP addresses', value: [...new Set(sessions.map((s) => s.ip))] },
        ],
        note: '',
      };
    },
  },
];
