import { z } from 'zod';
import { httpPathSchema, originSchema } from '../../src/api/index.js';

const seconds = z.number().int().positive();

export const boshOptions = z.object({
  /** Where the endpoint listens on the HTTP listeners. */
  path: httpPathSchema.default('/http-bind'),
  /** Browser origins allowed to use it (CORS): [] = pages from the same host and port only; ['*'] = any web site. */
  origins: z.array(originSchema).default([]),
  /** Longest a request is held waiting for data: the client's 'wait' is capped to this (s). */
  maxWait: seconds.default(60),
  /** Most requests held at once: the client's 'hold' is capped to this. */
  maxHold: z.number().int().min(0).max(5).default(1),
  /** A session with no request for this long is dropped (s). */
  inactivity: seconds.default(60),
  /** Longest pause a client may ask for (XEP-0124 §12) (s). */
  maxPause: seconds.default(120),
  /** Largest request body; default: the c2s stanza limit plus 16 KiB for the <body/> wrapper. */
  maxBodyBytes: z.number().int().positive().optional(),
}).strict();

export type BoshModuleOptions = z.infer<typeof boshOptions>;
