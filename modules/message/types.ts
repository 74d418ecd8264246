// The event the message module fires when a message cannot be delivered to any resource, so that
// offline storage (or push, or forwarding) can take it without importing the message module.
import type { StanzaEvent } from '../../src/api/index.js';

declare module '../../src/core/hookmap.js' {
  interface HookMap {
    /**
     * A chat or normal message for an existing local account that no resource can take now (no available
     * resource with a non-negative priority; RFC 6121 §8.5.2.1.1, §8.5.2.2.1, §8.5.3.2.1). `to` is the
     * account's bare JID (the stanza keeps the address it was sent to). A handler returning true has taken
     * responsibility for the message (stored it, or answered the sender itself); when none does, the
     * sender gets <service-unavailable/>.
     */
    'message/offline': StanzaEvent;
  }
}

export type OfflineMessageEvent = StanzaEvent;
