// The core's events. Modules add their own events by declaration merging on HookMap in src/api.
import type { Element } from 'ltx';
import type { Jid } from '../jid.js';
import type { ClientSession } from './session.js';
import type { StanzaError } from './errors.js';
import type { InlineAuth, PreAuthElementEvent } from './inline-auth.js';

/** A stanza on its way somewhere. `reply(err)` answers the sender with an error (never for errors/results). */
export interface StanzaEvent {
  stanza: Element;
  /** The client session it came from, or null when the server or a module generated it. */
  origin: ClientSession | null;
  from: Jid;
  to: Jid;
  /** The host the event fires on: the sender's for pre-* events, the recipient's for delivery events. */
  host: string;
  reply(error: StanzaError): void;
}

export interface StreamFeaturesEvent {
  session: ClientSession;
  /** The <stream:features/> element being built: append children to offer features. */
  features: Element;
  /** Before SASL (pre-auth features such as in-band registration) or after (bind, SM, CSI, ...). */
  stage: 'pre-auth' | 'post-auth';
  /** Before authentication (when SASL is offered): the stream's authentication, for inline protocols (SASL2). */
  auth?: InlineAuth;
}

export interface StreamElementEvent {
  session: ClientSession;
  /** A top-level element that is not a stanza and not handled by the core (e.g. XEP-0198 <r/>). */
  element: Element;
}

/** An IQ from a client that has not authenticated yet (e.g. XEP-0077 registration); handlers answer with session.send. */
export interface PreAuthIqEvent {
  session: ClientSession;
  stanza: Element;
}

export interface SessionEvent {
  session: ClientSession;
}

export interface HookMap {
  'stream-features': StreamFeaturesEvent;
  'stream-element': StreamElementEvent;
  /** A non-stanza element before authentication in a namespace the core does not handle (e.g. XEP-0388 SASL2). */
  'pre-auth-element': PreAuthElementEvent;
  'pre-auth-iq': PreAuthIqEvent;
  'authentication-success': SessionEvent & { mechanism: string };
  'authentication-failure': SessionEvent & { mechanism: string; username?: string; condition: string };
  'resource-bind': SessionEvent;
  'resource-unbind': SessionEvent & { reason: string };
  /** A bound session ended, however (closed, timed out, detached and never resumed, replaced by a new binding of its resource). */
  'session-closed': SessionEvent & { reason: string };
  /** Every stanza a client sends, after validation and `from` stamping, on the sender's host. */
  'pre-stanza': StanzaEvent;
  'pre-message': StanzaEvent;
  'pre-presence': StanzaEvent;
  'pre-iq': StanzaEvent;
  'message/host': StanzaEvent;
  'message/bare': StanzaEvent;
  'message/full': StanzaEvent;
  'presence/host': StanzaEvent;
  'presence/bare': StanzaEvent;
  'presence/full': StanzaEvent;
  /** IQs to a full JID, before the default delivery to the session. */
  'iq/full': StanzaEvent;
  /** IQ gets/sets to an account's bare JID, before the IQ handlers run (policy such as blocking). */
  'iq/bare': StanzaEvent;
  /** Stanzas addressed to a domain we do not serve; s2s handles this. */
  'route/remote': StanzaEvent;
  /** An account was deleted while the server runs (its stored data is already purged). */
  'user-deleted': { username: string };
  /**
   * Presence lifecycle, fired by the presence module (RFC 6121 §4). They are declared here so that
   * independent modules (offline delivery, push, MUC) can rely on them without importing each other.
   */
  'presence-available': SessionEvent & { initial: boolean };
  'presence-unavailable': SessionEvent;
  'server-started': Record<string, never>;
  'server-stopping': { reason: string };
}
