// The module's options (`modules.muc` in the config).
import { z } from 'zod';
import { roomConfigSchema } from './types.js';

const bareJid = z.string().min(3).max(3071).regex(/^[^/@\s]+@[^/@\s]+$/, 'a bare JID (user@domain)');
const roomName = z.string().min(1).max(1023).regex(/^[^\s"&'/:<>@]+$/, 'a room localpart');

const provisionedRoom = z.object({
  name: roomName,
  config: roomConfigSchema.partial().default({}),
  owners: z.array(bareJid).default([]),
  admins: z.array(bareJid).default([]),
  members: z.array(bareJid).default([]),
  outcasts: z.array(bareJid).default([]),
}).strict();

export const mucOptions = z.object({
  /** The service's domain; default conference.<host>. */
  domain: z.string().min(1).max(1023).optional(),
  /** The service's name in service discovery. */
  name: z.string().max(200).default('Chatrooms'),
  /** Who may create rooms: anyone (also remote users), local users, the service admins, or the creators list. */
  creation: z.enum(['anyone', 'local', 'admins', 'list']).default('local'),
  /** Bare JIDs allowed to create rooms when creation is 'list' (service admins always may). */
  creators: z.array(bareJid).default([]),
  /** Service admins: owners of every room. */
  admins: z.array(bareJid).default([]),
  /** New rooms stay locked until the owner configures them (XEP-0045 §10.1.1); false = instant rooms on join. */
  lockNewRooms: z.boolean().default(true),
  /** The configuration new rooms start with. */
  defaults: roomConfigSchema.partial().default({}),
  /** Rooms that exist from the start (created if missing; listed affiliations are granted at every start). */
  rooms: z.array(provisionedRoom).default([]),
  limits: z.object({
    /** Rooms on the service. */
    maxRooms: z.number().int().min(1).default(10_000),
    /** Rooms one user may own; creating one more is refused (service admins are exempt). */
    maxRoomsPerUser: z.number().int().min(1).default(50),
    /** Occupants per room, whatever the room's own maximum says. */
    maxOccupants: z.number().int().min(1).default(1000),
    /** Messages of history a room keeps (caps the room's historylength). */
    maxHistory: z.number().int().min(0).max(1000).default(100),
    /** Largest groupchat or private message body (bytes of UTF-8) an occupant may send. */
    maxMessageBytes: z.number().int().min(1).default(16 * 1024),
    /** Sustained messages per second per occupant, and the burst above it (token bucket). */
    messagesPerSecond: z.number().min(0.01).default(5),
    messageBurst: z.number().int().min(1).default(10),
  }).strict().prefault({}),
}).strict();

export type MucOptions = z.infer<typeof mucOptions>;
export type ProvisionedRoom = z.infer<typeof provisionedRoom>;
