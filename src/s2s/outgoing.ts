// An outgoing server-to-server stream (we are the initiating server) for one domain pair: our header, STARTTLS,
// then SASL EXTERNAL with our certificate, falling back to dialback (XEP-0220) when the peer refuses it. A 'verify'
// stream instead carries one db:verify to the authoritative server of a domain and ends.
import { Element } from 'ltx';
import { StreamError } from '../core/errors.js';
import { nameprep } from '../jid.js';
import { NS } from '../xml/ns.js';
import type { S2SEnv } from './env.js';
import { S2S_NS } from './ns.js';
import type { S2SSocket } from './socket.js';
import { XmlStream } from './stream.js';
import { certStatus } from './trust.js';

type MaybePromise = void | Promise<void>;

export type OutgoingMode =
  | { kind: 'stanzas' }
  | { kind: 'verify'; streamId: string; key: string };

type Phase = 'header' | 'features' | 'proceed' | 'sasl' | 'dialback' | 'verify' | 'ready' | 'done';

export class OutgoingStream extends XmlStream {
  readonly direction = 'out';
  #phase: Phase = 'header';
  #triedExternal = false;
  #peerStreamId = '';
  #peerOffersDialback = false;
  #settled = false;
  #ready: (how: string) => void = () => undefined;
  #failed: (reason: string) => void = () => undefined;
  #verified: (valid: boolean) => void = () => undefined;
  /** How the stream was authenticated, once ready. */
  auth: string | null = null;
  /** An XEP-0199 ping in flight (its id), for keepalives; pings sent and answered. */
  pingId: string | null = null;
  pings = 0;
  pongs = 0;
  /** When a stanza (not a keepalive) last went out, for the idle timeout. */
  lastStanza = Date.now();
  /** Local domains authenticated on this stream: ours first, more by dialback piggybacking (XEP-0220 §2.4). */
  readonly locals = new Set<string>();
  #piggyback = new Map<string, (valid: boolean) => void>();

  constructor(socket: S2SSocket, private readonly env: S2SEnv, readonly local: string, readonly remote: string, readonly mode: OutgoingMode) {
    super(socket, env.config.limits, env.log.child({ s2s: 'out', local, remote, mode: mode.kind }));
    this.onClose((reason) => this.#fail(`connection closed: ${reason}`));
  }

  /** Sends our header; `ready` when stanzas may flow, `failed` when the stream ended before that, `verified` with the
   *  answer of a verify stream. */
  start(cb: { ready?: (how: string) => void; failed?: (reason: string) => void; verified?: (valid: boolean) => void }): void {
    if (cb.ready) this.#ready = cb.ready;
    if (cb.failed) this.#failed = cb.failed;
    if (cb.verified) this.#verified = cb.verified;
    this.#sendHeader();
  }

  get ready(): boolean {
    return this.#phase === 'ready' && this.state === 'open';
  }

  protected headerAttrs(): Record<string, string> {
    const attrs: Record<string, string> = { xmlns: S2S_NS.SERVER, 'xmlns:stream': NS.STREAMS, from: this.local, to: this.remote, version: '1.0' };
    if (this.env.s2s.dialback) attrs['xmlns:db'] = S2S_NS.DIALBACK;
    return attrs;
  }

  #sendHeader(): void {
    this.writeHeader(this.headerAttrs());
    this.#phase = 'header';
  }

  #fail(reason: string): void {
    if (this.#settled) return;
    this.#settled = true;
    this.log.info({ reason }, 'outgoing s2s stream failed');
    this.#failed(reason);
  }

  #giveUp(reason: string, condition: 'policy-violation' | 'not-authorized' | 'undefined-condition' = 'undefined-condition'): void {
    this.#fail(reason);
    this.streamError(new StreamError(condition, reason));
  }

  protected onHeader(attrs: Record<string, string>): MaybePromise {
    if (this.#phase !== 'header') throw new StreamError('invalid-xml', 'unexpected stream header');
    if ((attrs.xmlns ?? '') !== S2S_NS.SERVER) throw new StreamError('invalid-namespace', `the default namespace must be ${S2S_NS.SERVER}`);
    if (attrs.from !== undefined) {
      let from = '';
      try {
        from = nameprep(attrs.from);
      } catch { /* checked below */ }
      if (from !== this.remote) throw new StreamError('invalid-from', `expected ${this.remote}, got ${attrs.from.slice(0, 100)}`);
    }
    this.#peerStreamId = attrs.id ?? '';
    this.#peerOffersDialback = attrs['xmlns:db'] === S2S_NS.DIALBACK;
    if (!/^1\.\d+$/.test(attrs.version ?? '')) throw new StreamError('unsupported-version', 'this server needs XMPP 1.0 streams');
    this.#phase = 'features';
  }

  protected onElement(el: Element): MaybePromise {
    const ns = el.attrs.xmlns;
    switch (this.#phase) {
      case 'features':
        if (el.name === 'stream:features' && ns === NS.STREAMS) return this.#onFeatures(el);
        break;
      case 'proceed':
        if (ns === NS.TLS && el.name === 'proceed') return this.#onProceed();
        if (ns === NS.TLS && el.name === 'failure') return this.#giveUp('the peer refused STARTTLS');
        break;
      case 'sasl':
        if (ns === NS.SASL && el.name === 'success') return this.#onSaslSuccess();
        if (ns === NS.SASL && el.name === 'failure') return this.#onSaslFailure(el);
        break;
      case 'dialback':
        if (ns === S2S_NS.DIALBACK && el.name === 'db:result') return this.#onDialbackResult(el);
        break;
      case 'verify':
        if (ns === S2S_NS.DIALBACK && el.name === 'db:verify') return this.#onVerifyAnswer(el);
        break;
      case 'ready':
        if (ns === S2S_NS.DIALBACK && el.name === 'db:result') return this.#onPiggybackResult(el);
        break;
      case 'done':
        // A verify stream: only late dialback answers are expected; everything else is a protocol error.
        if (ns === S2S_NS.DIALBACK) return;
        break;
      default:
        break;
    }
    throw new StreamError('unsupported-stanza-type', `<${el.name} xmlns='${ns ?? ''}'/> was not expected now`);
  }

  #onFeatures(features: Element): MaybePromise {
    const s2s = this.env.s2s;
    const starttls = features.getChild('starttls', NS.TLS);
    if (!this.socket.secure) {
      if (starttls) {
        this.write(new Element('starttls', { xmlns: NS.TLS }));
        this.#phase = 'proceed';
        return;
      }
      if (s2s.requireEncryption) return this.#giveUp(`${this.remote} does not offer STARTTLS`, 'policy-violation');
    } else {
      const status = certStatus(this.socket.peerTls(), this.remote);
      if (status !== 'valid' && s2s.secureAuth) return this.#giveUp(`the certificate of ${this.remote} is not valid (${status})`, 'not-authorized');
    }
    if (this.mode.kind === 'verify') return this.#sendVerify(this.mode.streamId, this.mode.key);
    if (this.#phase === 'features' && this.auth !== null) return this.#becomeReady(this.auth);
    if (features.getChild('dialback', S2S_NS.DIALBACK_FEATURE)) this.#peerOffersDialback = true;
    const mechs = features.getChild('mechanisms', NS.SASL);
    const external = mechs?.getChildren('mechanism').some((m) => m.getText().trim() === 'EXTERNAL');
    if (external && this.socket.secure && !this.#triedExternal) {
      this.#triedExternal = true;
      this.write(new Element('auth', { xmlns: NS.SASL, mechanism: 'EXTERNAL' }).t(Buffer.from(this.local).toString('base64')));
      this.#phase = 'sasl';
      return;
    }
    const dialback = this.#peerOffersDialback;
    if (dialback && s2s.dialback) return this.#sendDialback();
    this.#giveUp(`no way to authenticate to ${this.remote} (no SASL EXTERNAL${s2s.dialback ? ', no dialback' : ''})`, 'not-authorized');
  }

  #onProceed(): MaybePromise {
    this.#phase = 'header';
    this.headerSent = false;
    return this.socket.startTlsClient(this.env.tls.clientOptions(this.local, this.remote)).then(() => {
      this.log.debug({ cert: certStatus(this.socket.peerTls(), this.remote) }, 'TLS established');
      this.newParser(false);
      this.#sendHeader();
    }, (err: Error) => this.#fail(`TLS handshake failed: ${err.message}`));
  }

  #onSaslSuccess(): void {
    this.auth = 'EXTERNAL';
    this.newParser(true);
    this.#sendHeader();
  }

  #onSaslFailure(el: Element): MaybePromise {
    this.log.info({ failure: el.toString().slice(0, 200) }, 'SASL EXTERNAL refused; trying dialback');
    if (this.env.s2s.dialback && this.#peerOffersDialback) return this.#sendDialback();
    this.#giveUp(`${this.remote} refused our certificate and offers no dialback`, 'not-authorized');
  }

  #sendDialback(): void {
    if (!this.#peerStreamId) return this.#giveUp('the peer sent no stream id; dialback is impossible', 'not-authorized');
    const key = this.env.keys.make(this.remote, this.local, this.#peerStreamId);
    this.write(new Element('db:result', { from: this.local, to: this.remote }).t(key));
    this.#phase = 'dialback';
  }

  #onDialbackResult(el: Element): void {
    if (el.attrs.from !== this.remote || el.attrs.to !== this.local) throw new StreamError('invalid-from', 'db:result for another domain pair');
    if (el.attrs.type === 'valid') return this.#becomeReady('dialback');
    this.#giveUp(`${this.remote} did not accept our dialback key (${el.attrs.type ?? 'no type'})`, 'not-authorized');
  }

  #becomeReady(how: string): void {
    this.auth = how;
    this.locals.add(this.local);
    this.onClose(() => {
      for (const done of this.#piggyback.values()) done(false);
      this.#piggyback.clear();
    });
    this.#phase = 'ready';
    this.#settled = true;
    this.useAuthenticatedLimits();
    this.log.info({ how }, 'outgoing s2s authenticated');
    this.#ready(how);
  }

  // ---- dialback verification on behalf of an incoming stream ----

  #sendVerify(streamId: string, key: string): void {
    this.write(new Element('db:verify', { from: this.local, to: this.remote, id: streamId }).t(key));
    this.#phase = 'verify';
  }

  #onVerifyAnswer(el: Element): void {
    const mode = this.mode as Extract<OutgoingMode, { kind: 'verify' }>;
    if (el.attrs.id !== mode.streamId || el.attrs.from !== this.remote || el.attrs.to !== this.local) {
      throw new StreamError('invalid-xml', 'db:verify answer for another request');
    }
    this.#settled = true;
    this.#phase = 'done';
    this.#verified(el.attrs.type === 'valid');
    this.closeStream();
  }

  /** A stanza for the peer (only once ready). */
  sendStanza(stanza: Element): void {
    this.lastStanza = Date.now();
    this.write(stanza);
  }

  /** An XEP-0199 keepalive (does not count as traffic for the idle timeout). */
  sendKeepalive(ping: Element): void {
    this.write(ping);
  }

  /** Whether another local domain can be added to this stream with dialback. */
  get canPiggyback(): boolean {
    return this.ready && this.env.s2s.dialback && this.#peerOffersDialback && this.#peerStreamId !== '';
  }

  /** Authenticates `local` on this stream too (db:result on the established stream); true when the peer accepts. */
  piggyback(local: string): Promise<boolean> {
    if (this.locals.has(local)) return Promise.resolve(true);
    if (!this.canPiggyback || this.#piggyback.has(local)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.#piggyback.get(local) !== settle) return;
        this.#piggyback.delete(local);
        resolve(false);
      }, this.env.s2s.connectTimeoutSeconds * 1000);
      timer.unref();
      const settle = (valid: boolean) => {
        clearTimeout(timer);
        resolve(valid);
      };
      this.#piggyback.set(local, settle);
      this.write(new Element('db:result', { from: local, to: this.remote }).t(this.env.keys.make(this.remote, local, this.#peerStreamId)));
    });
  }

  #onPiggybackResult(el: Element): void {
    const local = el.attrs.to ?? '';
    const done = this.#piggyback.get(local);
    if (!done || el.attrs.from !== this.remote) return;   // late or unsolicited: nothing to do
    this.#piggyback.delete(local);
    const valid = el.attrs.type === 'valid';
    if (valid) this.locals.add(local);
    this.log.info({ local, type: el.attrs.type }, 'piggybacked dialback answered');
    done(valid);
  }
}
