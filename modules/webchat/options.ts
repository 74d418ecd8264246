import { z } from 'zod';
import { httpPathSchema } from '../../src/api/index.js';

export const webchatOptions = z.object({
  /** Where the page is served on the HTTP listeners. */
  path: httpPathSchema.refine((p) => p !== '/' && !p.endsWith('/'), 'expected a path without a trailing slash, such as /chat').default('/chat'),
  /** The page title. */
  title: z.string().min(1).max(200).default('Starling web chat'),
  /** Extra Converse.js settings (https://conversejs.org/docs/html/configuration.html), merged over Starling's. */
  converse: z.record(z.string(), z.unknown()).default({}),
}).strict();

export type WebchatOptions = z.infer<typeof webchatOptions>;
