// SASL PLAIN (RFC 4616), offered only on encrypted connections.
//
// message = [authzid] NUL authcid NUL passwd. The password is checked against the stored SCRAM keys with one async
// PBKDF2 (libuv pool). Unknown users run the same PBKDF2 over fake credentials, so the failure — condition, text
// and timing — is the same as for a wrong password.
import { authzidMatches, fakeCredentials, localpartOf, saslprepQuery, verifyPassword } from './credentials.js';
import { DEFAULT_FAKE_ITERATIONS } from './scram.js';
import type {
  ChannelBinding, SaslContext, SaslFailureCondition, SaslMechanism, SaslMechanismFactory, SaslStep,
} from './types.js';

/** Largest PLAIN message accepted, in bytes (RFC 4616 requires at least 255 bytes per field). */
export const PLAIN_MAX_MESSAGE_BYTES = 4096;

export interface PlainOptions {
  /** Iteration count of the fake PBKDF2 run for unknown users; set it to the configured `scramIterations`. */
  fakeIterations?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function failure(condition: SaslFailureCondition, text?: string, username?: string): SaslStep {
  const f: { kind: 'failure'; condition: SaslFailureCondition; text?: string; username?: string } = { kind: 'failure', condition };
  if (text !== undefined) f.text = text;
  if (username !== undefined) f.username = username;
  return f;
}

class PlainServer implements SaslMechanism {
  readonly name = 'PLAIN';
  #state: 'start' | 'waiting' | 'done' = 'start';
  #busy = false;

  constructor(private readonly ctx: SaslContext, private readonly opts: PlainOptions) {}

  async step(data: Buffer): Promise<SaslStep> {
    if (this.#busy || this.#state === 'done') {
      this.#state = 'done';
      return failure('malformed-request', 'the PLAIN exchange is over');
    }
    if (data.length === 0 && this.#state === 'start') {
      // No initial response: ask for it once with an empty challenge (RFC 6120 §6.4.2).
      this.#state = 'waiting';
      return { kind: 'challenge', data: Buffer.alloc(0) };
    }
    this.#busy = true;
    try {
      return await this.#check(data);
    } catch {
      return failure('temporary-auth-failure');   // storage trouble during lookup
    } finally {
      this.#busy = false;
      this.#state = 'done';
    }
  }

  async #check(data: Buffer): Promise<SaslStep> {
    if (data.length > PLAIN_MAX_MESSAGE_BYTES) return failure('malformed-request', 'PLAIN message too long');
    let msg: string;
    try {
      msg = utf8.decode(data);
    } catch {
      return failure('malformed-request', 'PLAIN message is not UTF-8');
    }
    const parts = msg.split('\u0000');
    if (parts.length !== 3) return failure('malformed-request', 'PLAIN message must be authzid NUL authcid NUL passwd');
    const [authzid, authcid, password] = parts as [string, string, string];
    if (authcid.length === 0 || password.length === 0) return failure('malformed-request', 'empty authcid or password');

    const prepped = saslprepQuery(authcid);
    if (prepped === null) return failure('malformed-request', 'username refused by SASLprep');
    const localpart = localpartOf(prepped);
    const username = localpart ?? prepped;

    if (authzid.length > 0 && (localpart === null || !authzidMatches(authzid, localpart, this.ctx.host))) {
      return failure('invalid-authzid', 'authzid must be your own bare JID', username);
    }

    const creds = localpart === null ? null : await this.ctx.lookup(localpart);
    if (creds === null) {
      const fake = fakeCredentials(this.ctx.secret, username, this.opts.fakeIterations ?? DEFAULT_FAKE_ITERATIONS);
      await verifyPassword(fake, password);
      return failure('not-authorized', undefined, username);
    }
    if (!(await verifyPassword(creds, password))) return failure('not-authorized', undefined, username);
    return { kind: 'success', username: localpart! };
  }
}

export class PlainMechanismFactory implements SaslMechanismFactory {
  readonly name = 'PLAIN';

  constructor(private readonly opts: PlainOptions = {}) {}

  /** Only over TLS: PLAIN sends the password itself. */
  available(ctx: { secure: boolean; channelBinding: ChannelBinding }): boolean {
    return ctx.secure;
  }

  create(ctx: SaslContext): SaslMechanism {
    return new PlainServer(ctx, this.opts);
  }
}
