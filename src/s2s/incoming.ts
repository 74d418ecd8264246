// An incoming server-to-server stream (we are the receiving server, RFC 6120): header checks, STARTTLS (required by
// default), SASL EXTERNAL with the peer's certificate (XEP-0178), dialback requests and verifications (XEP-0220),
// then stanzas, each of which must come from and go to a domain pair authenticated on this stream.
import { Element } from 'ltx';
import { StanzaError, StreamError } from '../core/errors.js';
import { nameprep, tryParseJid } from '../jid.js';
import { NS } from '../xml/ns.js';
import { errorReply } from '../xml/stanza.js';
import type { S2SEnv } from './env.js';
import { S2S_NS } from './ns.js';
import type { S2SSocket } from './socket.js';
import { XmlStream } from './stream.js';
import { certStatus } from './trust.js';

type MaybePromise = void | Promise<void>;

export interface IncomingHooks {
  /** Asks the authoritative server of `originating` whether `key` is genuine (a separate connection). */
  verifyDialback(receiving: string, originating: string, streamId: string, key: string): Promise<boolean>;
}

const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);

export class IncomingStream extends XmlStream {
  readonly direction = 'in';
  /** The domain the peer named in its header (`from`), if any; the domain our header speaks for (`to`). */
  peerDomain: string | null = null;
  localDomain: string | null = null;
  /** Authenticated (remote, local) pairs: "remote\0local". */
  readonly pairs = new Set<string>();
  /** How each pair was authenticated: EXTERNAL, dialback, dialback+certificate. */
  readonly methods = new Map<string, string>();
  #phase: 'header' | 'features' = 'header';
  #authenticated = false;
  #pendingDialback = new Set<string>();

  constructor(socket: S2SSocket, private readonly env: S2SEnv, private readonly hooks: IncomingHooks) {
    super(socket, env.config.limits, env.log.child({ s2s: 'in', ip: socket.remoteAddress }));
  }

  get authenticated(): boolean {
    return this.pairs.size > 0;
  }

  protected headerAttrs(): Record<string, string> {
    const attrs: Record<string, string> = { xmlns: S2S_NS.SERVER, 'xmlns:stream': NS.STREAMS, id: this.id, version: '1.0' };
    if (this.env.s2s.dialback) attrs['xmlns:db'] = S2S_NS.DIALBACK;
    if (this.localDomain) attrs.from = this.localDomain;
    if (this.peerDomain) attrs.to = this.peerDomain;
    return attrs;
  }

  protected onHeader(attrs: Record<string, string>): MaybePromise {
    if (this.#phase !== 'header') throw new StreamError('invalid-xml', 'unexpected stream header');
    const to = safeNameprep(attrs.to);
    const from = safeNameprep(attrs.from);
    if (to && this.env.router.isLocalDomain(to) && (this.localDomain === null || this.localDomain === to)) this.localDomain = to;
    if (from && !this.peerDomain) this.peerDomain = from;
    this.writeHeader(this.headerAttrs());
    if ((attrs.xmlns ?? '') !== S2S_NS.SERVER) throw new StreamError('invalid-namespace', `the default namespace must be ${S2S_NS.SERVER}`);
    if (!attrs.to) throw new StreamError('host-unknown', "the stream header needs a 'to' attribute");
    if (!to || this.localDomain !== to) throw new StreamError('host-unknown', `${attrs.to} is not served here`);
    if (attrs.from !== undefined && !from) throw new StreamError('invalid-from', 'the from attribute is not a domain');
    if (from && this.env.router.isLocalDomain(from)) throw new StreamError('invalid-from', `${from} is served here`);
    if (!/^1\.\d+$/.test(attrs.version ?? '')) throw new StreamError('unsupported-version', 'this server needs XMPP 1.0 streams');
    this.#phase = 'features';
    this.#sendFeatures();
  }

  #sendFeatures(): void {
    const features = new Element('stream:features');
    const s2s = this.env.s2s;
    const secure = this.socket.secure;
    if (!this.#authenticated) {
      if (!secure) {
        const starttls = features.c('starttls', { xmlns: NS.TLS });
        if (s2s.requireEncryption) starttls.c('required');
      }
      if (secure || !s2s.requireEncryption) {
        if (secure && this.peerDomain && certStatus(this.socket.peerTls(), this.peerDomain) === 'valid') {
          features.c('mechanisms', { xmlns: NS.SASL }).c('mechanism').t('EXTERNAL');
        }
        if (s2s.dialback) features.c('dialback', { xmlns: S2S_NS.DIALBACK_FEATURE }).c('errors');
      }
    } else if (s2s.dialback) {
      // Further domain pairs may be added by dialback (piggybacking, XEP-0220 §2.4).
      features.c('dialback', { xmlns: S2S_NS.DIALBACK_FEATURE }).c('errors');
    }
    this.write(features);
  }

  protected onElement(el: Element): MaybePromise {
    if (this.#phase !== 'features') throw new StreamError('not-authorized', 'no stream header yet');
    const ns = el.attrs.xmlns;
    if (ns === S2S_NS.SERVER) return this.#onStanza(el);
    if (ns === NS.TLS && el.name === 'starttls') return this.#onStartTls();
    if (ns === NS.SASL && el.name === 'auth') return this.#onSaslAuth(el);
    if (ns === NS.SASL && el.name === 'abort') {
      this.write(saslFailure('aborted'));
      return;
    }
    if (ns === S2S_NS.DIALBACK && el.name === 'db:result') return this.#onDialbackResult(el);
    if (ns === S2S_NS.DIALBACK && el.name === 'db:verify') return this.#onDialbackVerify(el);
    throw new StreamError('unsupported-stanza-type', `<${el.name} xmlns='${ns ?? ''}'/> is not supported here`);
  }

  #mustBeSecure(): void {
    if (!this.socket.secure && this.env.s2s.requireEncryption) throw new StreamError('policy-violation', 'use STARTTLS first');
  }

  // ---- STARTTLS ----

  #onStartTls(): MaybePromise {
    if (this.socket.secure || this.#authenticated) {
      this.write(new Element('failure', { xmlns: NS.TLS }));
      this.closeStream();
      return;
    }
    this.write(new Element('proceed', { xmlns: NS.TLS }));
    this.#phase = 'header';
    this.headerSent = false;
    return this.socket.startTlsServer(this.env.tls.serverOptions(this.localDomain)).then(() => {
      this.log.debug({ cert: certStatus(this.socket.peerTls(), this.peerDomain ?? '') }, 'TLS established');
      this.newParser(false);
    }, (err: Error) => {
      this.log.info({ err: err.message }, 'TLS handshake failed');
    });
  }

  // ---- SASL EXTERNAL (XEP-0178) ----

  #onSaslAuth(el: Element): MaybePromise {
    this.#mustBeSecure();
    if (this.#authenticated) {
      this.write(saslFailure('not-authorized', 'already authenticated'));
      return;
    }
    if (el.attrs.mechanism !== 'EXTERNAL') {
      this.write(saslFailure('invalid-mechanism', 'only EXTERNAL is offered'));
      return;
    }
    const text = el.getText().trim();
    let authzid = '';
    if (text !== '' && text !== '=') {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
        this.write(saslFailure('incorrect-encoding'));
        return;
      }
      authzid = Buffer.from(text, 'base64').toString('utf8');
    }
    const domain = authzid === '' ? this.peerDomain : safeNameprep(authzid);
    if (!domain || (this.peerDomain && domain !== this.peerDomain)) {
      this.write(saslFailure('invalid-authzid', 'the authorization identity must be the stream\'s from domain'));
      return;
    }
    const status = certStatus(this.socket.peerTls(), domain);
    if (status !== 'valid') {
      this.log.info({ domain, status }, 'SASL EXTERNAL refused');
      this.write(saslFailure('not-authorized', `the certificate does not prove ${domain} (${status})`));
      return;
    }
    this.write(new Element('success', { xmlns: NS.SASL }));
    this.peerDomain = domain;
    this.#authenticate(domain, this.localDomain!, 'EXTERNAL');
    // Stream restart (RFC 6120 §6.4.6).
    this.#phase = 'header';
    this.headerSent = false;
    this.newParser(true);
  }

  #authenticate(remote: string, local: string, how: string): void {
    this.pairs.add(`${remote}\0${local}`);
    this.methods.set(`${remote}\0${local}`, how);
    if (!this.#authenticated) {
      this.#authenticated = true;
      this.log = this.log.child({ peer: remote });
      this.useAuthenticatedLimits();
    }
    this.log.info({ remote, local, how }, 'incoming s2s authenticated');
  }

  // ---- dialback (XEP-0220) ----

  #onDialbackResult(el: Element): void {
    if (!this.env.s2s.dialback) throw new StreamError('unsupported-stanza-type', 'dialback is not offered');
    this.#mustBeSecure();
    const from = safeNameprep(el.attrs.from);
    const to = safeNameprep(el.attrs.to);
    const key = el.getText().trim();
    if (el.attrs.type !== undefined) throw new StreamError('unsupported-stanza-type', 'a db:result with a type is an answer, not a request');
    if (!from || !to || !key) throw new StreamError('improper-addressing', 'db:result needs from, to and a key');
    if (!this.env.router.isLocalDomain(to)) return this.#dialbackAnswer(from, to, 'error', 'item-not-found');
    if (this.env.router.isLocalDomain(from)) throw new StreamError('invalid-from', `${from} is served here`);
    const pair = `${from}\0${to}`;
    if (this.pairs.has(pair)) return this.#dialbackAnswer(from, to, 'valid');
    if (this.#pendingDialback.has(pair)) throw new StreamError('policy-violation', 'that domain pair is already being verified');
    const status = certStatus(this.socket.peerTls(), from);
    if (status === 'valid') {
      // The certificate already proves the originating domain: no DNS round trip needed (XEP-0344).
      this.#authenticate(from, to, 'dialback+certificate');
      return this.#dialbackAnswer(from, to, 'valid');
    }
    if (this.env.s2s.secureAuth) {
      this.log.info({ from, status }, 'dialback refused: s2s.secureAuth needs a valid certificate');
      throw new StreamError('not-authorized', `the certificate for ${from} is not valid here (${status}) and this server requires one`);
    }
    // The round trip runs beside the stream: stanzas of pairs already authenticated keep flowing meanwhile.
    this.#pendingDialback.add(pair);
    this.hooks.verifyDialback(to, from, this.id, key).then((ok) => {
      this.#pendingDialback.delete(pair);
      if (this.state !== 'open') return;
      if (!ok) {
        this.log.info({ from, to }, 'dialback key was not confirmed');
        return this.#dialbackAnswer(from, to, 'invalid');
      }
      this.#authenticate(from, to, 'dialback');
      this.#dialbackAnswer(from, to, 'valid');
    }, (err: Error) => {
      this.#pendingDialback.delete(pair);
      this.log.info({ from, err: err.message }, 'dialback verification failed');
      if (this.state === 'open') this.#dialbackAnswer(from, to, 'error', 'remote-server-not-found');
    });
  }

  #dialbackAnswer(remote: string, local: string, type: 'valid' | 'invalid' | 'error', condition?: string): void {
    const answer = new Element('db:result', { from: local, to: remote, type });
    if (condition) answer.c('error', { type: 'cancel' }).c(condition, { xmlns: NS.STANZA_ERRORS });
    this.write(answer);
  }

  /** We are the authoritative server: was this key made by us for that stream? */
  #onDialbackVerify(el: Element): void {
    this.#mustBeSecure();
    const from = safeNameprep(el.attrs.from);
    const to = safeNameprep(el.attrs.to);
    const id = el.attrs.id;
    if (!from || !to || !id) throw new StreamError('improper-addressing', 'db:verify needs from, to and id');
    const reply = new Element('db:verify', { from: to, to: from, id });
    if (!this.env.hosts.has(to) && !this.env.router.isLocalDomain(to)) {
      reply.attrs.type = 'error';
      reply.c('error', { type: 'cancel' }).c('item-not-found', { xmlns: NS.STANZA_ERRORS });
    } else {
      reply.attrs.type = this.env.keys.check(from, to, id, el.getText()) ? 'valid' : 'invalid';
    }
    this.log.debug({ from, to, type: reply.attrs.type }, 'answered a dialback verification');
    this.write(reply);
  }

  // ---- stanzas ----

  #onStanza(el: Element): MaybePromise {
    if (!this.#authenticated) throw new StreamError('not-authorized', 'authenticate before sending stanzas');
    const name = el.name;
    if (name !== 'message' && name !== 'presence' && name !== 'iq') throw new StreamError('unsupported-stanza-type', `<${name}/> is not a stanza`);
    const rawFrom = el.attrs.from;
    const rawTo = el.attrs.to;
    if (!rawFrom || !rawTo) throw new StreamError('improper-addressing', 'stanzas between servers need from and to');
    const from = tryParseJid(rawFrom);
    if (!from) throw new StreamError('invalid-from', `'${rawFrom.slice(0, 100)}' is not a valid JID`);
    const to = tryParseJid(rawTo);
    if (!to) {
      this.log.info({ from: rawFrom }, 'stanza to a malformed JID');
      el.attrs.xmlns = NS.CLIENT;
      el.attrs.to = this.localDomain!;
      return this.#bounce(el, new StanzaError('jid-malformed', `'${rawTo.slice(0, 100)}' is not a valid JID`));
    }
    if (!this.env.router.isLocalDomain(to.domain)) throw new StreamError('host-unknown', `${to.domain} is not served here`);
    if (!this.pairs.has(`${from.domain}\0${to.domain}`)) {
      throw new StreamError('invalid-from', `${from.domain} is not authenticated for ${to.domain} on this stream`);
    }
    el.attrs.xmlns = NS.CLIENT;
    el.attrs.from = from.toString();
    el.attrs.to = to.toString();
    const type = el.attrs.type;
    if (name === 'iq') {
      if (type === undefined || !IQ_TYPES.has(type) || el.attrs.id === undefined) {
        return this.#bounce(el, new StanzaError('bad-request', 'an IQ needs an id and a type of get, set, result or error'));
      }
      if ((type === 'get' || type === 'set') && el.children.filter((c) => typeof c !== 'string').length !== 1) {
        return this.#bounce(el, new StanzaError('bad-request', 'an IQ get or set needs exactly one child element'));
      }
    }
    return this.env.router.send(el);
  }

  #bounce(el: Element, err: StanzaError): MaybePromise {
    const type = el.attrs.type;
    if (type === 'error' || (el.name === 'iq' && type === 'result')) return;
    const reply = errorReply(el, err);
    if (!reply.attrs.from) return;
    return this.env.router.send(reply);
  }
}

function saslFailure(condition: string, text?: string): Element {
  const f = new Element('failure', { xmlns: NS.SASL });
  f.c(condition);
  if (text) f.c('text', { 'xml:lang': 'en' }).t(text);
  return f;
}

function safeNameprep(s: string | undefined): string | null {
  if (!s) return null;
  try {
    const d = nameprep(s);
    return d.includes('@') || d.includes('/') ? null : d;
  } catch {
    return null;
  }
}
