// What the rest of the server (and modules) may see of a client session.
import type { Element } from 'ltx';
import type { Jid } from '../jid.js';
import type { Logger } from '../log.js';
import type { StreamError } from './errors.js';

export type C2SState =
  | 'wait-stream'     // waiting for the client's stream header (initial, or after a restart)
  | 'wait-starttls'   // header answered; encryption required and not yet on
  | 'wait-auth'       // TLS on (or not required); SASL not started
  | 'sasl'            // a SASL exchange is in progress
  | 'wait-bind'       // authenticated; no resource yet
  | 'established'     // bound: stanzas are routed
  | 'closing'         // our </stream:stream> is sent, waiting for the peer's
  | 'closed';

export interface ClientSession {
  readonly kind: 'c2s';
  readonly id: string;
  /** The virtual host this session is on (the stream's `to`), once the first header arrived. */
  readonly host: string;
  readonly ip: string;
  readonly secure: boolean;
  /** The authenticated localpart, after SASL. */
  readonly username: string | null;
  /** The full JID, after resource binding. */
  readonly jid: Jid | null;
  readonly state: C2SState;
  readonly log: Logger;
  /** Per-module state for this session; key by module name to avoid clashes. */
  readonly data: Map<string, unknown>;
  /** Presence priority (RFC 6121 §4.7.2.3), maintained by the presence module; 0 until then. */
  priority: number;
  /** Last available presence the client broadcast, maintained by the presence module. */
  presence: Element | null;
  /** Queues a stanza (or stream-level element) for the client. Silently ignored once the session closed. */
  send(stanza: Element): void;
  /** Ends the stream, with a stream error if given. */
  close(error?: StreamError): void;
}
