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

  // ---- extension points for session-level XEPs (stream management, CSI, push); see OutputFilter ----

  /** True while the session has no connection: it stays bound and keeps taking stanzas (XEP-0198 hibernation). */
  readonly detached: boolean;
  /** Puts a filter on everything send() passes to the wire; filters run in rank order (lower first). Ranks are unique per session. */
  addOutputFilter(filter: OutputFilter): OutputFilterHandle;
  /** Called with each stanza the client sends once bound, before it is processed (e.g. to count handled stanzas). */
  addInputObserver(fn: (stanza: Element) => void): () => void;
  /**
   * Decides what happens when the connection is lost without a closing handshake (or idles out): a handler that
   * returns true keeps the session bound and detached, to be ended later with close() or revived with adopt().
   */
  setDetachHandler(fn: ((reason: string) => boolean) | null): void;
  /**
   * Moves another session's connection into this bound one (resumption): `other` must be authenticated for the same
   * account and host and not bound. It ends silently; its stream and any elements it had not yet processed continue
   * here. A connection this session still had is dropped. Throws when either session is not in a state to do this.
   */
  adopt(other: ClientSession): void;
}

/** One step between send() and the wire. It passes elements on with next() (now, later, or never). */
export interface OutputFilter {
  /** Position in the chain: lower runs first (closer to send()), higher is closer to the wire. */
  readonly rank: number;
  write(el: Element, next: (el: Element) => void): void;
  /** Hands on anything held back; called before the session detaches or its stream closes. */
  flush?(next: (el: Element) => void): void;
}

export interface OutputFilterHandle {
  /** Sends an element from this filter's position: through the filters after it, then to the wire. */
  pass(el: Element): void;
  remove(): void;
}
