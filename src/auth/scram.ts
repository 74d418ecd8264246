// Server side of SCRAM (RFC 5802) with SHA-1 and SHA-256 (RFC 7677), and the -PLUS variants with channel binding
// (RFC 5929 tls-server-end-point / tls-unique, RFC 9266 tls-exporter).
//
// The stream layer decodes the base64 of <auth>/<response> and hands us raw bytes; bad base64 is its business
// (`incorrect-encoding`). Here every client message is checked strictly; anything malformed ends the exchange with
// `malformed-request`, and step() never throws. A login costs no PBKDF2 on the server: only a few HMACs and hashes
// over the stored keys.
//
// Unknown users get a fake challenge (a stable salt derived from the server secret and the name, the usual
// iteration count) and fail at the proof with `not-authorized`, exactly like a wrong password.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  authzidMatches, decodeCredential, digest, fakeCredential, hashLength, hmac, localpartOf, saslprepQuery,
} from './credentials.js';
import type {
  ChannelBinding, ChannelBindingType, SaslContext, SaslFailureCondition, SaslMechanism, SaslMechanismFactory,
  SaslStep, ScramHash,
} from './types.js';

/** Largest client message accepted (client-first or client-final), in bytes. */
export const SCRAM_MAX_MESSAGE_BYTES = 4096;
/** Random bytes in the server's part of the nonce (RFC 5802 asks for a fresh, unpredictable value). */
export const SCRAM_NONCE_BYTES = 24;
/** Iteration count shown to unknown users unless configured (matches the config default `scramIterations`). */
export const DEFAULT_FAKE_ITERATIONS = 10_000;

export interface ScramOptions {
  /** Iteration count shown in fake challenges for unknown users; set it to the configured `scramIterations`. */
  fakeIterations?: number;
  /** Test hook: returns the server's part of the nonce (printable ASCII without ','). Never set it in production. */
  serverNonce?: () => string;
}

/** Channel-binding types a -PLUS mechanism is offered for (tls-unique alone is not enough: RFC 9266 §3). */
export function scramPlusAvailable(cb: ChannelBinding): boolean {
  return cb.types.includes('tls-exporter') || cb.types.includes('tls-server-end-point');
}

const KNOWN_CB_TYPES: readonly ChannelBindingType[] = ['tls-exporter', 'tls-server-end-point', 'tls-unique'];

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 text of a client message; null if too long, not UTF-8, or containing NUL. */
function decodeMessage(data: Buffer): string | null {
  if (data.length > SCRAM_MAX_MESSAGE_BYTES) return null;
  let s: string;
  try {
    s = utf8.decode(data);
  } catch {
    return null;
  }
  return s.includes('\u0000') ? null : s;
}

/** RFC 5802 saslname: '=' only as "=2C" (',') or "=3D" ('='); no ','. Null if malformed or empty. */
function decodeSaslname(s: string): string | null {
  if (s.length === 0 || s.includes(',') || /=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C|=3D/g, (m) => (m === '=2C' ? ',' : '='));
}

const NONCE_RE = /^[\x21-\x2b\x2d-\x7e]+$/;          // printable ASCII except ','
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const EXTENSION_RE = /^[A-Za-z]=[^,]*$/;
// gs2-header = gs2-cbind-flag "," [ authzid ] ","  with  gs2-cbind-flag = "p=" cb-name / "n" / "y"
const GS2_HEADER_RE = /^(?:(n|y)|p=([A-Za-z0-9.-]+)),(?:a=([^,]*))?,/;

function failure(condition: SaslFailureCondition, text?: string, username?: string): SaslStep {
  const f: { kind: 'failure'; condition: SaslFailureCondition; text?: string; username?: string } = { kind: 'failure', condition };
  if (text !== undefined) f.text = text;
  if (username !== undefined) f.username = username;
  return f;
}

interface Exchange {
  username: string;              // localpart (or the prepped name when it cannot be a localpart)
  gs2Header: string;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;                 // client nonce + server nonce
  cbData: Buffer;                // empty unless p=
  storedKey: Buffer;
  serverKey: Buffer;
  fake: boolean;
}

class ScramServer implements SaslMechanism {
  #state: 'start' | 'first-sent' | 'done' = 'start';
  #emptyRoundUsed = false;
  #busy = false;
  #ex: Exchange | null = null;

  constructor(
    readonly name: string,
    private readonly hash: ScramHash,
    private readonly plus: boolean,
    private readonly ctx: SaslContext,
    private readonly opts: ScramOptions,
  ) {}

  async step(data: Buffer): Promise<SaslStep> {
    if (this.#busy) {
      this.#state = 'done';
      return failure('malformed-request', 'response sent before the previous one was answered');
    }
    this.#busy = true;
    try {
      const result = await this.#step(data);
      if (result.kind !== 'challenge') {
        this.#state = 'done';
        this.#ex = null;
      }
      return result;
    } catch {
      // Only the account lookup can throw here (storage trouble): not the client's fault.
      this.#state = 'done';
      this.#ex = null;
      return failure('temporary-auth-failure');
    } finally {
      this.#busy = false;
    }
  }

  async #step(data: Buffer): Promise<SaslStep> {
    switch (this.#state) {
      case 'start':
        if (data.length === 0) {
          // <auth/> without an initial response: ask for it with an empty challenge (RFC 6120 §6.4.2), once.
          if (this.#emptyRoundUsed) return failure('malformed-request', 'empty client-first-message');
          this.#emptyRoundUsed = true;
          return { kind: 'challenge', data: Buffer.alloc(0) };
        }
        return this.#clientFirst(data);
      case 'first-sent':
        return this.#clientFinal(data);
      default:
        return failure('malformed-request', 'the SCRAM exchange is over');
    }
  }

  async #clientFirst(data: Buffer): Promise<SaslStep> {
    const msg = decodeMessage(data);
    if (msg === null) return failure('malformed-request', 'client-first-message is too long or not UTF-8');

    // --- syntax ---
    const gs2 = GS2_HEADER_RE.exec(msg);
    if (!gs2) return failure('malformed-request', 'bad GS2 header');
    const gs2Header = gs2[0];
    const flag = gs2[1] ?? 'p';
    const cbType = gs2[2];
    let authzid: string | undefined;
    if (gs2[3] !== undefined) {
      const a = decodeSaslname(gs2[3]);
      if (a === null) return failure('malformed-request', 'bad authzid');
      authzid = a;
    }
    const bare = msg.slice(gs2Header.length);
    const attrs = bare.split(',');
    if (attrs[0]?.startsWith('m=')) return failure('malformed-request', 'unsupported mandatory extension');
    if (attrs.length < 2 || !attrs[0]!.startsWith('n=') || !attrs[1]!.startsWith('r=')) {
      return failure('malformed-request', 'client-first-message must be n=...,r=...');
    }
    if (!attrs.slice(2).every((a) => EXTENSION_RE.test(a))) return failure('malformed-request', 'bad extension');
    const rawName = decodeSaslname(attrs[0]!.slice(2));
    if (rawName === null) return failure('malformed-request', 'bad username encoding');
    const clientNonce = attrs[1]!.slice(2);
    if (!NONCE_RE.test(clientNonce)) return failure('malformed-request', 'bad client nonce');

    const prepped = saslprepQuery(rawName);
    if (prepped === null) return failure('malformed-request', 'username refused by SASLprep');
    const localpart = localpartOf(prepped);
    const username = localpart ?? prepped;

    // --- channel binding policy ---
    let cbData: Buffer = Buffer.alloc(0);
    if (flag === 'p') {
      // A non-PLUS mechanism with p=: the client broke the protocol (RFC 5802 §6 and §7).
      if (!this.plus) return failure('malformed-request', 'channel binding requested with a non-PLUS mechanism', username);
      // A -PLUS mechanism with a binding type we cannot provide on this connection. RFC 5802 has the server answer
      // e=unsupported-channel-binding-type; the XMPP condition is `not-authorized` rather than `malformed-request`,
      // because the message is well-formed: the server cannot prove the client is bound to this channel, so it must
      // not authenticate it (and a client should not silently retry without binding, which would be a downgrade).
      // The answer depends only on the connection, never on the account, so nothing is learned about users.
      const type = KNOWN_CB_TYPES.find((t) => t === cbType);
      const bound = type !== undefined && this.ctx.channelBinding.types.includes(type)
        ? this.ctx.channelBinding.data(type) : null;
      if (bound === null || bound.length === 0) {
        return failure('not-authorized', `channel binding type not supported: ${cbType}`, username);
      }
      cbData = bound;
    } else if (this.plus) {
      return failure('malformed-request', `${this.name} requires a p= channel binding flag`, username);
    } else if (flag === 'y' && scramPlusAvailable(this.ctx.channelBinding)) {
      // The client can bind but believes we cannot, yet we offered -PLUS here: someone stripped it (RFC 5802 §6).
      return failure('not-authorized', 'channel binding downgrade detected', username);
    }

    if (authzid !== undefined && (localpart === null || !authzidMatches(authzid, localpart, this.ctx.host))) {
      return failure('invalid-authzid', 'authzid must be your own bare JID', username);
    }

    // --- credentials (real or fake) ---
    const creds = localpart === null ? null : await this.ctx.lookup(localpart);
    let cred = decodeCredential(creds?.[this.hash], this.hash);
    let fake = false;
    if (cred === null) {
      fake = true;
      const iterations = this.opts.fakeIterations ?? DEFAULT_FAKE_ITERATIONS;
      cred = decodeCredential(fakeCredential(this.ctx.secret, username, this.hash, iterations), this.hash)!;
    }

    const serverPart = this.opts.serverNonce ? this.opts.serverNonce() : randomBytes(SCRAM_NONCE_BYTES).toString('base64');
    const nonce = clientNonce + serverPart;
    let serverFirst = `r=${nonce},s=${cred.salt.toString('base64')},i=${cred.iterations}`;
    if (this.ctx.offered) serverFirst += `,d=${digest(this.hash, Buffer.from(downgradeString(this.ctx.offered), 'utf8')).toString('base64')}`;
    this.#ex = {
      username, gs2Header, clientFirstBare: bare, serverFirst, nonce, cbData,
      storedKey: cred.storedKey, serverKey: cred.serverKey, fake,
    };
    this.#state = 'first-sent';
    return { kind: 'challenge', data: Buffer.from(serverFirst, 'utf8') };
  }

  async #clientFinal(data: Buffer): Promise<SaslStep> {
    const ex = this.#ex!;
    const msg = decodeMessage(data);
    if (msg === null) return failure('malformed-request', 'client-final-message is too long or not UTF-8', ex.username);
    const at = msg.lastIndexOf(',p=');
    if (at < 0) return failure('malformed-request', 'client-final-message has no proof', ex.username);
    const withoutProof = msg.slice(0, at);
    const proofB64 = msg.slice(at + 3);
    const attrs = withoutProof.split(',');
    if (attrs.length < 2 || !attrs[0]!.startsWith('c=') || !attrs[1]!.startsWith('r=')) {
      return failure('malformed-request', 'client-final-message must be c=...,r=...,p=...', ex.username);
    }
    if (!attrs.slice(2).every((a) => EXTENSION_RE.test(a))) return failure('malformed-request', 'bad extension', ex.username);
    const len = hashLength(this.hash);
    if (!BASE64_RE.test(proofB64)) return failure('malformed-request', 'bad proof encoding', ex.username);
    const proof = Buffer.from(proofB64, 'base64');
    if (proof.length !== len) return failure('malformed-request', 'bad proof length', ex.username);
    if (proof.toString('base64') !== proofB64) return failure('malformed-request', 'non-canonical proof encoding', ex.username);

    if (attrs[1]!.slice(2) !== ex.nonce) return failure('not-authorized', 'nonce mismatch', ex.username);
    const expectedC = Buffer.from(Buffer.concat([Buffer.from(ex.gs2Header, 'utf8'), ex.cbData]).toString('base64'));
    const gotC = Buffer.from(attrs[0]!.slice(2), 'utf8');
    if (gotC.length !== expectedC.length || !timingSafeEqual(gotC, expectedC)) {
      return failure('not-authorized', 'channel binding mismatch', ex.username);
    }

    // ClientKey = ClientProof XOR ClientSignature; accept iff H(ClientKey) == StoredKey (RFC 5802 §3).
    const authMessage = `${ex.clientFirstBare},${ex.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.hash, ex.storedKey, authMessage);
    const clientKey = Buffer.alloc(len);
    for (let i = 0; i < len; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const match = timingSafeEqual(digest(this.hash, clientKey), ex.storedKey);
    if (!match || ex.fake) return failure('not-authorized', undefined, ex.username);

    const serverSignature = hmac(this.hash, ex.serverKey, authMessage);
    return { kind: 'success', username: ex.username, data: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8') };
  }
}

/**
 * XEP-0474 §3: the offered mechanism names sorted and joined by U+001E, then (when channel-binding types were
 * announced) U+001F and the sorted types joined by U+001E. Its hash travels as `d=` in the server-first-message.
 */
export function downgradeString(offered: { mechanisms: readonly string[]; channelBindings: readonly string[] | null }): string {
  const mechs = [...offered.mechanisms].sort().join('\u001e');
  return offered.channelBindings === null ? mechs : `${mechs}\u001f${[...offered.channelBindings].sort().join('\u001e')}`;
}

export class ScramMechanismFactory implements SaslMechanismFactory {
  readonly name: string;

  constructor(readonly hash: ScramHash, readonly plus: boolean, private readonly opts: ScramOptions = {}) {
    this.name = `SCRAM-${hash}${plus ? '-PLUS' : ''}`;
  }

  available(ctx: { secure: boolean; channelBinding: ChannelBinding }): boolean {
    return !this.plus || scramPlusAvailable(ctx.channelBinding);
  }

  create(ctx: SaslContext): SaslMechanism {
    return new ScramServer(this.name, this.hash, this.plus, ctx, this.opts);
  }
}

/** The four SCRAM factories in preference order (-PLUS first, SHA-256 before SHA-1). */
export function scramMechanisms(opts: ScramOptions = {}): ScramMechanismFactory[] {
  return [
    new ScramMechanismFactory('SHA-256', true, opts),
    new ScramMechanismFactory('SHA-1', true, opts),
    new ScramMechanismFactory('SHA-256', false, opts),
    new ScramMechanismFactory('SHA-1', false, opts),
  ];
}
