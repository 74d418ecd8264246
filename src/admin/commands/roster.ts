// roster.* and vcard.*: a user's roster and vCard, through the roster and vcard modules of the running server (so
// that changes are pushed to the user's sessions and events fire as for a client's own change).
import { z } from 'zod';
import * as R from './results.js';
import { parseJid } from '../../jid.js';
import { CommandError } from '../errors.js';
import { assertAccount, command, jidArg, service, user } from './define.js';

export const rosterGet = command({
  name: 'roster.get', result: R.roster, summary: "a user's roster", scope: 'rosters:read', needs: 'running',
  args: z.object({ jid: jidArg }), positional: ['jid'],
  http: { method: 'GET', path: '/users/{jid}/roster' },
  async run(env, a) {
    const u = user(env, a.jid);
    const roster = service(env, u.domain, 'roster', 'roster');
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    const items = [...(await roster.items(u.local)).values()].map((i) => ({
      jid: i.jid, ...(i.name ? { name: i.name } : {}), groups: i.groups, subscription: i.subscription, ask: i.ask,
    }));
    return { jid: u.bare, items };
  },
  format: (r) => r.items.map((i) => `${i.jid}${i.name ? ` "${i.name}"` : ''} [${i.subscription}]${i.groups.length ? ` (${i.groups.join(', ')})` : ''}`).join('\n') || 'empty roster',
});

export const rosterAdd = command({
  name: 'roster.add', result: R.rosterAdded, summary: "add or update a contact in a user's roster (pushed to the user's sessions)", scope: 'rosters:write', needs: 'running',
  args: z.object({
    jid: jidArg,
    contact: z.string().min(1).max(3071).describe("the contact's bare JID"),
    name: z.string().max(1023).optional().describe('display name'),
    groups: z.array(z.string().min(1).max(1023)).max(100).default([]).describe('roster groups'),
    subscription: z.enum(['none', 'to', 'from', 'both']).optional().describe('subscription state to set (default: keep, or none)'),
  }),
  positional: ['jid', 'contact'],
  http: { method: 'POST', path: '/users/{jid}/roster' },
  async run(env, a) {
    const u = user(env, a.jid);
    const roster = service(env, u.domain, 'roster', 'roster');
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    let contact: string;
    try {
      const c = parseJid(a.contact);
      if (c.resource) throw new Error('a roster item is a bare JID');
      contact = c.bare();
    } catch (err) {
      throw new CommandError('invalid-argument', `"${a.contact}" is not a valid contact: ${(err as Error).message}`);
    }
    if (contact === u.bare) throw new CommandError('invalid-argument', 'a user cannot be in their own roster');
    const { item } = await roster.update(u.local, contact, (cur) => ({
      jid: contact,
      ...(a.name !== undefined ? { name: a.name } : cur?.name !== undefined ? { name: cur.name } : {}),
      groups: [...new Set(a.groups)],
      subscription: a.subscription ?? cur?.subscription ?? 'none',
      ask: cur?.ask ?? false,
      approved: cur?.approved ?? false,
      pendingIn: cur?.pendingIn ?? false,
      hidden: false,
      ...(cur?.request ? { request: cur.request } : {}),
    }));
    return { jid: u.bare, item: item ? { jid: item.jid, name: item.name, groups: item.groups, subscription: item.subscription } : null };
  },
  format: (r) => `roster of ${r.jid}: ${r.item?.jid} [${r.item?.subscription}]`,
});

export const vcardGet = command({
  name: 'vcard.get', result: R.vcard, summary: "a user's vCard (XEP-0054): the XML and its main fields", scope: 'vcards:read', needs: 'running',
  args: z.object({ jid: jidArg }), positional: ['jid'],
  http: { method: 'GET', path: '/users/{jid}/vcard' },
  async run(env, a) {
    const u = user(env, a.jid);
    const vcard = service(env, u.domain, 'vcard', 'vcard');
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    const xml = await vcard.get(u.local);
    const s = await vcard.summary(u.local);
    return {
      jid: u.bare,
      vcard: xml ? xml.toString() : null,
      fields: s ? { fn: s.fn, nickname: s.nickname, given: s.given, family: s.family, email: s.email, photoHash: s.photoHash } : null,
    };
  },
  format: (r) => r.vcard ?? `${r.jid} has no vCard`,
});
