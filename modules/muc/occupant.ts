// One occupant: a nick held by one bare JID, with one or more of that user's sessions (full JIDs) in the room.
import type { Element } from 'ltx';
import type { Role } from './types.js';
import { TokenBucket } from './rate.js';

export class Occupant {
  /** full JID -> the last presence that session sent to the room. */
  readonly sessions = new Map<string, Element>();
  readonly bucket: TokenBucket;

  constructor(
    public nick: string,
    readonly bare: string,
    public role: Role,
    /** XEP-0421: stable per (room, bare JID). */
    readonly occupantId: string,
    rate: { perSecond: number; burst: number },
  ) {
    this.bucket = new TokenBucket(rate.perSecond, rate.burst);
  }

  /** The session IQs go to, and whose presence others see: the one that joined first. */
  get primary(): string {
    return this.sessions.keys().next().value as string;
  }

  /** The presence others see: the newest presence of any session (the one that changed last). */
  presence: Element | null = null;
}
