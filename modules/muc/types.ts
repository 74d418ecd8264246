// The data model of a room: affiliations (long-lived, by bare JID) and roles (per visit, per occupant).
import { z } from 'zod';

export const AFFILIATIONS = ['owner', 'admin', 'member', 'none', 'outcast'] as const;
export type Affiliation = (typeof AFFILIATIONS)[number];
export const ROLES = ['moderator', 'participant', 'visitor', 'none'] as const;
export type Role = (typeof ROLES)[number];

export const isAffiliation = (s: string | undefined): s is Affiliation => (AFFILIATIONS as readonly string[]).includes(s ?? '');
export const isRole = (s: string | undefined): s is Role => (ROLES as readonly string[]).includes(s ?? '');

/** The room configuration (muc#roomconfig), as stored and as accepted for pre-provisioned rooms. */
export const roomConfigSchema = z.object({
  name: z.string().max(200).default(''),
  description: z.string().max(2000).default(''),
  language: z.string().max(35).default(''),
  persistent: z.boolean().default(false),
  public: z.boolean().default(true),
  membersOnly: z.boolean().default(false),
  moderated: z.boolean().default(false),
  /** Who may see occupants' real JIDs: 'moderators' (semi-anonymous) or 'anyone' (non-anonymous). */
  whois: z.enum(['moderators', 'anyone']).default('moderators'),
  password: z.string().max(200).default(''),
  /** Occupants at most (0 = no own maximum); the service's limits.maxOccupants caps it. */
  maxUsers: z.number().int().min(0).default(0),
  /** Whether participants (not only moderators) may change the subject. */
  changeSubject: z.boolean().default(false),
  /** Whether occupants (not only admins and owners) may invite others. */
  allowInvites: z.boolean().default(false),
  /** Who may send private messages: everyone, participants and up, moderators only, or nobody. */
  allowPm: z.enum(['anyone', 'participants', 'moderators', 'none']).default('anyone'),
  /** Messages kept for history on join; the service's limits.maxHistory caps it. */
  historyLength: z.number().int().min(0).default(20),
  /** XEP-0313 archive of the room. */
  archive: z.boolean().default(false),
  /**
   * The room's own limits per occupant: largest body in bytes, sustained messages per second and the burst above
   * it. 0 means the service's limit; a value above the service's counts as the service's (Room.limits()).
   */
  maxMessageBytes: z.number().int().min(0).default(0),
  messagesPerSecond: z.number().min(0).default(0),
  messageBurst: z.number().int().min(0).default(0),
}).strict();

export type RoomConfig = z.infer<typeof roomConfigSchema>;

export interface Subject {
  text: string;
  /** The nick of whoever set it ('' for the room itself). */
  by: string;
  when: number;
}

/** What is persisted of a room. */
export interface RoomRecord {
  config: RoomConfig;
  /** bare JID -> affiliation (never 'none'). */
  affiliations: Record<string, Affiliation>;
  subject: Subject | null;
  createdAt: number;
  /** Still waiting for the owner's configuration (XEP-0045 §10.1.1 room locking). */
  locked?: boolean;
  /** Reserved nicknames (XEP-0045 §7.10): bare JID -> nick. */
  nicks?: Record<string, string>;
  /** The room's vcard-temp, serialised, and the SHA-1 of its photo. */
  vcard?: { xml: string; photoHash: string | null };
}
