// Federation: one outgoing stream per (local, remote) domain pair with a bounded queue while it is being set up,
// bounces for what cannot be delivered, incoming streams, dialback verifications on their own connections,
// connection limits, idle timeouts and XEP-0199 keepalives.
import type net from 'node:net';
import { Element } from 'ltx';
import { StanzaError, StreamError } from '../core/errors.js';
import type { StanzaEvent } from '../core/hookmap.js';
import { dial, DialError } from './dial.js';
import type { S2SEnv } from './env.js';
import { IncomingStream } from './incoming.js';
import { S2S_NS } from './ns.js';
import { OutgoingStream } from './outgoing.js';
import { S2SSocket } from './socket.js';

interface Queued {
  ev: StanzaEvent;
}

interface Route {
  local: string;
  remote: string;
  queue: Queued[];
  stream: OutgoingStream | null;
  connecting: boolean;
}

export class S2SManager {
  #routes = new Map<string, Route>();
  #incoming = new Set<IncomingStream>();
  #outgoing = new Set<OutgoingStream>();
  #dialing = 0;
  #stopping = false;

  constructor(private readonly env: S2SEnv) {}

  /** Open s2s connections: incoming, outgoing (including dialback verifications) and those being dialled. */
  get connectionCount(): number {
    return this.#incoming.size + this.#outgoing.size + this.#dialing;
  }

  /** For tests and metrics: the authenticated streams. */
  snapshot(): { incoming: { peer: string | null; pairs: string[]; methods: string[] }[]; outgoing: { local: string; remote: string; ready: boolean; auth: string | null; pings: number; pongs: number; locals: string[] }[] } {
    return {
      incoming: [...this.#incoming].map((s) => ({ peer: s.peerDomain, pairs: [...s.pairs].map((p) => p.replace('\0', '->')), methods: [...s.methods.values()] })),
      outgoing: [...this.#outgoing].filter((s) => s.mode.kind === 'stanzas').map((s) => ({ local: s.local, remote: s.remote, ready: s.ready, auth: s.auth, pings: s.pings, pongs: s.pongs, locals: [...s.locals] })),
    };
  }

  #wrap(socket: net.Socket): S2SSocket {
    return new S2SSocket(socket, S2S_NS.SERVER, (chain) => this.env.tls.trust.verify(chain));
  }

  // ---- outgoing ----

  /** The route/remote handler: a stanza for a domain we do not serve. */
  send(ev: StanzaEvent): void {
    const local = ev.from.domain;
    const remote = ev.to.domain;
    if (this.#stopping) return ev.reply(new StanzaError('remote-server-not-found', 'the server is shutting down'));
    const key = `${local}\0${remote}`;
    let route = this.#routes.get(key);
    if (!route) {
      route = { local, remote, queue: [], stream: null, connecting: false };
      this.#routes.set(key, route);
    }
    if (route.stream?.ready) {
      route.stream.sendStanza(ev.stanza);
      return;
    }
    if (route.queue.length >= this.env.s2s.queueSize) {
      return ev.reply(new StanzaError('resource-constraint', `too many stanzas waiting for the connection to ${remote}`));
    }
    route.queue.push({ ev });
    if (!route.connecting) void this.#connect(route, key);
  }

  #bounce(route: Route, condition: 'remote-server-not-found' | 'remote-server-timeout' | 'resource-constraint', text: string): void {
    const queue = route.queue;
    route.queue = [];
    for (const q of queue) q.ev.reply(new StanzaError(condition, text));
  }

  /** An authenticated stream to `remote` from another of our domains that `local` can join (piggybacking). */
  #shareable(local: string, remote: string): OutgoingStream | null {
    for (const s of this.#outgoing) {
      if (s.mode.kind === 'stanzas' && s.remote === remote && !s.locals.has(local) && s.canPiggyback) return s;
    }
    return null;
  }

  /** Uses `stream` for `route` from now on: stanzas flow, and the route forgets it when it closes. */
  #attach(route: Route, key: string, stream: OutgoingStream): void {
    route.stream = stream;
    stream.onClose(() => {
      if (route.stream !== stream) return;
      route.stream = null;
      if (route.queue.length === 0) this.#routes.delete(key);
      else if (!route.connecting) void this.#connect(route, key);
    });
    const queue = route.queue;
    route.queue = [];
    for (const q of queue) stream.sendStanza(q.ev.stanza);
  }

  async #connect(route: Route, key: string): Promise<void> {
    const s2s = this.env.s2s;
    const shared = this.#shareable(route.local, route.remote);
    if (shared) {
      route.connecting = true;
      const ok = await shared.piggyback(route.local);
      route.connecting = false;
      if (ok && shared.ready) {
        this.#attach(route, key, shared);
        return;
      }
      if (route.queue.length === 0) return;
    }
    if (this.connectionCount >= s2s.maxConnections) {
      this.#bounce(route, 'resource-constraint', 'too many server-to-server connections');
      this.#routes.delete(key);
      return;
    }
    route.connecting = true;
    const deadline = Date.now() + s2s.connectTimeoutSeconds * 1000;
    let timedOut = false;
    let current: OutgoingStream | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      current?.close(new StreamError('connection-timeout', 'authentication took too long'));
      finish('remote-server-timeout', `no authenticated connection to ${route.remote} within ${s2s.connectTimeoutSeconds} s`);
    }, s2s.connectTimeoutSeconds * 1000);
    timer.unref();
    let finished = false;
    const finish = (condition: 'remote-server-not-found' | 'remote-server-timeout' | null, text = '') => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      route.connecting = false;
      if (condition) {
        this.env.log.info({ local: route.local, remote: route.remote, condition, text }, 's2s delivery failed');
        this.#bounce(route, condition, text);
        if (this.#routes.get(key) === route && !route.stream) this.#routes.delete(key);
      }
    };

    let socket: net.Socket;
    this.#dialing++;
    try {
      ({ socket } = await dial(this.env, route.local, route.remote, deadline, () => timedOut || this.#stopping));
    } catch (err) {
      finish(err instanceof DialError ? err.condition : 'remote-server-not-found', (err as Error).message);
      return;
    } finally {
      this.#dialing--;
    }
    if (finished) {
      socket.destroy();
      return;
    }
    const stream = new OutgoingStream(this.#wrap(socket), this.env, route.local, route.remote, { kind: 'stanzas' });
    current = stream;
    this.#outgoing.add(stream);
    stream.onClose(() => this.#outgoing.delete(stream));
    stream.start({
      ready: () => {
        if (finished) return;
        finish(null);
        this.#attach(route, key, stream);
      },
      failed: (reason) => finish('remote-server-not-found', `cannot authenticate with ${route.remote}: ${reason}`),
    });
  }

  // ---- dialback verification (we are the receiving server asking the authoritative one) ----

  async verifyDialback(receiving: string, originating: string, streamId: string, key: string): Promise<boolean> {
    const s2s = this.env.s2s;
    if (this.connectionCount >= s2s.maxConnections) throw new Error('too many server-to-server connections');
    const deadline = Date.now() + s2s.connectTimeoutSeconds * 1000;
    let timedOut = false;
    this.#dialing++;
    let socket: net.Socket;
    try {
      ({ socket } = await dial(this.env, receiving, originating, deadline, () => timedOut || this.#stopping));
    } finally {
      this.#dialing--;
    }
    const stream = new OutgoingStream(this.#wrap(socket), this.env, receiving, originating, { kind: 'verify', streamId, key });
    this.#outgoing.add(stream);
    stream.onClose(() => this.#outgoing.delete(stream));
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        timedOut = true;
        stream.close(new StreamError('connection-timeout', 'dialback verification took too long'));
        reject(new Error(`no dialback answer from ${originating} in time`));
      }, Math.max(0, deadline - Date.now()));
      timer.unref();
      stream.start({
        verified: (valid) => {
          clearTimeout(timer);
          resolve(valid);
        },
        failed: (reason) => {
          clearTimeout(timer);
          reject(new Error(reason));
        },
      });
    });
  }

  // ---- incoming ----

  accept(socket: net.Socket): void {
    const stream = new IncomingStream(this.#wrap(socket), this.env, {
      verifyDialback: (r, o, id, key) => this.verifyDialback(r, o, id, key),
    });
    if (this.#stopping) return stream.close(new StreamError('system-shutdown'));
    if (this.connectionCount >= this.env.s2s.maxConnections) {
      stream.close(new StreamError('resource-constraint', 'too many server-to-server connections'));
      return;
    }
    this.#incoming.add(stream);
    stream.onClose(() => this.#incoming.delete(stream));
  }

  // ---- timers ----

  /** Auth and idle timeouts, and XEP-0199 pings on quiet outgoing streams. */
  sweep(now: number): void {
    const s2s = this.env.s2s;
    for (const s of this.#incoming) {
      if (s.state !== 'open') continue;
      if (!s.authenticated && now - s.connectedAt > s2s.authTimeoutSeconds * 1000) s.close(new StreamError('connection-timeout', 'authentication took too long'));
      else if (now - s.lastRead > s2s.idleTimeoutSeconds * 1000) s.close();
    }
    for (const s of this.#outgoing) {
      if (s.mode.kind !== 'stanzas' || !s.ready) continue;
      if (now - s.lastStanza > s2s.idleTimeoutSeconds * 1000) {
        s.log.debug('closing idle outgoing s2s stream');
        s.close();
      } else if (now - s.lastWrite > s2s.keepaliveSeconds * 1000 && s.pingId === null) {
        this.#ping(s);
      }
    }
  }

  #ping(s: OutgoingStream): void {
    const tracker = this.env.router.tracker;
    const id = tracker.nextId();
    s.pingId = id;
    const timeoutMs = this.env.s2s.pingTimeoutSeconds * 1000;
    s.pings++;
    tracker.track(id, s.remote, timeoutMs).then(() => {
      s.pongs++;
    }, (err: StanzaError) => {
      // Any answer, even an error, shows the link is alive; only silence closes it.
      if (!(err.condition === 'remote-server-timeout' && err.text?.startsWith('no answer'))) s.pongs++;
      else {
        s.log.info('no answer to an s2s keepalive ping; closing the stream');
        s.close(new StreamError('connection-timeout', 'no answer to a ping'));
      }
    }).finally(() => {
      if (s.pingId === id) s.pingId = null;
    });
    const ping = new Element('iq', { type: 'get', id, from: s.local, to: s.remote });
    ping.c('ping', { xmlns: S2S_NS.PING });
    s.sendKeepalive(ping);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const route of this.#routes.values()) this.#bounce(route, 'remote-server-not-found', 'the server is shutting down');
    const all = [...this.#incoming, ...this.#outgoing];
    for (const s of all) s.close(new StreamError('system-shutdown'));
    const deadline = Date.now() + this.env.config.limits.closeTimeoutSeconds * 1000 + 500;
    while (this.#incoming.size + this.#outgoing.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
