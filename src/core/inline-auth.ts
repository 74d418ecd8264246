// The extension point for authentication protocols that wrap SASL differently from RFC 6120 (XEP-0388 SASL2 with
// XEP-0386 Bind2 and XEP-0484 FAST): the c2s stream lends them its mechanisms, login throttle, failure counting
// and resource binding, so that a module can frame the exchange without the core knowing the XEP. Handed to
// modules in the pre-auth 'stream-features' event and the 'pre-auth-element' event.
import type { Element } from 'ltx';
import type { Jid } from '../jid.js';
import type { ClientSession } from './session.js';
import type { StanzaError } from './errors.js';
import type { ChannelBindingType, SaslFailureCondition, SaslMechanism, SaslMechanismFactory } from '../auth/types.js';

export type InlineAuthRefusal = { ok: false; condition: SaslFailureCondition; text?: string };

export interface InlineAuth {
  /** Names of the SASL mechanisms offered on this connection now. */
  readonly mechanisms: readonly string[];
  /** XEP-0440 channel-binding types this connection supports. */
  readonly channelBindingTypes: readonly ChannelBindingType[];
  /**
   * Starts an exchange: with an offered mechanism by name, or with `factory` (a mechanism the caller brings, such
   * as FAST's). `offered` is what the caller showed the client (for XEP-0474); by default `mechanisms`.
   * Refused while the client's address is locked by the login throttle.
   */
  start(name: string, opts?: { factory?: SaslMechanismFactory; offered?: readonly string[] }): { ok: true; mechanism: SaslMechanism } | InlineAuthRefusal;
  /**
   * The mechanism succeeded for `username`: checks the account lock, records the success and makes the session
   * authenticated (without a stream restart; it then waits for a resource). Returns the account's localpart.
   */
  succeed(username: string, mechanism: string): Promise<{ ok: true; username: string } | InlineAuthRefusal>;
  /**
   * The mechanism failed: counts the failure and waits the throttle's delay like RFC 6120 SASL, then calls `report`
   * with the condition to send (temporary-auth-failure once locked) unless the stream closed meanwhile, and closes
   * the stream after too many failures.
   */
  fail(mechanism: string, condition: SaslFailureCondition, text: string | undefined, username: string | undefined,
    report: (condition: SaslFailureCondition, text?: string) => void): Promise<void>;
  /**
   * Binds a resource ('' for a random one; RFC 6120 §7 rules, the conflict policy and the session limit) after succeed(). `announce()` fires resource-bind:
   * call it once the client has been told (so nothing reaches it before the answer that names its JID).
   */
  bind(resource: string): { ok: true; jid: Jid; announce(): void | Promise<void> } | { ok: false; error: StanzaError };
  /**
   * An opaque value that changes whenever the account's credentials change (a password change), or null for an
   * unknown or disabled account: tokens issued under one stamp stop working under another.
   */
  accountStamp(username: string): Promise<string | null>;
  /** Abandons an exchange in progress (the client aborted); authentication may start again. */
  abort(): void;
  /** Sends the post-authentication stream features (a client that did not bind inline binds the RFC 6120 way). */
  sendFeatures(): void | Promise<void>;
}

export interface PreAuthElementEvent {
  session: ClientSession;
  /** A top-level element in a namespace the core does not handle, before authentication. */
  element: Element;
  auth: InlineAuth;
}
