import { z } from 'zod';
import { httpPathSchema, originSchema } from '../../src/api/index.js';

export const websocketOptions = z.object({
  /** Where the endpoint listens on the HTTP listeners. */
  path: httpPathSchema.default('/xmpp-websocket'),
  /** Browser origins allowed to connect: [] = pages from the same host and port only; ['*'] = any web site. */
  origins: z.array(originSchema).default([]),
}).strict();

export type WebSocketOptions = z.infer<typeof websocketOptions>;
