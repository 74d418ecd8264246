// XEP-0363 §4 slot requests: checks (size, type, filename, quota) and the signed, expiring PUT URLs.
// Slots live in memory: one that is not used within slotSeconds (or across a restart) is gone.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { el, StanzaError } from '../../src/api/index.js';
import { newFileId, type FileMeta } from './files.js';
import type { UploadOptions } from './options.js';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const MIME = /^[A-Za-z0-9!#$&^_.+-]{1,127}\/[A-Za-z0-9!#$&^_.+-]{1,127}$/;

export interface Slot {
  meta: FileMeta;
  expires: number;
}

export function tooLarge(max: number): StanzaError {
  return new StanzaError('not-acceptable', `File too large. The maximum file size is ${max} bytes`, 'modify',
    el('file-too-large', { xmlns: NS_UPLOAD }, el('max-file-size', null, String(max))));
}

/** A file name as shown in URLs: one path segment, printable, not '.' or '..'. */
export function checkFilename(name: string | undefined): string {
  const n = (name ?? '').normalize('NFC');
  // eslint-disable-next-line no-control-regex
  if (n === '' || n.length > 255 || n === '.' || n === '..' || /[/\\\u0000-\u001f\u007f]/.test(n)) {
    throw new StanzaError('bad-request', 'the filename must be one path segment without control characters');
  }
  return n;
}

function typeAllowed(type: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const t = type.toLowerCase();
  return allowed.some((a) => (a.endsWith('/*') ? t.startsWith(a.slice(0, -1).toLowerCase()) : a.toLowerCase() === t));
}

export class Slots {
  #slots = new Map<string, Slot>();
  readonly #secret = randomBytes(32);

  constructor(private readonly o: UploadOptions) {}

  /** Validates a request and reserves a slot; `used` is the user's stored bytes. */
  create(owner: string, req: { filename?: string; size?: string; type?: string }, used: number): Slot {
    const name = checkFilename(req.filename);
    if (req.size === undefined || !/^[0-9]{1,15}$/.test(req.size) || Number(req.size) < 1) throw new StanzaError('bad-request', 'size must be a positive number of bytes');
    const size = Number(req.size);
    if (size > this.o.maxFileBytes) throw tooLarge(this.o.maxFileBytes);
    const type = req.type?.trim() || 'application/octet-stream';
    if (!MIME.test(type)) throw new StanzaError('bad-request', 'content-type is not a MIME type');
    if (!typeAllowed(type, this.o.allowedTypes)) throw new StanzaError('not-acceptable', `files of type ${type} are not accepted here`);
    this.sweep();
    const pending = [...this.#slots.values()].filter((s) => s.meta.owner === owner);
    if (pending.length >= this.o.maxPendingSlots) throw new StanzaError('resource-constraint', 'too many unused upload slots; use or let some expire first', 'wait');
    const reserved = pending.reduce((n, s) => n + s.meta.size, 0);
    if (used + reserved + size > this.o.quotaBytes) {
      throw new StanzaError('resource-constraint', `Quota reached: ${used + reserved} of ${this.o.quotaBytes} bytes are in use; files expire after ${this.o.expireSeconds} s`, 'wait');
    }
    const slot: Slot = { meta: { id: newFileId(), owner, name, type, size, at: 0 }, expires: Date.now() + this.o.slotSeconds * 1000 };
    this.#slots.set(slot.meta.id, slot);
    return slot;
  }

  signature(id: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${id}\n${expires}`).digest('base64url');
  }

  /** The slot a PUT may use: the signature must match and the slot must be unexpired and unused. */
  take(id: string, expiresParam: string | null, sig: string | null): Slot | 'expired' | null {
    const slot = this.#slots.get(id);
    if (!slot || !expiresParam || !sig || String(slot.expires) !== expiresParam) return null;
    const want = Buffer.from(this.signature(id, slot.expires));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    this.#slots.delete(id);
    if (slot.expires < Date.now()) return 'expired';
    return slot;
  }

  sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.#slots) if (s.expires < now) this.#slots.delete(id);
  }

  forgetOwner(owner: string): void {
    for (const [id, s] of this.#slots) if (s.meta.owner === owner) this.#slots.delete(id);
  }
}
