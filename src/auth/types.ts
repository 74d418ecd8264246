// SASL contracts shared by the mechanisms, the credential store and the c2s stream.

export type ScramHash = 'SHA-1' | 'SHA-256';

export interface ScramCredential {
  salt: string;          // base64
  iterations: number;
  storedKey: string;     // base64
  serverKey: string;     // base64
}

/** Passwords are never stored: only SCRAM salted keys, for both hashes. */
export interface StoredCredentials {
  'SHA-1': ScramCredential;
  'SHA-256': ScramCredential;
}

/** RFC 6120 §6.5 failure conditions. */
export type SaslFailureCondition =
  | 'aborted' | 'account-disabled' | 'credentials-expired' | 'encryption-required'
  | 'incorrect-encoding' | 'invalid-authzid' | 'invalid-mechanism' | 'malformed-request'
  | 'mechanism-too-weak' | 'not-authorized' | 'temporary-auth-failure';

export type SaslStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; username: string; data?: Buffer }   // username = prepped localpart
  | { kind: 'failure'; condition: SaslFailureCondition; text?: string; username?: string };

export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point' | 'tls-unique';

/** What the transport can say about channel binding for this connection. */
export interface ChannelBinding {
  /** Types available on this connection (empty when not on TLS). */
  readonly types: ChannelBindingType[];
  /** The binding data for a type, or null if unavailable. */
  data(type: ChannelBindingType): Buffer | null;
}

export interface SaslContext {
  host: string;
  /** Credentials of a local user (username already SASLprepped + nodeprepped), null if unknown or disabled. */
  lookup(username: string): Promise<StoredCredentials | null>;
  channelBinding: ChannelBinding;
  /** A per-server secret used to fake salts for unknown users (no enumeration). */
  secret: Buffer;
  /** XEP-0474: what was offered to the client (mechanism names; XEP-0440 channel-binding types, or null when none
   *  were announced), so SCRAM can prove it in its first message and a client can detect a downgrade. */
  offered?: { mechanisms: readonly string[]; channelBindings: readonly string[] | null };
}

export interface SaslMechanism {
  readonly name: string;
  /** Feed the initial response (possibly empty) and then each client response. */
  step(data: Buffer): Promise<SaslStep>;
}

export interface SaslMechanismFactory {
  readonly name: string;
  /** Whether the mechanism may be offered on this connection (e.g. PLAIN only over TLS, -PLUS only with CB). */
  available(ctx: { secure: boolean; channelBinding: ChannelBinding }): boolean;
  create(ctx: SaslContext): SaslMechanism;
}
