// history.*: pages of a user's message archive (XEP-0313, written by the mam module) or a room's (written by the muc
// module), read through the storage contract (ArchiveStore.find), so they work offline against the database too.
// The store names are those the two modules open: ctx.openStore('', 'archive') in mam -> 'mam';
// ctx.openStore('archive', 'archive') in muc -> 'muc_archive' (owner: the room's localpart).
import { z } from 'zod';
import { parseJid } from '../../jid.js';
import type { ArchiveQuery } from '../../storage/types.js';
import { CommandError } from '../errors.js';
import type { CommandEnv } from '../types.js';
import { assertAccount, command, jidArg, user } from './define.js';

const USER_ARCHIVE = 'mam';
const ROOM_ARCHIVE = 'muc_archive';

const pageArgs = {
  with: z.string().max(3071).optional().describe('only messages with this bare JID'),
  start: z.string().datetime({ offset: true }).optional().describe('from this time (ISO 8601)'),
  end: z.string().datetime({ offset: true }).optional().describe('until this time (ISO 8601)'),
  before: z.string().max(200).optional().describe('the page before this item id (default: the newest page)'),
  after: z.string().max(200).optional().describe('the page after this item id'),
  limit: z.number().int().min(1).max(250).default(50).describe('items per page'),
};

const itemSchema = z.object({ id: z.string(), when: z.string(), with: z.string(), kind: z.string(), xml: z.string() });
const pageSchema = z.object({
  archive: z.string(),
  items: z.array(itemSchema),
  first: z.string().nullable(),
  last: z.string().nullable(),
  complete: z.boolean(),
  total: z.number().int(),
});

type PageArgs = { with?: string; start?: string; end?: string; before?: string; after?: string; limit: number };

async function page(env: CommandEnv, host: string, store: string, owner: string, archive: string, a: PageArgs) {
  if (a.before !== undefined && a.after !== undefined) throw new CommandError('invalid-argument', 'give before or after, not both');
  const q: ArchiveQuery = { limit: a.limit, total: true };
  if (a.with !== undefined) {
    try {
      q.with = parseJid(a.with).bare();
    } catch (err) {
      throw new CommandError('invalid-argument', `"${a.with}" is not a valid JID: ${(err as Error).message}`);
    }
  }
  if (a.start) q.start = Date.parse(a.start);
  if (a.end) q.end = Date.parse(a.end);
  if (a.after !== undefined) q.after = a.after;
  else {
    q.reverse = true;
    if (a.before) q.before = a.before;
  }
  let res;
  try {
    res = await env.storage.open(host, store, 'archive').find(owner, q);
  } catch (err) {
    if ((err as { code?: string }).code === 'item-not-found') throw new CommandError('not-found', `no item ${a.after ?? a.before} in ${archive}`);
    throw err;
  }
  const items = res.items.map((i) => ({ id: i.id, when: new Date(i.when).toISOString(), with: i.with, kind: i.kind, xml: i.xml }));
  return { archive, items, first: items[0]?.id ?? null, last: items[items.length - 1]?.id ?? null, complete: res.complete, total: res.total ?? items.length };
}

function formatPage(r: z.infer<typeof pageSchema>): string {
  const lines = r.items.map((i) => `${i.when}  ${i.with}  ${i.xml}`);
  lines.push(`${r.items.length} of ${r.total} in ${r.archive}${r.complete ? '' : ` (more: --before ${r.first})`}`);
  return lines.join('\n');
}

export const historyUser = command({
  name: 'history.user', summary: "a page of a user's message archive (XEP-0313), newest first page by default", scope: 'history:read', needs: 'any',
  args: z.object({ jid: jidArg, ...pageArgs }), positional: ['jid'],
  result: pageSchema,
  http: { method: 'GET', path: '/users/{jid}/history' },
  async run(env, a) {
    const u = user(env, a.jid);
    assertAccount((await env.storage.accounts.get(u.domain, u.local)) !== null, u.bare);
    return page(env, u.domain, USER_ARCHIVE, u.local, u.bare, a);
  },
  format: formatPage,
});

export const historyRoom = command({
  name: 'history.room', summary: "a page of a room's archive (rooms with archiving on), newest first page by default", scope: 'history:read', needs: 'any',
  args: z.object({ room: z.string().min(3).max(3071).describe('room JID, e.g. lobby@conference.example.com'), ...pageArgs }), positional: ['room'],
  result: pageSchema,
  http: { method: 'GET', path: '/rooms/{room}/history' },
  async run(env, a) {
    let jid;
    try {
      jid = parseJid(a.room);
    } catch (err) {
      throw new CommandError('invalid-argument', `"${a.room}" is not a valid JID: ${(err as Error).message}`);
    }
    if (!jid.local || jid.resource) throw new CommandError('invalid-argument', 'give the room\'s bare JID, e.g. lobby@conference.example.com');
    // The host whose muc module serves this domain: the domain's parent (conference.example.com -> example.com).
    const hosts = Object.keys(env.config.hosts);
    const host = hosts.find((h) => jid.domain.endsWith(`.${h}`)) ?? hosts.find((h) => h === jid.domain);
    if (!host) throw new CommandError('invalid-argument', `${jid.domain} is not a service of a host in the configuration`);
    return page(env, host, ROOM_ARCHIVE, jid.local, jid.bare(), a);
  },
  format: formatPage,
});
