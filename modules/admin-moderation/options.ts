// Options of the moderation module: the operator's content and rate policies for one host (set them per host under
// hosts.<host>.modules.moderation) and per room (rooms.<room JID>).
import { z } from 'zod';

const pattern = z.string().min(1).max(1000).refine((p) => {
  try {
    new RegExp(p, 'iu');
    return true;
  } catch {
    return false;
  }
}, { message: 'not a valid regular expression' });

export const filterSchema = z.object({
  /** Whole words refused (case-insensitive). */
  words: z.array(z.string().min(1).max(200)).default([]),
  /** Regular expressions (JavaScript syntax, matched case-insensitively) refused. */
  patterns: z.array(pattern).default([]),
  /** reject: the sender gets <policy-violation/> with `text`; drop: the message disappears silently. */
  action: z.enum(['reject', 'drop']).default('reject'),
  text: z.string().max(1000).default('the message was refused by the content policy'),
}).strict();

const bucket = z.object({
  /** Sustained rate and burst of stanzas. */
  stanzasPerSecond: z.number().positive().default(20),
  burstStanzas: z.number().int().positive().default(100),
  /** Sustained rate and burst of stanza bytes. */
  bytesPerSecond: z.number().int().positive().default(100_000),
  burstBytes: z.number().int().positive().default(1_000_000),
}).strict();

export const moderationOptions = z.object({
  /** Longest message body accepted, in characters; 0 for no limit. */
  maxBodyChars: z.number().int().min(0).default(20_000),
  /** The content filter for messages sent by this host's users. */
  filter: filterSchema.prefault({}),
  /** Content filters for messages to particular rooms, by room JID (in addition to the host's). */
  rooms: z.record(z.string().min(3), filterSchema.prefault({})).default({}),
  /** Token buckets per account (all its sessions) and per client IP address. */
  rateLimit: z.object({
    enabled: z.boolean().default(true),
    account: bucket.prefault({}),
    ip: bucket.prefault({ stanzasPerSecond: 50, burstStanzas: 250, bytesPerSecond: 250_000, burstBytes: 2_500_000 }),
  }).strict().prefault({}),
  /** open: in-band registration as the register module allows; closed: refused; invite: only with an invitation
   *  (XEP-0401 pre-authenticated registration, links from the invite.create command). */
  registration: z.enum(['open', 'closed', 'invite']).default('open'),
  /** XEP-0377: spam and abuse reports sent with blocking commands go to an admin queue (report.list). */
  reports: z.boolean().default(true),
  /** Message of the day from the configuration (motd.set overrides it until motd.clear). */
  motd: z.string().max(10_000).optional(),
}).strict();

export type ModerationOptions = z.infer<typeof moderationOptions>;
export type FilterOptions = z.infer<typeof filterSchema>;
