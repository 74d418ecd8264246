// BOSH (XEP-0124) with the XMPP profile (XEP-0206): each BOSH session is a Transport under the same C2S state
// machine as TCP. Payloads from a request's <body/> are fed to the session's parser one element at a time (the
// parser's websocket framing, which also turns <open/> and <close/> into stream start and end), in 'rid' order; what
// the session writes is queued and returned in the bodies of held requests.
//
// Implemented: session creation (to, wait, hold, ver, xmpp:version, xml:lang), rid ordering within a window of
// 'requests', replay of buffered responses for a repeated rid, item-not-found for a rid out of the window or too old,
// long polling (wait), hold, inactivity, pause/maxpause, terminate (both ways), xmpp:restart, stream errors as
// remote-stream-error. Not implemented (optional): acknowledgements, key sequencing, multiple streams, 'content'.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Element } from 'ltx';
import type { ChannelBinding } from '../auth/types.js';
import { noChannelBinding } from '../auth/mechanisms.js';
import type { Logger } from '../log.js';
import { NS } from '../xml/ns.js';
import { StreamParser } from '../xml/parser.js';
import type { Transport, TransportHandlers } from './transport.js';
import type { HttpRequest } from './http/types.js';
import { CLOSE_ELEMENT, openElement, standaloneXml } from './standalone.js';
import { escapeAttr } from '../xml/serialize.js';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
export const NS_XBOSH = 'urn:xmpp:xbosh';
const BOSH_VERSION: [number, number] = [1, 11];
const MAX_RID = 9007199254740991;   // 2^53 - 1 (XEP-0124 §14.1)

export type BoshCondition =
  | 'bad-request' | 'host-gone' | 'host-unknown' | 'improper-addressing' | 'internal-server-error'
  | 'item-not-found' | 'other-request' | 'policy-violation' | 'remote-connection-failed'
  | 'remote-stream-error' | 'see-other-uri' | 'system-shutdown' | 'undefined-condition';

export interface BoshOptions {
  /** Longest 'wait' granted (s). */
  maxWait: number;
  /** Most requests held at once ('hold' granted is at most this). */
  maxHold: number;
  /** Longest time without a held request before the session is dropped (s). */
  inactivity: number;
  /** Longest pause a client may ask for (s). */
  maxPause: number;
  /** Largest request body (bytes). */
  maxBodyBytes: number;
  /** XML limits for a request body (depth and element count, as for c2s stanzas). */
  maxDepth: number;
  maxChildren: number;
}

export interface BoshEnv {
  accept(transport: Transport): void;
  log: Logger;
}

const CONTENT_TYPE = 'text/xml; charset=utf-8';

function terminateBody(condition?: BoshCondition, inner = ''): string {
  const cond = condition ? ` condition='${condition}'` : '';
  return inner
    ? `<body xmlns='${NS_HTTPBIND}' xmlns:stream='${NS.STREAMS}' type='terminate'${cond}>${inner}</body>`
    : `<body xmlns='${NS_HTTPBIND}' type='terminate'${cond}/>`;
}

function reply(res: ServerResponse, body: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.statusCode = 200;
  res.setHeader('Content-Type', CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

const STREAM_HEADER = `<stream:stream xmlns='${NS.CLIENT}' xmlns:stream='${NS.STREAMS}'>`;
const XML_DECL = /^\s*<\?xml\s[^?]*\?>/;

/** Parses a request body with the stream parser (the same strictness as c2s); null when it is not one <body/>. */
export function parseBody(buf: Buffer, o: Pick<BoshOptions, 'maxBodyBytes' | 'maxDepth' | 'maxChildren'>): Element | null {
  let text = buf.toString('utf8');
  if (!buf.equals(Buffer.from(text, 'utf8'))) return null;   // not valid UTF-8
  text = text.replace(XML_DECL, '');
  let root: Element | null = null;
  let count = 0;
  let ended = false;
  let failed = false;
  const parser = new StreamParser({
    onStreamStart: () => undefined,
    onElement: (el) => {
      count++;
      root = el;
    },
    onStreamEnd: () => {
      ended = true;
    },
    onError: () => {
      failed = true;
    },
  }, { maxStanzaBytes: o.maxBodyBytes + 64, maxDepth: o.maxDepth + 1, maxChildren: o.maxChildren }, { framing: 'stream' });
  parser.write(STREAM_HEADER);
  if (!failed) parser.write(text);
  if (!failed) parser.write('</stream:stream>');
  if (failed || !ended || count !== 1) return null;
  const body = root as Element | null;
  if (!body || body.name !== 'body' || body.attrs.xmlns !== NS_HTTPBIND) return null;
  return body;
}

/** An attribute in the urn:xmpp:xbosh namespace, whatever prefix the client bound it to. */
function xboshAttr(body: Element, local: string): string | undefined {
  for (const k in body.attrs) {
    if (k.startsWith('xmlns:') && body.attrs[k] === NS_XBOSH) {
      const v = body.attrs[`${k.slice(6)}:${local}`];
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

function parseUint(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return n <= MAX_RID ? n : null;
}

function parseVersion(v: string | undefined): [number, number] | null {
  const m = v ? /^(\d{1,4})\.(\d{1,4})$/.exec(v) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** The payload elements of a <body/>, each serialised to stand on its own as one frame for the parser. */
function payloads(body: Element): string[] {
  const out: string[] = [];
  const decls: [string, string][] = [];
  for (const k in body.attrs) if (k.startsWith('xmlns:')) decls.push([k, body.attrs[k]!]);
  for (const child of body.children) {
    if (typeof child === 'string') continue;
    // XEP-0206 §: stanzas are qualified by jabber:client; an unqualified child would otherwise be in httpbind's.
    if (child.attrs.xmlns === undefined) child.attrs.xmlns = NS.CLIENT;
    for (const [k, v] of decls) if (child.attrs[k] === undefined) child.attrs[k] = v;
    out.push(child.toString());
  }
  return out;
}

interface Held {
  rid: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

interface Waiting {
  body: Element;
  res: ServerResponse;
  secure: boolean;
}

/** One BOSH session: a Transport for its C2S session, fed by the requests that carry its sid. */
export class BoshSession implements Transport {
  readonly kind = 'bosh';
  readonly framing = 'websocket';
  readonly canStartTls = false;
  readonly channelBinding: ChannelBinding = noChannelBinding;
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly servername: string | null = null;
  readonly sid: string;
  readonly wait: number;
  readonly hold: number;
  readonly requests: number;

  #opts: BoshOptions;
  #log: Logger;
  #onGone: (s: BoshSession) => void;
  #handlers: TransportHandlers | null = null;
  #lastRid: number;
  #creationRid: number;
  #ver: string;
  #lang: string;
  #to: string;
  #held: Held[] = [];
  #waiting = new Map<number, Waiting>();
  #responses = new Map<number, string>();
  #out: string[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  #streamAttrs: Record<string, string> = {};
  #streamError: string | null = null;
  #clientTerminate: Held | null = null;
  #terminal: string | null = null;   // the final body once the stream is over; answers every later request
  #closed = false;
  #paused = false;
  #inactivityMs: number;
  #inactivityTimer: NodeJS.Timeout | null = null;

  constructor(init: { body: Element; rid: number; req: HttpRequest; opts: BoshOptions; log: Logger; onGone: (s: BoshSession) => void }) {
    const { body, opts } = init;
    this.#opts = opts;
    this.#onGone = init.onGone;
    this.sid = randomBytes(18).toString('base64url');
    this.remoteAddress = init.req.remoteAddress;
    this.secure = init.req.secure;
    this.#log = init.log.child({ bosh: this.sid.slice(0, 8) });
    const wait = parseUint(body.attrs.wait);
    const hold = parseUint(body.attrs.hold);
    this.wait = Math.min(wait ?? opts.maxWait, opts.maxWait);
    this.hold = Math.min(hold ?? 1, opts.maxHold);
    this.requests = Math.max(2, this.hold + 1);
    this.#lastRid = init.rid;
    this.#creationRid = init.rid;
    const clientVer = parseVersion(body.attrs.ver) ?? BOSH_VERSION;
    const ver = clientVer[0] < BOSH_VERSION[0] || (clientVer[0] === BOSH_VERSION[0] && clientVer[1] < BOSH_VERSION[1]) ? clientVer : BOSH_VERSION;
    this.#ver = `${ver[0]}.${ver[1]}`;
    this.#lang = body.attrs['xml:lang'] ?? 'en';
    this.#to = body.attrs.to ?? '';
    this.#inactivityMs = opts.inactivity * 1000;
  }

  /** Starts the stream: the creation request is held for the stream features. `accept` creates the C2S session,
   *  which may refuse at once (connection limits): its stream error then answers the creation request. */
  start(res: ServerResponse, version: string | undefined, accept: (t: Transport) => void): void {
    accept(this);
    // The header (hence authid and from) is written at once; the features may follow asynchronously.
    this.#feedOpen(version);
    if (this.#terminal !== null) {
      reply(res, this.#terminal);
      this.#gone();
      return;
    }
    this.#hold(this.#creationRid, res);
  }

  get bufferedBytes(): number {
    return this.#outBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- requests ----

  receive(body: Element, rid: number, res: ServerResponse, secure: boolean): void {
    if (this.#terminal !== null) {
      reply(res, this.#terminal);
      this.#gone();
      return;
    }
    if (rid <= this.#lastRid) {
      // A resent request (XEP-0124 §14.3): the buffered response, or take the place of the one still held.
      const buffered = this.#responses.get(rid);
      if (buffered !== undefined) {
        reply(res, buffered);
        return;
      }
      const held = this.#held.find((h) => h.rid === rid);
      if (held) {
        reply(held.res, this.#wrap([], {}));
        held.res = res;
        this.#watch(held);
        return;
      }
      this.terminate('item-not-found', res);
      return;
    }
    if (rid > this.#lastRid + this.requests) {
      this.terminate('item-not-found', res);
      return;
    }
    const again = this.#waiting.get(rid);
    if (again) reply(again.res, this.#wrap([], {}));
    this.#waiting.set(rid, { body, res, secure });
    const special = body.attrs.type === 'terminate' || body.attrs.pause !== undefined;
    if (!special && !this.#paused && this.#held.length + this.#waiting.size > this.requests) {
      // §11: more simultaneous requests than 'requests' allows.
      this.terminate('policy-violation', res);
      return;
    }
    this.#drain();
  }

  #drain(): void {
    while (!this.#paused && this.#terminal === null) {
      const next = this.#waiting.get(this.#lastRid + 1);
      if (!next) return;
      this.#waiting.delete(this.#lastRid + 1);
      this.#lastRid++;
      this.#process(this.#lastRid, next);
    }
  }

  #process(rid: number, { body, res, secure }: Waiting): void {
    this.#clearInactivity();
    this.#inactivityMs = this.#opts.inactivity * 1000;   // a pause lasts until the next request
    if (this.secure && !secure) {
      // The session's sid and rid just crossed an unencrypted channel: it cannot be trusted any more.
      this.terminate('policy-violation', res);
      return;
    }
    if (body.attrs.type === 'terminate') {
      for (const p of payloads(body)) this.#feed(p);
      this.#clientTerminate = { rid, res, timer: setTimeout(() => this.#finishClientTerminate(), 2000) };
      this.#clientTerminate.timer.unref();
      this.#answerAllHeld();
      this.#feed(CLOSE_ELEMENT);
      return;
    }
    if (body.attrs.pause !== undefined) {
      const pause = parseUint(body.attrs.pause);
      if (pause === null) {
        this.terminate('bad-request', res);
        return;
      }
      // §12: answer everything held now (the pause response carries no payloads), then wait up to `pause`.
      for (const p of payloads(body)) this.#feed(p);
      this.#answerAllHeld();
      reply(res, this.#wrap([], {}));
      this.#inactivityMs = Math.min(pause, this.#opts.maxPause) * 1000;
      this.#startInactivity();
      return;
    }
    const restart = xboshAttr(body, 'restart');
    if (restart === 'true' || restart === '1') {
      if (body.attrs['xml:lang']) this.#lang = body.attrs['xml:lang'];
      if (body.attrs.to) this.#to = body.attrs.to;
      this.#hold(rid, res);
      this.#feedOpen('1.0');
    } else {
      this.#hold(rid, res);
      for (const p of payloads(body)) this.#feed(p);
    }
  }

  #feedOpen(version: string | undefined): void {
    const attrs: Record<string, string> = { to: this.#to, 'xml:lang': this.#lang };
    if (version !== undefined) attrs.version = version;
    this.#feed(openElement(attrs));
  }

  #feed(frame: string): void {
    if (this.#closed) return;
    this.#handlers?.data(Buffer.from(frame, 'utf8'));
  }

  #hold(rid: number, res: ServerResponse): void {
    const held: Held = { rid, res, timer: setTimeout(() => this.#expire(held), this.wait * 1000) };
    held.timer.unref();
    this.#held.push(held);
    this.#watch(held);
    // §7: never hold more than 'hold' requests: the oldest is answered now.
    while (this.#held.length > this.hold) this.#answerOldest();
    if (this.#out.length > 0) this.#scheduleFlush();
  }

  /** A client that gives up on a held request (the connection closed) no longer counts as held. */
  #watch(held: Held): void {
    const res = held.res;
    res.once('close', () => {
      if (res.writableFinished || held.res !== res) return;
      const i = this.#held.indexOf(held);
      if (i >= 0) {
        clearTimeout(held.timer);
        this.#held.splice(i, 1);
        if (this.#held.length === 0) this.#startInactivity();
      }
    });
  }

  #expire(held: Held): void {
    // Answer in rid order: everything held before this one goes first.
    while (this.#held.length > 0 && this.#held.includes(held)) this.#answerOldest();
  }

  #answerOldest(): void {
    const held = this.#held.shift();
    if (!held) return;
    clearTimeout(held.timer);
    const items = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    const body = this.#wrap(items, held.rid === this.#creationRid ? this.#creationAttrs() : {});
    this.#remember(held.rid, body);
    reply(held.res, body);
    if (this.#held.length === 0 && this.#terminal === null) this.#startInactivity();
  }

  #answerAllHeld(): void {
    while (this.#held.length > 0) this.#answerOldest();
  }

  #remember(rid: number, body: string): void {
    this.#responses.set(rid, body);
    for (const k of this.#responses.keys()) {
      if (this.#responses.size <= this.requests) break;
      this.#responses.delete(k);
    }
  }

  #creationAttrs(): Record<string, string> {
    const a: Record<string, string> = {
      sid: this.sid,
      wait: String(this.wait),
      hold: String(this.hold),
      requests: String(this.requests),
      inactivity: String(this.#opts.inactivity),
      maxpause: String(this.#opts.maxPause),
      ver: this.#ver,
      'xmlns:xmpp': NS_XBOSH,
      'xmpp:version': '1.0',
      'xmpp:restartlogic': 'true',
    };
    if (this.#streamAttrs.from) a.from = this.#streamAttrs.from;
    if (this.#streamAttrs.id) a.authid = this.#streamAttrs.id;
    return a;
  }

  #wrap(items: string[], attrs: Record<string, string>): string {
    let s = `<body xmlns='${NS_HTTPBIND}' xmlns:stream='${NS.STREAMS}'`;
    for (const k in attrs) s += ` ${k}='${escapeAttr(attrs[k]!)}'`;
    return items.length === 0 ? `${s}/>` : `${s}>${items.join('')}</body>`;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // One response carries everything the session wrote in this turn of the event loop.
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#out.length > 0 && this.#held.length > 0) this.#answerOldest();
    });
  }

  // ---- inactivity ----

  #startInactivity(): void {
    this.#clearInactivity();
    this.#inactivityTimer = setTimeout(() => {
      this.#log.debug('BOSH session inactive: dropped');
      this.#terminal = null;
      this.#closeTransport('BOSH session inactive');
      this.#gone();
    }, this.#inactivityMs);
    this.#inactivityTimer.unref();
  }

  #clearInactivity(): void {
    if (this.#inactivityTimer) clearTimeout(this.#inactivityTimer);
    this.#inactivityTimer = null;
  }

  // ---- ending ----

  /** Ends the session with a terminal binding condition (§17.2), answering `res` and everything held. */
  terminate(condition: BoshCondition, res?: ServerResponse): void {
    const body = terminateBody(condition);
    this.#terminal = body;
    for (const h of this.#held.splice(0)) {
      clearTimeout(h.timer);
      reply(h.res, body);
    }
    for (const w of this.#waiting.values()) reply(w.res, body);
    this.#waiting.clear();
    if (res) reply(res, body);
    this.#closeTransport(`BOSH ${condition}`);
    this.#gone();
  }

  #finishClientTerminate(): void {
    const t = this.#clientTerminate;
    if (!t) return;
    this.#clientTerminate = null;
    clearTimeout(t.timer);
    const items = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    reply(t.res, this.#wrap(items, { type: 'terminate' }));
    this.#terminal = terminateBody();
    this.#closeTransport('client terminated the BOSH session');
    this.#gone();
  }

  /** The stream is over (our footer is written): the final body goes to a held request, or waits for the next one. */
  #streamOver(): void {
    if (this.#clientTerminate) {
      this.#finishClientTerminate();
      return;
    }
    const items = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    let condition: BoshCondition | undefined;
    if (this.#streamError === 'host-unknown') condition = 'host-unknown';
    else if (this.#streamError !== null) condition = 'remote-stream-error';
    const body = terminateBody(condition, items.join(''));
    this.#terminal = body;
    const held = this.#held.splice(0);
    for (const h of held) {
      clearTimeout(h.timer);
      reply(h.res, body);
    }
    this.#closeTransport('stream closed');
    if (held.length > 0) this.#gone();
    else this.#startInactivity();   // kept until the client's next request picks the final body up
  }

  #closeTransport(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.closed(reason);
  }

  #gone(): void {
    this.#clearInactivity();
    for (const h of this.#held.splice(0)) clearTimeout(h.timer);
    for (const w of this.#waiting.values()) reply(w.res, this.#terminal ?? terminateBody('item-not-found'));
    this.#waiting.clear();
    this.#onGone(this);
  }

  // ---- Transport ----

  setHandlers(h: TransportHandlers): void {
    this.#handlers = h;
  }

  writeHeader(attrs: Record<string, string>): void {
    // The stream id and host go into the session creation response as authid and from (XEP-0206 §).
    this.#streamAttrs = attrs;
  }

  writeElement(el: Element): void {
    if (this.#closed || this.#terminal !== null) return;
    if (el.name === 'stream:error') {
      const cond = el.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS.STREAM_ERRORS);
      this.#streamError = cond?.name ?? 'undefined-condition';
    }
    const s = standaloneXml(el, true);   // every response <body/> declares the stream prefix
    this.#out.push(s);
    this.#outBytes += s.length;
    this.#scheduleFlush();
  }

  /** No whitespace keepalives: the 'wait' timer answers held requests. */
  writeRaw(): void {}

  writeFooter(): void {
    if (this.#terminal !== null) return;
    this.#streamOver();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#drain();
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error('STARTTLS is not available over BOSH'));
  }

  end(): void {
    this.#closeTransport('stream closed');
  }

  destroy(): void {
    if (!this.#closed && this.#terminal === null) this.terminate('undefined-condition');
    else this.#closeTransport('closed by server');
  }
}

/** The connection manager: finds or creates the session for each request. */
export class BoshManager {
  #sessions = new Map<string, BoshSession>();

  constructor(private readonly opts: BoshOptions, private readonly env: BoshEnv) {}

  get size(): number {
    return this.#sessions.size;
  }

  /** Handles one POST to the BOSH endpoint. */
  async handle(req: HttpRequest, res: ServerResponse): Promise<void> {
    const buf = await req.body(this.opts.maxBodyBytes);
    const body = parseBody(buf, this.opts);
    if (!body) {
      reply(res, terminateBody('bad-request'));
      return;
    }
    const sid = body.attrs.sid;
    const rid = parseUint(body.attrs.rid);
    if (sid === undefined) {
      this.#create(body, rid, req, res);
      return;
    }
    const session = this.#sessions.get(sid);
    if (!session) {
      reply(res, terminateBody('item-not-found'));
      return;
    }
    if (rid === null) {
      session.terminate('bad-request', res);
      return;
    }
    session.receive(body, rid, res, req.secure);
  }

  #create(body: Element, rid: number | null, req: HttpRequest, res: ServerResponse): void {
    if (rid === null) {
      reply(res, terminateBody('bad-request'));
      return;
    }
    if (!body.attrs.to) {
      reply(res, terminateBody('improper-addressing'));
      return;
    }
    const session = new BoshSession({
      body, rid, req, opts: this.opts, log: this.env.log,
      onGone: (s) => {
        if (this.#sessions.get(s.sid) === s) this.#sessions.delete(s.sid);
      },
    });
    this.#sessions.set(session.sid, session);
    session.start(res, xboshAttr(body, 'version'), this.env.accept);
  }

  /** Drops every session (module unload). */
  close(): void {
    for (const s of [...this.#sessions.values()]) s.terminate('system-shutdown');
    this.#sessions.clear();
  }
}
