// Result shapes of the core commands: they document the REST responses (OpenAPI) and are checked there in tests.
import { z } from 'zod';

export const jidResult = z.object({ jid: z.string() });
export const sessionInfo = z.object({
  jid: z.string(), ip: z.string(), secure: z.boolean(), state: z.string(), priority: z.number(), show: z.string().nullable(),
});
export const userSummary = z.object({ jid: z.string(), disabled: z.boolean(), createdAt: z.string(), online: z.number().int().optional() });
export const userList = z.object({ users: z.array(userSummary) });
export const userShow = z.object({ jid: z.string(), disabled: z.boolean(), createdAt: z.string(), sessions: z.array(sessionInfo).optional() });
export const userDisabled = z.object({ jid: z.string(), disabled: z.boolean(), closedSessions: z.number().int() });
export const sessions = z.object({ sessions: z.array(sessionInfo) });
export const sessionList = z.object({ connections: z.number().int(), sessions: z.array(sessionInfo) });
export const kicked = z.object({ jid: z.string(), closed: z.number().int() });
export const sent = z.object({ to: z.string(), from: z.string() });
export const announced = z.object({ sessions: z.number().int() });
export const listener = z.object({ service: z.string(), tls: z.string(), address: z.string(), port: z.number().int() });
export const status = z.object({
  version: z.string(), pid: z.number().int(), startedAt: z.string(), uptimeSeconds: z.number().int(),
  hosts: z.array(z.object({ host: z.string(), sessions: z.number().int() })),
  connections: z.number().int(), s2sConnections: z.number().int(), listeners: z.array(listener),
  memory: z.object({ rss: z.number(), heapUsed: z.number() }),
});
export const version = z.object({ version: z.string(), running: z.boolean() });
export const reload = z.object({ unloaded: z.array(z.string()), loaded: z.array(z.string()), certificates: z.array(z.string()), restartNeeded: z.array(z.string()) });
export const modules = z.object({ modules: z.array(z.object({ host: z.string(), name: z.string() })) });
export const certificates = z.object({ certificates: z.array(z.object({ host: z.string(), cert: z.string(), ok: z.boolean(), problems: z.array(z.string()) })) });
export const rosterItem = z.object({ jid: z.string(), name: z.string().optional(), groups: z.array(z.string()), subscription: z.enum(['none', 'to', 'from', 'both']), ask: z.boolean() });
export const roster = z.object({ jid: z.string(), items: z.array(rosterItem) });
export const rosterAdded = z.object({
  jid: z.string(),
  item: z.object({ jid: z.string(), name: z.string().optional(), groups: z.array(z.string()), subscription: z.string() }).nullable(),
});
export const vcard = z.object({
  jid: z.string(),
  vcard: z.string().nullable(),
  fields: z.object({ fn: z.string(), nickname: z.string(), given: z.string(), family: z.string(), email: z.string(), photoHash: z.string().nullable() }).nullable(),
});
