import { z } from 'zod';

const absoluteUrl = (schemes: string[]) => z.string().refine((v) => {
  try {
    return schemes.includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, { message: `expected an absolute ${schemes.join(' or ')} URL` });

export const hostmetaOptions = z.object({
  /** The public base URL of the HTTP listener (e.g. https://xmpp.example.com behind a proxy); default: the scheme
   *  and Host of each request. */
  publicUrl: absoluteUrl(['http:', 'https:']).optional(),
  /** Full URLs to announce instead of the computed ones (e.g. endpoints on another domain). */
  websocketUrl: absoluteUrl(['ws:', 'wss:']).optional(),
  boshUrl: absoluteUrl(['http:', 'https:']).optional(),
}).strict();

export type HostmetaOptions = z.infer<typeof hostmetaOptions>;
