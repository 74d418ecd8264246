// What the vcard module offers other modules (search, later XEP-0398 avatar conversion).
import type { Element } from 'ltx';

/** The directory fields of a stored vCard (what a user search matches on). Empty strings when absent. */
export interface VcardSummary {
  given: string;      // N/GIVEN
  family: string;     // N/FAMILY
  nickname: string;   // NICKNAME
  fn: string;         // FN
  email: string;      // first EMAIL/USERID
  /** The vCard says <CLASS><PUBLIC/></CLASS>: the owner wants it listed in directories. */
  public: boolean;
  /** XEP-0153: lower-case hex SHA-1 of the PHOTO BINVAL image, or null when there is no photo. */
  photoHash: string | null;
}

export interface VcardService {
  /** The stored vCard (a standalone <vCard xmlns='vcard-temp'/>), or null. */
  get(user: string): Promise<Element | null>;
  summary(user: string): Promise<VcardSummary | null>;
  /** Users of this host that have a stored vCard, sorted. */
  users(): Promise<string[]>;
}

export interface VcardUpdatedEvent {
  username: string;
  /** null when the vCard was removed (an empty vCard was set). */
  summary: VcardSummary | null;
  photoChanged: boolean;
}

declare module '../../src/api/index.js' {
  interface Services {
    vcard: VcardService;
  }
}

declare module '../../src/core/hookmap.js' {
  interface HookMap {
    /** A user's vCard was stored or removed (fired after the store has it). */
    'vcard-updated': VcardUpdatedEvent;
  }
}
