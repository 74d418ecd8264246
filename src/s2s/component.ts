// External components (XEP-0114): a gateway or bot connects to the component port, names its domain in the stream
// header, proves the shared secret with <handshake/> = hex(SHA-1(stream id + secret)), then routes stanzas both ways
// for that domain. The domain is claimed at start-up, so stanzas for a component that is not connected bounce with
// service-unavailable instead of leaking out over federation.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Element } from 'ltx';
import { StanzaError, StreamError } from '../core/errors.js';
import type { StanzaEvent } from '../core/hookmap.js';
import type { Router } from '../core/router.js';
import type { LimitsConfig } from '../config/schema.js';
import { nameprep, tryParseJid } from '../jid.js';
import type { Logger } from '../log.js';
import { NS } from '../xml/ns.js';
import { errorReply } from '../xml/stanza.js';
import type { ComponentsConfig } from './config.js';
import { S2S_NS } from './ns.js';
import type { S2SSocket } from './socket.js';
import { XmlStream } from './stream.js';

type MaybePromise = void | Promise<void>;

export class ComponentStream extends XmlStream {
  domain: string | null = null;
  #phase: 'header' | 'handshake' | 'ready' = 'header';

  constructor(socket: S2SSocket, limits: LimitsConfig, log: Logger, private readonly registry: ComponentRegistry) {
    super(socket, limits, log.child({ component: socket.remoteAddress }));
  }

  protected headerAttrs(): Record<string, string> {
    const attrs: Record<string, string> = { xmlns: S2S_NS.COMPONENT, 'xmlns:stream': NS.STREAMS, id: this.id };
    if (this.domain) attrs.from = this.domain;
    return attrs;
  }

  protected onHeader(attrs: Record<string, string>): MaybePromise {
    if (this.#phase !== 'header') throw new StreamError('invalid-xml', 'unexpected stream header');
    let domain: string | null = null;
    try {
      domain = attrs.to ? nameprep(attrs.to) : null;
    } catch { /* below */ }
    if (domain && this.registry.configured(domain)) this.domain = domain;
    this.writeHeader(this.headerAttrs());
    if ((attrs.xmlns ?? '') !== S2S_NS.COMPONENT) throw new StreamError('invalid-namespace', `the default namespace must be ${S2S_NS.COMPONENT}`);
    if (!this.domain) throw new StreamError('host-unknown', `${(attrs.to ?? '').slice(0, 100)} is not a configured component`);
    this.log = this.log.child({ domain: this.domain });
    this.#phase = 'handshake';
  }

  protected onElement(el: Element): MaybePromise {
    if (this.#phase === 'handshake') {
      if (el.name !== 'handshake' || el.attrs.xmlns !== S2S_NS.COMPONENT) throw new StreamError('not-authorized', 'send <handshake/> first');
      if (!this.registry.checkSecret(this.domain!, this.id, el.getText().trim())) {
        this.log.info('component handshake failed');
        throw new StreamError('not-authorized', 'wrong secret');
      }
      if (!this.registry.attach(this.domain!, this)) throw new StreamError('conflict', `${this.domain} is already connected`);
      this.#phase = 'ready';
      this.useAuthenticatedLimits();
      this.write(new Element('handshake'));
      this.log.info('component connected');
      return;
    }
    if (this.#phase !== 'ready') throw new StreamError('not-authorized', 'no stream header yet');
    const name = el.name;
    if (el.attrs.xmlns !== S2S_NS.COMPONENT || (name !== 'message' && name !== 'presence' && name !== 'iq')) {
      throw new StreamError('unsupported-stanza-type', `<${name}/> is not a stanza`);
    }
    const from = el.attrs.from ? tryParseJid(el.attrs.from) : null;
    if (!from || from.domain !== this.domain) {
      throw new StreamError('invalid-from', `a component may only send from ${this.domain}`);
    }
    const to = el.attrs.to ? tryParseJid(el.attrs.to) : null;
    el.attrs.xmlns = NS.CLIENT;
    el.attrs.from = from.toString();
    if (!to) {
      if (el.attrs.type === 'error' || (name === 'iq' && el.attrs.type === 'result')) return;
      const reply = errorReply(el, new StanzaError('jid-malformed', 'a valid to address is required'));
      reply.attrs.from = this.domain!;
      this.write(reply);
      return;
    }
    el.attrs.to = to.toString();
    return this.registry.router.send(el);
  }

  protected override onClosing(): void {
    if (this.domain) this.registry.detach(this.domain, this);
  }
}

/** The configured components, which of them are connected, and the routes that reach them. */
export class ComponentRegistry {
  #connected = new Map<string, ComponentStream>();
  #unroute: (() => void)[] = [];

  constructor(readonly router: Router, private readonly components: ComponentsConfig, private readonly log: Logger) {}

  /** Claims every configured component domain on the router. */
  start(): void {
    for (const domain of Object.keys(this.components)) {
      const d = nameprep(domain);
      this.#unroute.push(this.router.addRoute(d, (ev) => this.#deliver(d, ev), 'component'));
    }
  }

  #deliver(domain: string, ev: StanzaEvent): void {
    const stream = this.#connected.get(domain);
    if (stream && stream.state === 'open') {
      stream.write(ev.stanza);
      return;
    }
    ev.reply(new StanzaError('service-unavailable', `${domain} is not connected`));
  }

  configured(domain: string): boolean {
    return Object.keys(this.components).some((d) => nameprep(d) === domain);
  }

  checkSecret(domain: string, streamId: string, handshake: string): boolean {
    const entry = Object.entries(this.components).find(([d]) => nameprep(d) === domain);
    if (!entry) return false;
    const expected = Buffer.from(createHash('sha1').update(streamId + entry[1].secret).digest('hex'));
    const given = Buffer.from(handshake.toLowerCase());
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  attach(domain: string, stream: ComponentStream): boolean {
    const current = this.#connected.get(domain);
    if (current && current.state === 'open') return false;
    this.#connected.set(domain, stream);
    return true;
  }

  detach(domain: string, stream: ComponentStream): void {
    if (this.#connected.get(domain) === stream) {
      this.#connected.delete(domain);
      this.log.info({ domain }, 'component disconnected');
    }
  }

  async stop(): Promise<void> {
    for (const s of this.#connected.values()) s.close(new StreamError('system-shutdown'));
    for (const u of this.#unroute) u();
    this.#unroute = [];
  }
}
