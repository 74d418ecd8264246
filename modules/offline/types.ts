// Events of the offline module, for modules that care when stored messages reach a client.
import type { SessionEvent } from '../../src/api/index.js';

/** What other modules (metrics) may read of offline storage. */
export interface OfflineService {
  /** Messages waiting in offline storage, all users of the host together. */
  queued(): Promise<number>;
}

declare module '../../src/api/index.js' {
  interface Services {
    offline: OfflineService;
  }
}

declare module '../../src/core/hookmap.js' {
  interface HookMap {
    /** A delivery run for a session finished: `count` stored messages were written to it (possibly 0). */
    'offline/delivered': SessionEvent & { count: number };
  }
}

export type OfflineDeliveredEvent = SessionEvent & { count: number };
