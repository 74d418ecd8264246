// The client-to-server stream (RFC 6120): header checks, features, STARTTLS, SASL, resource binding,
// then stanza routing. One dispatch over (state, element) with an explicit answer for every illegal
// pair (ARCHITECTURE.md §C6). Elements are processed one at a time, in order; the socket is paused
// when too many wait behind a slow (async) handler.
import { createHash, randomBytes } from 'node:crypto';
import { Element } from 'ltx';
import type { SaslFailureCondition, SaslMechanism, SaslMechanismFactory, SaslStep } from '../auth/types.js';
import { decodeSaslBase64 } from '../auth/base64.js';
import { StanzaError, StreamError } from '../core/errors.js';
import type { C2SState, ClientSession, OutputFilter, OutputFilterHandle } from '../core/session.js';
import type { InlineAuth } from '../core/inline-auth.js';
import { nameprep, resourceprep, tryParseJid, jid as makeJid, type Jid } from '../jid.js';
import type { Logger } from '../log.js';
import type { Transport } from '../net/transport.js';
import { NS } from '../xml/ns.js';
import { InputQueue } from './input-queue.js';
import { StreamParser, type ParserErrorCondition, type ParserLimits } from '../xml/parser.js';
import { errorReply, iqResult } from '../xml/stanza.js';
import type { StreamDeps } from './deps.js';

type QueueItem =
  | { kind: 'header'; name: string; ns: string; attrs: Record<string, string> }
  | { kind: 'element'; el: Element }
  | { kind: 'end' };

type MaybePromise = void | Promise<void>;

const MESSAGE_TYPES = new Set(['chat', 'error', 'groupchat', 'headline', 'normal']);
const PRESENCE_TYPES = new Set(['error', 'probe', 'subscribe', 'subscribed', 'unavailable', 'unsubscribe', 'unsubscribed']);
const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);

let sessionCounter = 0;

export class C2SSession implements ClientSession {
  readonly kind = 'c2s';
  readonly id: string;
  readonly ip: string;
  log: Logger;
  readonly data = new Map<string, unknown>();
  host = '';
  username: string | null = null;
  jid: Jid | null = null;
  state: C2SState = 'wait-stream';
  priority = 0;
  presence: Element | null = null;
  /** When the session last received or sent anything (ms), for the idle sweeper. */
  lastRead = Date.now();
  lastWrite = Date.now();
  readonly connectedAt = Date.now();

  #transport: Transport;
  #deps: StreamDeps;
  #parser!: StreamParser;
  /** Parsed, not yet handled; one at a time, in order (src/stream/input-queue.ts). */
  #queue: InputQueue<QueueItem> = new InputQueue<QueueItem>({
    process: (item) => this.#process(item),
    fail: (err) => this.#fail(err),
    stopped: () => this.state === 'closed',
    limit: () => this.#deps.config.limits.pendingElements,
    pause: () => this.#transport.pause(),
    resume: () => this.#transport.resume(),
  });
  #headerSent = false;
  #authenticated = false;
  #sasl: { mechanism: SaslMechanism; name: string; awaitingInitial: boolean } | null = null;
  #authFailures = 0;
  #closeTimer: NodeJS.Timeout | null = null;
  #cleanedUp = false;
  lang = 'en';
  /** Output filters in rank order, input observers, and the detach policy (see ClientSession). */
  #filters: OutputFilter[] = [];
  #inputObservers: ((stanza: Element) => void)[] = [];
  #detachHandler: ((reason: string) => boolean) | null = null;
  #detached = false;
  /** Set when another session adopted this one's connection: its parser's output goes there. */
  #forward: C2SSession | null = null;

  constructor(transport: Transport, deps: StreamDeps) {
    this.#transport = transport;
    this.#deps = deps;
    this.id = `c${(++sessionCounter).toString(36)}`;
    this.ip = transport.remoteAddress;
    this.log = deps.log.child({ sid: this.id, ip: this.ip });
    this.#newParser();
    this.#listen(transport);
    this.log.debug({ secure: transport.secure }, 'client connected');
  }

  /** Takes input from a transport; events of a transport this session no longer uses are ignored. */
  #listen(transport: Transport): void {
    transport.setHandlers({
      data: (chunk) => {
        if (this.#transport !== transport) return;
        this.lastRead = Date.now();
        this.#parser.write(chunk);
      },
      closed: (reason) => {
        if (this.#transport === transport) this.#onTransportClosed(reason);
      },
    });
  }

  get secure(): boolean {
    return this.#transport.secure;
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }

  // ---- parsing and the per-session queue ----

  #limits(): ParserLimits {
    const l = this.#deps.config.limits;
    return {
      maxStanzaBytes: this.#authenticated ? l.stanzaBytes : l.unauthedStanzaBytes,
      maxDepth: l.maxDepth,
      maxChildren: l.maxChildren,
    };
  }

  /** A fresh parser: at the start, and at each stream restart (after TLS and after SASL). */
  #newParser(): void {
    this.#parser = new StreamParser({
      onStreamStart: (name, ns, attrs) => this.#enqueue({ kind: 'header', name, ns, attrs }),
      onElement: (el) => this.#enqueue({ kind: 'element', el }),
      onStreamEnd: () => this.#enqueue({ kind: 'end' }),
      onError: (condition, text) => this.#onParseError(condition, text),
    }, this.#limits(), { framing: this.#transport.framing });
  }

  #onParseError(condition: ParserErrorCondition, text: string): void {
    if (this.#forward) return this.#forward.#onParseError(condition, text);
    this.log.info({ condition, text }, 'rejected malformed input');
    const app = condition === 'policy-violation' && /size|large|big|bytes/i.test(text)
      ? new Element('stanza-too-big', { xmlns: NS.XMPP_ERRORS })
      : undefined;
    this.#queue.clear();
    this.#streamError(new StreamError(condition, text, app));
  }

  #enqueue(item: QueueItem): void {
    if (this.#forward) return this.#forward.#enqueue(item);
    if (this.state === 'closed') return;
    this.#queue.push(item);
  }

  #fail(err: unknown): void {
    if (err instanceof StreamError) {
      this.#streamError(err);
      return;
    }
    this.log.error({ err }, 'internal error while processing client input');
    this.#streamError(new StreamError('internal-server-error'));
  }

  #process(item: QueueItem): MaybePromise {
    if (this.state === 'closing') {
      // After our </stream:stream> only the peer's closing tag matters.
      if (item.kind === 'end') this.#transport.destroy();
      return;
    }
    switch (item.kind) {
      case 'header':
        return this.#onHeader(item.attrs);
      case 'end':
        return this.#onPeerClose();
      case 'element':
        return this.#onElement(item.el);
    }
  }

  // ---- stream header and features ----

  #headerAttrs(): Record<string, string> {
    return {
      xmlns: NS.CLIENT,
      'xmlns:stream': NS.STREAMS,
      id: randomBytes(12).toString('hex'),
      from: this.host || this.#deps.defaultHost,
      version: '1.0',
      'xml:lang': 'en',
    };
  }

  #onHeader(attrs: Record<string, string>): MaybePromise {
    if (this.state !== 'wait-stream') throw new StreamError('invalid-xml', 'unexpected stream header');
    const header = this.#headerAttrs();
    const clientFrom = attrs.from ? tryParseJid(attrs.from) : null;
    if (clientFrom) header.to = clientFrom.toString();
    if (attrs.to) {
      let to: string | null = null;
      try {
        to = nameprep(attrs.to);
      } catch {
        to = null;
      }
      if (to && (!this.host || to === this.host) && this.#deps.hosts.has(to)) header.from = to;
    }
    this.#transport.writeHeader(header);
    this.#headerSent = true;

    // RFC 7395 §3.3.2: over WebSocket framing (also used under BOSH) the header is <open/> in the framing namespace.
    const headerNs = this.#transport.framing === 'websocket' ? NS.FRAMING : NS.CLIENT;
    if ((attrs.xmlns ?? '') !== headerNs) throw new StreamError('invalid-namespace', `the default namespace must be ${headerNs}`);
    if (!attrs.to) throw new StreamError('host-unknown', "the stream header needs a 'to' attribute naming the server");
    if (header.from !== (attrs.to && safeNameprep(attrs.to))) {
      throw new StreamError('host-unknown', `${attrs.to} is not served here`);
    }
    const version = attrs.version ?? '';
    if (!/^1\.\d+$/.test(version)) throw new StreamError('unsupported-version', 'this server speaks XMPP version 1.0');
    this.host = header.from;
    if (attrs['xml:lang']) this.lang = attrs['xml:lang'];
    return this.#sendFeatures();
  }

  #sendFeatures(): MaybePromise {
    const features = new Element('stream:features');
    const host = this.#deps.hosts.get(this.host)!;
    if (!this.#authenticated) {
      const auth = this.#deps.config.auth;
      const mustStartTls = !this.secure && auth.requireEncryption;
      if (!this.secure && this.#transport.canStartTls) {
        const starttls = features.c('starttls', { xmlns: NS.TLS });
        if (auth.requireEncryption) starttls.c('required');
      }
      if (!mustStartTls) {
        const mechs = features.c('mechanisms', { xmlns: NS.SASL });
        for (const m of this.#offeredMechanisms()) mechs.c('mechanism').t(m.name);
        const cbTypes = this.#transport.channelBinding.types;
        if (cbTypes.length > 0) {
          // XEP-0440: tell the client which channel-binding types it may use with -PLUS.
          const cb = features.c('sasl-channel-binding', { xmlns: NS.SASL_CB });
          for (const t of cbTypes) cb.c('channel-binding', { type: t });
        }
      }
      this.state = mustStartTls ? 'wait-starttls' : 'wait-auth';
      return this.#fireFeatures(host.bus.has('stream-features') ? 'pre-auth' : null, features, mustStartTls ? undefined : this.#inlineAuth());
    }
    features.c('bind', { xmlns: NS.BIND });
    // RFC 3921 session establishment, kept for old clients; RFC 6121 makes it a no-op.
    features.c('session', { xmlns: NS.SESSION }).c('optional');
    this.state = 'wait-bind';
    return this.#fireFeatures(host.bus.has('stream-features') ? 'post-auth' : null, features);
  }

  #fireFeatures(stage: 'pre-auth' | 'post-auth' | null, features: Element, auth?: InlineAuth): MaybePromise {
    if (!stage) {
      this.#transport.writeElement(features);
      return;
    }
    const bus = this.#deps.hosts.get(this.host)!.bus;
    const r = bus.fire('stream-features', auth ? { session: this, features, stage, auth } : { session: this, features, stage });
    if (r instanceof Promise) return r.then(() => this.#transport.writeElement(features));
    this.#transport.writeElement(features);
  }

  #offeredMechanisms(): SaslMechanismFactory[] {
    const secure = this.secure;
    const channelBinding = this.#transport.channelBinding;
    const allowPlain = this.#deps.config.auth.allowPlain;
    return this.#deps.mechanisms.filter((m) => (m.name !== 'PLAIN' || allowPlain) && m.available({ secure, channelBinding }));
  }

  // ---- elements by state ----

  #onElement(el: Element): MaybePromise {
    const ns = el.attrs.xmlns;
    if (ns === NS.CLIENT) {
      const name = el.name;
      if (name !== 'message' && name !== 'presence' && name !== 'iq') {
        throw new StreamError('unsupported-stanza-type', `<${name}/> is not a stanza`);
      }
      if (this.state === 'established') {
        for (const fn of this.#inputObservers) fn(el);
        return this.#onStanza(el);
      }
      if (this.state === 'wait-bind' && name === 'iq') return this.#onPreBindIq(el);
      if (this.state === 'wait-auth' && name === 'iq') return this.#onPreAuthIq(el);
      throw new StreamError('not-authorized', 'authenticate and bind a resource before sending stanzas');
    }
    switch (ns) {
      case NS.TLS:
        if (el.name === 'starttls') return this.#onStartTls();
        break;
      case NS.SASL:
        if (el.name === 'auth') return this.#onSaslAuth(el);
        if (el.name === 'response') return this.#onSaslResponse(el);
        if (el.name === 'abort') return this.#onSaslAbort();
        break;
      case NS.STREAMS:
        if (el.name === 'stream:error' || el.name === 'error') {
          this.log.info({ error: el.toString().slice(0, 300) }, 'client sent a stream error');
          this.#closeStream();
          return;
        }
        break;
    }
    return this.#onOtherElement(el);
  }

  /** Stream-level elements owned by modules (e.g. stream management), once authenticated. */
  #onOtherElement(el: Element): MaybePromise {
    if (!this.#authenticated) return this.#onPreAuthElement(el);
    const bus = this.#deps.hosts.get(this.host)!.bus;
    const r = bus.has('stream-element') ? bus.fire('stream-element', { session: this, element: el }) : false;
    const unhandled = (taken: boolean) => {
      if (!taken) throw new StreamError('unsupported-stanza-type', `<${el.name} xmlns='${el.attrs.xmlns ?? ''}'/> is not supported`);
    };
    if (r instanceof Promise) return r.then(unhandled);
    unhandled(r);
  }

  /** Other elements before authentication (after TLS when it is required): offered to inline-auth modules (SASL2). */
  #onPreAuthElement(el: Element): MaybePromise {
    const refuse = () => new StreamError('not-authorized', `<${el.name}/> is not allowed before authentication`);
    if (this.state !== 'wait-auth' && this.state !== 'sasl') throw refuse();
    const bus = this.#deps.hosts.get(this.host)!.bus;
    if (!bus.has('pre-auth-element')) throw refuse();
    const r = bus.fire('pre-auth-element', { session: this, element: el, auth: this.#inlineAuth() });
    const unhandled = (taken: boolean) => {
      if (!taken) throw refuse();
    };
    if (r instanceof Promise) return r.then(unhandled);
    unhandled(r);
  }

  /** The stream's authentication lent to inline protocols (see InlineAuth). */
  #inlineAuth(): InlineAuth {
    const cbTypes = this.#transport.channelBinding.types;
    const mechanisms = this.#offeredMechanisms().map((m) => m.name);
    return {
      mechanisms,
      channelBindingTypes: cbTypes,
      start: (name, opts) => {
        const factory = opts?.factory ?? this.#offeredMechanisms().find((m) => m.name === name);
        if (!factory || factory.name !== name) return { ok: false, condition: 'invalid-mechanism', text: `${name} is not offered` };
        const gate = this.#deps.throttle.check(this.ip);
        if (!gate.allowed) return { ok: false, condition: 'temporary-auth-failure', text: `too many failed attempts; try again in ${Math.ceil(gate.retryAfterMs / 1000)} s` };
        this.state = 'sasl';
        return { ok: true, mechanism: factory.create(this.#saslContext(opts?.offered ?? mechanisms)) };
      },
      succeed: async (username, mechanism) => {
        const r = this.#completeAuth(username, mechanism);
        if (!r.ok) return r;
        this.state = 'wait-bind';
        const bus = this.#deps.hosts.get(this.host)!.bus;
        if (bus.has('authentication-success')) await bus.fire('authentication-success', { session: this, mechanism });
        return r;
      },
      fail: (mechanism, condition, text, username, report) => this.#countFailure(mechanism, condition, text, username, report),
      bind: (resource) => {
        const r = this.#bindResource(resource);
        if (!r.ok) return r;
        return { ok: true, jid: r.jid, announce: () => this.#announceBind() };
      },
      abort: () => {
        if (this.state === 'sasl') this.state = 'wait-auth';
      },
      accountStamp: async (username) => {
        const creds = await this.#lookupCredentials(username);
        return creds ? createHash('sha256').update(creds['SHA-256'].storedKey).update(creds['SHA-256'].salt).digest('base64url').slice(0, 22) : null;
      },
      sendFeatures: () => this.#sendFeatures(),
    };
  }

  #saslContext(offered: readonly string[]) {
    const cbTypes = this.#transport.channelBinding.types;
    return {
      host: this.host,
      lookup: (username: string) => this.#lookupCredentials(username),
      channelBinding: this.#transport.channelBinding,
      secret: this.#deps.secret,
      offered: { mechanisms: offered, channelBindings: cbTypes.length > 0 ? cbTypes : null },
    };
  }

  /** IQs before authentication (only after TLS when TLS is required): offered to modules, e.g. registration. */
  #onPreAuthIq(el: Element): MaybePromise {
    const bus = this.#deps.hosts.get(this.host)!.bus;
    const r = bus.has('pre-auth-iq') ? bus.fire('pre-auth-iq', { session: this, stanza: el }) : false;
    const unhandled = (taken: boolean) => {
      if (!taken) throw new StreamError('not-authorized', 'authenticate before sending stanzas');
    };
    if (r instanceof Promise) return r.then(unhandled);
    unhandled(r);
  }

  // ---- STARTTLS (RFC 6120 §5) ----

  #onStartTls(): MaybePromise {
    if ((this.state !== 'wait-starttls' && this.state !== 'wait-auth') || !this.#transport.canStartTls) {
      // §5.4.2.2: answer <failure/> and close the stream.
      this.#transport.writeElement(new Element('failure', { xmlns: NS.TLS }));
      this.#closeStream();
      return;
    }
    this.#transport.writeElement(new Element('proceed', { xmlns: NS.TLS }));
    this.state = 'wait-stream';
    this.#headerSent = false;
    return this.#transport.startTls(this.host).then(() => {
      this.log.debug({ servername: this.#transport.servername }, 'TLS established');
      this.#newParser();
    }, (err: Error) => {
      this.log.info({ err: err.message }, 'TLS handshake failed');
    });
  }

  // ---- SASL (RFC 6120 §6) ----

  #saslFailure(condition: SaslFailureCondition, text?: string): void {
    const f = new Element('failure', { xmlns: NS.SASL });
    f.c(condition);
    if (text) f.c('text', { 'xml:lang': 'en' }).t(text);
    this.#transport.writeElement(f);
  }

  #onSaslAuth(el: Element): MaybePromise {
    if (this.state === 'wait-starttls') {
      this.#saslFailure('encryption-required', 'use STARTTLS first');
      return;
    }
    if (this.state !== 'wait-auth' && this.state !== 'sasl') {
      this.#saslFailure('not-authorized', 'already authenticated');
      return;
    }
    this.#sasl = null;   // a new <auth/> abandons an exchange in progress
    const name = el.attrs.mechanism ?? '';
    const factory = this.#offeredMechanisms().find((m) => m.name === name);
    if (!factory) {
      this.state = 'wait-auth';
      this.#saslFailure('invalid-mechanism', name ? `${name} is not offered` : 'no mechanism given');
      return;
    }
    const gate = this.#deps.throttle.check(this.ip);
    if (!gate.allowed) {
      this.state = 'wait-auth';
      this.#saslFailure('temporary-auth-failure', `too many failed attempts; try again in ${Math.ceil(gate.retryAfterMs / 1000)} s`);
      return;
    }
    const mechanism = factory.create(this.#saslContext(this.#offeredMechanisms().map((m) => m.name)));
    this.state = 'sasl';
    const text = el.getText();
    if (text === '') {
      // No initial response: RFC 6120 §6.4.2 says send an empty challenge and wait for it.
      this.#sasl = { mechanism, name, awaitingInitial: true };
      this.#transport.writeElement(new Element('challenge', { xmlns: NS.SASL }));
      return;
    }
    this.#sasl = { mechanism, name, awaitingInitial: false };
    return this.#saslStep(text === '=' ? '' : text);
  }

  #onSaslResponse(el: Element): MaybePromise {
    if (this.state !== 'sasl' || !this.#sasl) {
      this.#saslFailure(this.state === 'wait-starttls' ? 'encryption-required' : 'not-authorized', 'no authentication in progress');
      return;
    }
    this.#sasl.awaitingInitial = false;
    const text = el.getText();
    return this.#saslStep(text === '=' ? '' : text);
  }

  #onSaslAbort(): void {
    if (this.state !== 'sasl') {
      this.#saslFailure(this.state === 'wait-starttls' ? 'encryption-required' : 'not-authorized');
      return;
    }
    this.#sasl = null;
    this.state = 'wait-auth';
    this.#saslFailure('aborted');
  }

  async #saslStep(b64: string): Promise<void> {
    const sasl = this.#sasl!;
    const data = decodeSaslBase64(b64);
    let step: SaslStep;
    if (data === null) step = { kind: 'failure', condition: 'incorrect-encoding', text: 'the data is not valid base64' };
    else step = await sasl.mechanism.step(data);
    if (this.state !== 'sasl' || this.#sasl !== sasl) return;   // closed or superseded meanwhile
    if (step.kind === 'challenge') {
      this.#transport.writeElement(new Element('challenge', { xmlns: NS.SASL }).t(step.data.toString('base64')));
      return;
    }
    this.#sasl = null;
    if (step.kind === 'success') {
      const done = this.#completeAuth(step.username, sasl.name);
      if (!done.ok) {
        if (done.condition !== 'temporary-auth-failure') return this.#authFailed(sasl.name, done.condition, undefined, step.username);
        this.state = 'wait-auth';
        this.#saslFailure(done.condition, done.text);
        return;
      }
      const success = new Element('success', { xmlns: NS.SASL });
      if (step.data && step.data.length) success.t(step.data.toString('base64'));
      this.#transport.writeElement(success);
      // Stream restart (RFC 6120 §6.4.6): a new parser with the authenticated size limit.
      this.state = 'wait-stream';
      this.#headerSent = false;
      this.#newParser();
      const bus = this.#deps.hosts.get(this.host)!.bus;
      if (bus.has('authentication-success')) await bus.fire('authentication-success', { session: this, mechanism: sasl.name });
      return;
    }
    return this.#authFailed(sasl.name, step.condition, step.text, step.username);
  }

  /** A mechanism's success: the account must be a valid localpart and not locked for this address; then the session is authenticated. */
  #completeAuth(name: string, mechanism: string): { ok: true; username: string } | { ok: false; condition: SaslFailureCondition; text?: string } {
    let username: string;
    try {
      username = makeJid(name, this.host).local;
    } catch {
      return { ok: false, condition: 'not-authorized' };
    }
    const account = `${username}@${this.host}`;
    // An account under attack is locked for addresses it has not logged in from recently.
    const gate = this.#deps.throttle.check(this.ip, account);
    if (!gate.allowed) return { ok: false, condition: 'temporary-auth-failure', text: `too many failed attempts; try again in ${Math.ceil(gate.retryAfterMs / 1000)} s` };
    this.#deps.throttle.recordSuccess(this.ip, account);
    this.username = username;
    this.#authenticated = true;
    this.log = this.log.child({ user: account });
    this.#parser.setLimits(this.#limits());   // the authenticated stanza size (inline protocols do not restart the stream)
    this.log.info({ mechanism }, 'authenticated');
    return { ok: true, username };
  }

  #authFailed(mechanism: string, condition: SaslFailureCondition, text: string | undefined, username: string | undefined): Promise<void> {
    return this.#countFailure(mechanism, condition, text, username, (c, t) => this.#saslFailure(c, t));
  }

  /** Counts a failed attempt, waits the throttle's delay, reports it (unless the stream closed meanwhile), and closes the stream after too many. */
  async #countFailure(mechanism: string, condition: SaslFailureCondition, text: string | undefined, username: string | undefined,
    report: (condition: SaslFailureCondition, text?: string) => void): Promise<void> {
    const account = username ? `${username}@${this.host}` : undefined;
    const delayMs = condition === 'not-authorized' ? this.#deps.throttle.recordFailure(this.ip, account) : 0;
    // Once the account or address is locked, right and wrong passwords get the same answer, so a
    // locked account cannot be used as a password oracle.
    if (condition === 'not-authorized' && !this.#deps.throttle.check(this.ip, account).allowed) {
      condition = 'temporary-auth-failure';
      text = 'too many failed attempts; try again later';
    }
    this.log.info({ mechanism, condition }, 'authentication failed');
    // The same delay and the same answer whether the account exists or not (no enumeration).
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'wait-auth';
    report(condition, text);
    const bus = this.#deps.hosts.get(this.host)!.bus;
    if (bus.has('authentication-failure')) await bus.fire('authentication-failure', { session: this, mechanism, username, condition });
    if (++this.#authFailures >= this.#deps.config.auth.maxFailures) {
      this.#streamError(new StreamError('policy-violation', 'too many failed authentication attempts'));
    }
  }

  async #lookupCredentials(username: string) {
    let local: string;
    try {
      local = makeJid(username, this.host).local;
    } catch {
      return null;
    }
    const account = await this.#deps.accounts.get(this.host, local);
    return account && !account.disabled ? account.credentials : null;
  }

  // ---- resource binding (RFC 6120 §7) ----

  #onPreBindIq(iq: Element): MaybePromise {
    const bind = iq.getChild('bind', NS.BIND);
    if (iq.attrs.type === 'set' && bind && iq.attrs.id !== undefined) return this.#bind(iq, bind);
    if (iq.attrs.type === 'result' || iq.attrs.type === 'error') return;   // nothing to answer
    const reply = errorReply(iq, new StanzaError('not-authorized', 'bind a resource first'));
    this.#transport.writeElement(reply);
  }

  #bind(iq: Element, bind: Element): MaybePromise {
    const r = this.#bindResource(bind.getChildText('resource') ?? '');
    if (!r.ok) {
      this.#transport.writeElement(errorReply(iq, r.error));
      return;
    }
    const result = iqResult(iq);
    result.attrs.to = r.jid.full();
    result.c('bind', { xmlns: NS.BIND }).c('jid').t(r.jid.full());
    delete result.attrs.from;
    this.#transport.writeElement(result);
    this.lastWrite = Date.now();
    return this.#announceBind();
  }

  /** Claims a resource (a random one for ''), replacing or refusing a holder by policy; the session is then established. */
  #bindResource(requested: string): { ok: true; jid: Jid } | { ok: false; error: StanzaError } {
    let resource: string;
    if (requested === '') {
      resource = `starling-${randomBytes(6).toString('hex')}`;
    } else {
      try {
        resource = resourceprep(requested);
      } catch (err) {
        return { ok: false, error: new StanzaError('bad-request', `invalid resource: ${(err as Error).message}`) };
      }
    }
    const host = this.#deps.hosts.get(this.host)!;
    // A detached session (XEP-0198 hibernation) always gives way to a new binding of its resource.
    const holder = host.sessions.get(this.username!, resource);
    const policy = holder?.detached ? 'kick-old' : this.#deps.config.sessions.conflict;
    const limit = this.#deps.config.limits.maxSessionsPerAccount;
    const outcome = host.sessions.bind(this, this.username!, resource, policy, limit);
    if (!outcome.ok) {
      // RFC 6120 §7.6.2.1: resource-constraint when the account has as many sessions as allowed.
      return { ok: false, error: outcome.reason === 'conflict'
        ? new StanzaError('conflict', 'that resource is in use')
        : new StanzaError('resource-constraint', `this account already has ${limit} sessions`, 'wait') };
    }
    if (outcome.replaced) {
      outcome.replaced.close(new StreamError('conflict', 'replaced by a new connection for the same resource'));
    }
    this.jid = makeJid(this.username!, this.host, resource);
    this.state = 'established';
    this.log = this.log.child({ resource });
    return { ok: true, jid: this.jid };
  }

  /** Tells modules about the new binding (once the client has its answer). */
  #announceBind(): MaybePromise {
    const host = this.#deps.hosts.get(this.host)!;
    if (host.bus.has('resource-bind')) {
      const r = host.bus.fire('resource-bind', { session: this });
      if (r instanceof Promise) return r.then(() => undefined);
    }
  }

  // ---- stanzas (RFC 6120 §8) ----

  #onStanza(el: Element): MaybePromise {
    const self = this.jid!;
    const name = el.name;
    const type = el.attrs.type;
    const isError = type === 'error';

    // The server stamps `from` (§8.1.2.1); a client claiming another address is cut off.
    const claimed = el.attrs.from;
    if (claimed !== undefined && claimed !== self.full()) {
      const j = tryParseJid(claimed);
      if (!j || j.local !== self.local || j.domain !== self.domain || (j.resource !== '' && j.resource !== self.resource)) {
        throw new StreamError('invalid-from', `this stream may only send as ${self.full()}`);
      }
    }
    el.attrs.from = self.full();

    if (name === 'iq') {
      if (type === undefined || !IQ_TYPES.has(type)) return this.#reject(el, new StanzaError('bad-request', 'an IQ needs a type of get, set, result or error'));
      if (el.attrs.id === undefined) return this.#reject(el, new StanzaError('bad-request', 'an IQ needs an id'));
      if ((type === 'get' || type === 'set') && countElements(el) !== 1) {
        return this.#reject(el, new StanzaError('bad-request', 'an IQ get or set needs exactly one child element'));
      }
      if (type === 'set' && el.getChild('bind', NS.BIND)) {
        return this.#reject(el, new StanzaError('not-allowed', 'a resource is already bound'));
      }
      if (type === 'set' && !el.attrs.to && el.getChild('session', NS.SESSION)) {
        const r = iqResult(el);
        delete r.attrs.from;
        this.send(r);
        return;
      }
    } else if (type !== undefined && !isError) {
      const known = name === 'message' ? MESSAGE_TYPES.has(type) : PRESENCE_TYPES.has(type);
      if (!known && name === 'presence') return this.#reject(el, new StanzaError('bad-request', `unknown presence type '${type}'`));
    }

    let to: Jid;
    const rawTo = el.attrs.to;
    if (rawTo === undefined || rawTo === '') {
      delete el.attrs.to;
      to = makeJid(self.local, self.domain);   // §10.3: no 'to' means the account itself
    } else {
      const parsed = tryParseJid(rawTo);
      if (!parsed) return this.#reject(el, new StanzaError('jid-malformed', `'${rawTo.slice(0, 100)}' is not a valid JID`));
      to = parsed;
      el.attrs.to = parsed.toString();
    }
    return this.#deps.router.fromClient(this, el, to);
  }

  /** Answers a bad stanza with a stanza error, except errors (never answered). */
  #reject(el: Element, err: StanzaError): void {
    if (el.attrs.type === 'error') return;
    const reply = errorReply(el, err);
    delete reply.attrs.from;
    reply.attrs.to = this.jid!.full();
    this.send(reply);
  }

  // ---- output ----

  send(stanza: Element): void {
    this.#sendFrom(-Infinity, stanza);
  }

  /** Runs an element through the filters ranked above `rank`, then writes it. */
  #sendFrom(rank: number, el: Element): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    const filter = this.#filters.find((f) => f.rank > rank);
    if (filter) {
      filter.write(el, (e) => this.#sendFrom(filter.rank, e));
      return;
    }
    this.#write(el);
  }

  #write(el: Element): void {
    if (this.#detached) return;   // no connection: a filter (stream management) keeps what it must
    this.#transport.writeElement(el);
    this.lastWrite = Date.now();
    if (this.#transport.bufferedBytes > this.#deps.config.limits.writeBufferBytes) {
      this.#streamError(new StreamError('policy-violation', 'the client is not reading: write buffer full'));
    }
  }

  addOutputFilter(filter: OutputFilter): OutputFilterHandle {
    if (this.#filters.some((f) => f.rank === filter.rank)) throw new Error(`an output filter with rank ${filter.rank} exists`);
    this.#filters.push(filter);
    this.#filters.sort((a, b) => a.rank - b.rank);
    return {
      pass: (el) => this.#sendFrom(filter.rank, el),
      remove: () => {
        const i = this.#filters.indexOf(filter);
        if (i >= 0) this.#filters.splice(i, 1);
      },
    };
  }

  /** Asks every filter, in rank order, to hand on what it holds. */
  #flushFilters(): void {
    for (const f of [...this.#filters]) f.flush?.((e) => this.#sendFrom(f.rank, e));
  }

  addInputObserver(fn: (stanza: Element) => void): () => void {
    this.#inputObservers.push(fn);
    return () => {
      const i = this.#inputObservers.indexOf(fn);
      if (i >= 0) this.#inputObservers.splice(i, 1);
    };
  }

  get detached(): boolean {
    return this.#detached;
  }

  setDetachHandler(fn: ((reason: string) => boolean) | null): void {
    this.#detachHandler = fn;
  }

  /** Keeps the session bound without its connection when the detach handler agrees; false otherwise. */
  #tryDetach(reason: string): boolean {
    if (this.state !== 'established' || this.#detached || this.#cleanedUp || !this.#detachHandler) return false;
    if (!this.#detachHandler(reason)) return false;
    this.#flushFilters();
    this.#detached = true;
    this.#queue.clear();
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.log.info({ reason }, 'connection lost; session detached');
    return true;
  }

  adopt(other: ClientSession): void {
    if (!(other instanceof C2SSession) || other === this) throw new Error('adopt needs another client session');
    if (this.state !== 'established' || this.#cleanedUp) throw new Error('this session cannot be resumed');
    if (other.state !== 'wait-bind' || other.host !== this.host || other.username !== this.username || other.#forward) {
      throw new Error('the other session is not authenticated for this account, or already bound');
    }
    if (!this.#detached) {
      // The client is back before we noticed the old connection die: drop it.
      const old = this.#transport;
      this.#flushFilters();
      this.#detached = true;
      old.destroy();
    }
    // The other session's connection, parser and unprocessed elements become this session's.
    other.#forward = this;
    this.#transport = other.#transport;
    this.#parser = other.#parser;
    this.#listen(this.#transport);
    other.state = 'closed';
    other.#cleanedUp = true;
    this.#deps.onClosed(other);
    this.#detached = false;
    this.lastRead = Date.now();
    this.lastWrite = Date.now();
    this.log.info({ via: other.id, ip: other.ip }, 'session resumed on a new connection');
    // The caller answers first (e.g. <resumed/>); what the client sent after that is processed next.
    this.#queue.takeOver(other.#queue);
  }

  /** Whitespace keepalive (RFC 6120 §4.6.1). */
  keepalive(): void {
    if (this.state === 'closed' || this.state === 'closing' || !this.#headerSent) return;
    this.#transport.writeRaw(' ');
    this.lastWrite = Date.now();
  }

  // ---- closing ----

  close(error?: StreamError): void {
    if (error) this.#streamError(error);
    else this.#closeStream();
  }

  #streamError(err: StreamError): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.#detached) return this.#closeStream();
    this.#flushFilters();
    if (!this.#headerSent) {
      // §4.9.1.2: an error before our header still needs a header first.
      this.#transport.writeHeader(this.#headerAttrs());
      this.#headerSent = true;
    }
    this.log.info({ condition: err.condition, text: err.text }, 'closing stream with error');
    this.#transport.writeElement(err.toElement());
    this.#closeStream();
  }

  /** Sends </stream:stream>, then waits a little for the peer's before dropping the connection. */
  #closeStream(): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.#flushFilters();
    if (this.#detached) {
      // Nothing to say goodbye on: the session just ends.
      this.state = 'closed';
      this.#cleanup('detached session ended');
      return;
    }
    this.state = 'closing';
    this.#cleanup('stream closed');
    if (!this.#headerSent) this.#transport.writeHeader(this.#headerAttrs());
    this.#transport.writeFooter();
    this.#transport.end();
    this.#closeTimer = setTimeout(() => this.#transport.destroy(), this.#deps.config.limits.closeTimeoutSeconds * 1000);
    this.#closeTimer.unref();
  }

  #onPeerClose(): void {
    this.log.debug('client closed the stream');
    this.#closeStream();
  }

  #onTransportClosed(reason: string): void {
    if (this.state === 'closed' || this.#detached) return;
    if (this.#tryDetach(reason)) return;
    this.state = 'closed';
    this.#queue.clear();
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#cleanup(reason);
    this.log.debug({ reason }, 'connection closed');
  }

  /** Unbinds exactly once and tells the server the connection is gone. */
  #cleanup(reason: string): void {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    const jid = this.jid;
    if (jid) {
      const host = this.#deps.hosts.get(this.host);
      if (host?.sessions.remove(this, jid.local, jid.resource) && host.bus.has('resource-unbind')) {
        void host.bus.fire('resource-unbind', { session: this, reason });
      }
      if (host?.bus.has('session-closed')) void host.bus.fire('session-closed', { session: this, reason });
    }
    this.#deps.onClosed(this);
  }

  /** Called by the server's sweeper; closes sessions that overstayed a timer. */
  checkTimers(now: number): void {
    if (this.state === 'closed' || this.state === 'closing' || this.#detached) return;
    const l = this.#deps.config.limits;
    if (!this.#authenticated && now - this.connectedAt > l.authTimeoutSeconds * 1000) {
      this.#streamError(new StreamError('connection-timeout', 'authentication took too long'));
    } else if (now - this.lastRead > l.idleTimeoutSeconds * 1000) {
      const transport = this.#transport;
      if (this.#tryDetach('idle timeout')) {
        // The connection is presumed dead; the session waits detached for the client to come back.
        transport.writeElement(new StreamError('connection-timeout', 'no traffic from the client').toElement());
        transport.writeFooter();
        transport.end();
        setTimeout(() => transport.destroy(), l.closeTimeoutSeconds * 1000).unref();
      } else {
        this.#streamError(new StreamError('connection-timeout', 'no traffic from the client'));
      }
    } else if (now - Math.max(this.lastWrite, this.lastRead) > l.keepaliveSeconds * 1000) {
      this.keepalive();
    }
  }
}

function safeNameprep(s: string): string | null {
  try {
    return nameprep(s);
  } catch {
    return null;
  }
}

function countElements(el: Element): number {
  let n = 0;
  for (const c of el.children) if (typeof c !== 'string') n++;
  return n;
}
