// The blocking service other modules may use (offline storage, MAM, MUC invitations, ...).
import type { Jid } from '../../src/jid.js';

export interface BlockingService {
  /** Whether `user` (a localpart of this host) has blocked `jid` (XEP-0191 §6 matching). */
  isBlocked(user: string, jid: Jid): Promise<boolean>;
  /** The user's blocklist items (prepared JIDs), sorted. */
  list(user: string): Promise<string[]>;
}

declare module '../../src/api/index.js' {
  interface Services {
    blocking: BlockingService;
  }
}
