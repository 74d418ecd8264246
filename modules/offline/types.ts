// Events of the offline module, for modules that care when stored messages reach a client.
import type { SessionEvent } from '../../src/api/index.js';

declare module '../../src/core/hookmap.js' {
  interface HookMap {
    /** A delivery run for a session finished: `count` stored messages were written to it (possibly 0). */
    'offline/delivered': SessionEvent & { count: number };
  }
}

export type OfflineDeliveredEvent = SessionEvent & { count: number };
