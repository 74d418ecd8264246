// Options of the XEP-0363 HTTP upload service.
import { z } from 'zod';
import { httpPathSchema } from '../../src/api/index.js';

const MIME = /^[A-Za-z0-9!#$&^_.+-]+\/(\*|[A-Za-z0-9!#$&^_.+-]+)$/;

export const uploadOptions = z.object({
  /** The upload component's address (a subdomain of the host): default upload.<host>. */
  domain: z.string().min(1).max(1023).optional(),
  /** Scheme, host and port clients use to reach the HTTP listener (no trailing slash); default https://<host>:5281. */
  publicUrl: z.string().url().refine((u) => !u.endsWith('/'), 'no trailing slash').optional(),
  /** URL path of uploads and downloads on the HTTP listener. */
  path: httpPathSchema.default('/upload'),
  /** Largest file, in bytes. */
  maxFileBytes: z.number().int().positive().default(10 * 1024 * 1024),
  /** Bytes one user may keep stored at a time (files count until they expire). */
  quotaBytes: z.number().int().positive().default(100 * 1024 * 1024),
  /** How long a slot's PUT URL stays valid. */
  slotSeconds: z.number().positive().max(86_400).default(300),
  /** Files are deleted this long after upload. */
  expireSeconds: z.number().positive().default(7 * 86_400),
  /** Allowed content types ('image/*' wildcards); empty allows any well-formed type. */
  allowedTypes: z.array(z.string().regex(MIME)).default([]),
  /** Slots handed out but not used yet, per user. */
  maxPendingSlots: z.number().int().positive().default(20),
}).strict();

export type UploadOptions = z.infer<typeof uploadOptions>;
