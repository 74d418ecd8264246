// The load generator's own XMPP client: raw sockets, optional STARTTLS, SCRAM, resource binding, presence, and
// in-band registration (to create accounts on the anchors). Deliberately small: no XML tree, no validation, so the
// client's own cost per stanza stays far below the server's.
import { ScramSession, type ScramMechanism } from './scram.js';
import { TcpWire, WsWire, type TransportKind, type Wire, type WireEvents } from './wire.js';
import { attr, childText } from './xmlscan.js';

export interface ServerTarget {
  /** XMPP domain */
  domain: string;
  address: string;
  port: number;
  /** tcp (default): the c2s port; ws: XMPP over WebSocket (RFC 7395) at wsUrl. */
  transport?: TransportKind;
  wsUrl?: string;
}

export interface LoginOptions {
  username: string;
  password: string;
  resource?: string;
  tls?: boolean; // STARTTLS
  mechanism?: ScramMechanism;
  /** Send initial presence after binding. */
  presence?: boolean;
  timeoutMs?: number;
}

export class XmppError extends Error {}

export class BenchClient {
  #wire!: Wire;
  jid = '';
  #onStanza: ((raw: string) => void) | null = null;
  closed = false;
  #queue: string[] = [];
  #waiter: { resolve: (s: string) => void; reject: (e: Error) => void } | null = null;
  #out: string[] = [];
  #flushScheduled = false;
  #closeListeners: (() => void)[] = [];

  private constructor(readonly target: ServerTarget) {}

  static async connect(target: ServerTarget, timeoutMs = 10_000): Promise<BenchClient> {
    const c = new BenchClient(target);
    const ev: WireEvents = {
      element: (raw) => c.#onElement(raw),
      streamEnd: () => c.#fail(new XmppError('server closed the stream')),
      error: (e) => c.#fail(e),
      close: () => c.#fail(new XmppError('connection closed')),
    };
    if (target.transport === 'ws') {
      if (!target.wsUrl) throw new XmppError('the WebSocket transport needs target.wsUrl');
      c.#wire = await WsWire.connect(target.wsUrl, ev, timeoutMs);
    } else {
      c.#wire = await TcpWire.connect(target.address, target.port, ev, timeoutMs);
    }
    return c;
  }

  /** Connects, authenticates and binds (and sends presence if asked). */
  static async login(target: ServerTarget, o: LoginOptions): Promise<BenchClient> {
    const c = await BenchClient.connect(target, o.timeoutMs);
    try {
      await c.#login(o);
      return c;
    } catch (err) {
      c.destroy();
      throw err;
    }
  }

  /** Creates an account with XEP-0077 in-band registration. Resolves false if it exists already. */
  static async register(target: ServerTarget, username: string, password: string, useTls = false): Promise<boolean> {
    const c = await BenchClient.connect(target);
    try {
      await c.#open(useTls);
      c.send(`<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>${username}</username><password>${password}</password></query></iq>`);
      const r = await c.next(10_000);
      if (attr(r, 'type') === 'result') return true;
      if (r.includes('<conflict')) return false;
      throw new XmppError(`registration of ${username} failed: ${r.slice(0, 300)}`);
    } finally {
      c.close();
    }
  }

  /** Called for each top-level element once the client is online; elements queued before go to it first. */
  get onStanza(): ((raw: string) => void) | null {
    return this.#onStanza;
  }

  set onStanza(f: ((raw: string) => void) | null) {
    this.#onStanza = f;
    if (f) {
      const q = this.#queue;
      this.#queue = [];
      for (const raw of q) f(raw);
    }
  }

  #onElement(raw: string): void {
    const f = this.#onStanza;
    if (f && !this.#waiter) {
      f(raw);
      return;
    }
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w.resolve(raw);
    } else this.#queue.push(raw);
  }

  #fail(err: Error): void {
    if (!this.closed) {
      this.closed = true;
      for (const f of this.#closeListeners) f();
      this.#closeListeners = [];
    }
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w.reject(err);
    }
  }

  onClose(f: () => void): void {
    if (this.closed) f();
    else this.#closeListeners.push(f);
  }

  /** The next top-level element. */
  next(timeoutMs = 10_000): Promise<string> {
    const q = this.#queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    if (this.closed) return Promise.reject(new XmppError('connection closed'));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiter = null;
        reject(new XmppError(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = {
        resolve: (s) => { clearTimeout(t); resolve(s); },
        reject: (e) => { clearTimeout(t); reject(e); },
      };
    });
  }

  /** The next element whose text matches `re`, skipping others. */
  async expect(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const el = await this.next(Math.max(1, deadline - Date.now()));
      if (re.test(el)) return el;
    }
  }

  /** Writes one element now. */
  send(s: string): void {
    if (!this.closed) this.#wire.write([s]);
  }

  /** Writes at the end of this tick, with whatever else was queued for this client (one syscall). */
  queue(s: string): void {
    this.#out.push(s);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(() => {
        this.#flushScheduled = false;
        const out = this.#out;
        this.#out = [];
        if (!this.closed) this.#wire.write(out);
      });
    }
  }

  #header(): void {
    this.#wire.open(this.target.domain);
  }

  async #features(): Promise<string> {
    const f = await this.expect(/^<stream:features/);
    return f;
  }

  /** Opens the stream (and negotiates STARTTLS when asked); resolves with the pre-auth features. */
  async #open(useTls: boolean): Promise<string> {
    this.#header();
    let features = await this.#features();
    if (useTls) {
      if (!features.includes('urn:ietf:params:xml:ns:xmpp-tls')) throw new XmppError('server offers no STARTTLS');
      this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      await this.expect(/^<proceed/);
      await this.#wire.startTls(this.target.domain);
      this.#header();
      features = await this.#features();
    }
    return features;
  }

  async #login(o: LoginOptions): Promise<void> {
    const timeout = o.timeoutMs ?? 20_000;
    const mech = o.mechanism ?? 'SCRAM-SHA-1';
    const features = await this.#open(o.tls ?? false);
    if (!features.includes(`>${mech}<`)) throw new XmppError(`server does not offer ${mech}: ${features.slice(0, 400)}`);
    const scram = new ScramSession(mech, o.username, o.password);
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mech}'>${scram.first()}</auth>`);
    const challenge = await this.next(timeout);
    if (!challenge.startsWith('<challenge')) throw new XmppError(`SASL failed for ${o.username}: ${challenge.slice(0, 300)}`);
    this.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${await scram.final(textOf(challenge))}</response>`);
    const outcome = await this.next(timeout);
    if (!outcome.startsWith('<success')) throw new XmppError(`SASL failed for ${o.username}: ${outcome.slice(0, 300)}`);
    if (!scram.verify(textOf(outcome))) throw new XmppError('server signature did not verify');
    this.#header();
    await this.#features();
    const res = o.resource ? `<resource>${o.resource}</resource>` : '';
    this.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>${res}</bind></iq>`);
    const bound = await this.expect(/^<iq/, timeout);
    const jid = childText(bound, 'jid');
    if (attr(bound, 'type') !== 'result' || !jid) throw new XmppError(`bind failed: ${bound.slice(0, 300)}`);
    this.jid = jid;
    if (o.presence) this.send('<presence/>');
  }

  /** Ends the stream politely and closes the socket without waiting for the server's answer. */
  close(): void {
    if (this.closed) return;
    this.#wire.closeStream();
    this.#wire.end();
    this.#wire.destroy();
    this.closed = true;
  }

  /** Ends the stream and waits (briefly) for the server to close its side. */
  closeGracefully(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wire.destroy();
        resolve();
      }, timeoutMs);
      this.onClose(() => {
        clearTimeout(t);
        // Over WebSocket the server answers <close/> and the client ends the connection (RFC 7395 §3.6).
        this.#wire.end();
        resolve();
      });
      this.#wire.closeStream();
    });
  }

  destroy(): void {
    this.closed = true;
    this.#wire.destroy();
  }
}

function textOf(raw: string): string {
  const a = raw.indexOf('>');
  const b = raw.lastIndexOf('</');
  return a >= 0 && b > a ? raw.slice(a + 1, b) : '';
}
