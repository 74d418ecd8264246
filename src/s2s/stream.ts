// What every server-side stream here shares (incoming s2s, outgoing s2s, components): the strict parser with the
// c2s limits, in-order processing of elements with back-pressure, stream errors, and the closing handshake.
import { randomBytes } from 'node:crypto';
import { Element } from 'ltx';
import { StreamError } from '../core/errors.js';
import type { LimitsConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { NS } from '../xml/ns.js';
import { StreamParser, type ParserErrorCondition } from '../xml/parser.js';
import { InputQueue } from '../stream/input-queue.js';
import type { S2SSocket } from './socket.js';

type Item =
  | { kind: 'header'; attrs: Record<string, string> }
  | { kind: 'element'; el: Element }
  | { kind: 'end' };

type MaybePromise = void | Promise<void>;

export type StreamState = 'open' | 'closing' | 'closed';

export abstract class XmlStream {
  readonly id = randomBytes(12).toString('hex');
  readonly connectedAt = Date.now();
  lastRead = Date.now();
  lastWrite = Date.now();
  state: StreamState = 'open';
  log: Logger;
  protected headerSent = false;
  #parser!: StreamParser;
  /** Parsed, not yet handled; one at a time, in order (src/stream/input-queue.ts). */
  #queue: InputQueue<Item> = new InputQueue<Item>({
    process: (item) => this.#process(item),
    fail: (err) => this.#fail(err),
    stopped: () => this.state === 'closed',
    limit: () => this.limits.pendingElements,
    pause: () => this.socket.pause(),
    resume: () => this.socket.resume(),
  });
  #closeTimer: NodeJS.Timeout | null = null;
  #onClosed: Array<(reason: string) => void> = [];

  constructor(protected readonly socket: S2SSocket, protected readonly limits: LimitsConfig, log: Logger) {
    this.log = log;
    this.newParser(false);
    socket.setHandlers({
      data: (chunk) => {
        this.lastRead = Date.now();
        this.#parser.write(chunk);
      },
      closed: (reason) => this.#transportClosed(reason),
    });
  }

  /** Runs once when the connection is gone. */
  onClose(fn: (reason: string) => void): void {
    this.#onClosed.push(fn);
  }

  /** A fresh parser: at the start and after each stream restart; authenticated streams get the larger size limit. */
  protected newParser(authenticated: boolean): void {
    const l = this.limits;
    this.#parser = new StreamParser({
      onStreamStart: (_name, _ns, attrs) => this.#enqueue({ kind: 'header', attrs }),
      onElement: (el) => this.#enqueue({ kind: 'element', el }),
      onStreamEnd: () => this.#enqueue({ kind: 'end' }),
      onError: (condition, text) => this.#parseError(condition, text),
    }, { maxStanzaBytes: authenticated ? l.stanzaBytes : l.unauthedStanzaBytes, maxDepth: l.maxDepth, maxChildren: l.maxChildren });
  }

  /** The authenticated stanza size limit from here on (dialback authenticates without a stream restart). */
  protected useAuthenticatedLimits(): void {
    const l = this.limits;
    this.#parser.setLimits({ maxStanzaBytes: l.stanzaBytes, maxDepth: l.maxDepth, maxChildren: l.maxChildren });
  }

  #parseError(condition: ParserErrorCondition, text: string): void {
    this.log.info({ condition, text }, 'rejected malformed input');
    this.#queue.clear();
    this.streamError(new StreamError(condition, text));
  }

  #enqueue(item: Item): void {
    if (this.state === 'closed') return;
    this.#queue.push(item);
  }

  #fail(err: unknown): void {
    if (err instanceof StreamError) return this.streamError(err);
    this.log.error({ err }, 'internal error on an s2s stream');
    this.streamError(new StreamError('internal-server-error'));
  }

  #process(item: Item): MaybePromise {
    if (this.state === 'closing') {
      if (item.kind === 'end') this.socket.destroy('stream closed');
      return;
    }
    if (item.kind === 'header') return this.onHeader(item.attrs);
    if (item.kind === 'end') return this.closeStream();
    const el = item.el;
    if (el.attrs.xmlns === NS.STREAMS && (el.name === 'stream:error' || el.name === 'error')) {
      this.onPeerError(el);
      return this.closeStream();
    }
    return this.onElement(el);
  }

  protected abstract onHeader(attrs: Record<string, string>): MaybePromise;
  protected abstract onElement(el: Element): MaybePromise;
  /** Our own stream header's attributes (sent before an error when none was sent yet). */
  protected abstract headerAttrs(): Record<string, string>;

  protected onPeerError(el: Element): void {
    this.log.info({ error: el.toString().slice(0, 300) }, 'peer sent a stream error');
  }

  /** Writes a stream-level element or stanza. */
  write(el: Element): void {
    if (this.state !== 'open') return;
    this.socket.writeElement(el);
    this.lastWrite = Date.now();
    if (this.socket.bufferedBytes > this.limits.writeBufferBytes) {
      this.streamError(new StreamError('policy-violation', 'the peer is not reading: write buffer full'));
    }
  }

  writeHeader(attrs: Record<string, string>): void {
    this.socket.writeHeader(attrs);
    this.headerSent = true;
    this.lastWrite = Date.now();
  }

  /** Whitespace keepalive (RFC 6120 §4.6.1). */
  keepalive(): void {
    if (this.state !== 'open' || !this.headerSent) return;
    this.socket.writeRaw(' ');
    this.lastWrite = Date.now();
  }

  streamError(err: StreamError): void {
    if (this.state !== 'open') return;
    if (!this.headerSent) this.writeHeader(this.headerAttrs());
    this.log.info({ condition: err.condition, text: err.text }, 'closing s2s stream with error');
    this.socket.writeElement(err.toElement());
    this.closeStream();
  }

  close(error?: StreamError): void {
    if (error) this.streamError(error);
    else this.closeStream();
  }

  /** Sends </stream:stream> and waits a little for the peer's before dropping the connection. */
  closeStream(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.onClosing();
    if (this.headerSent) this.socket.writeFooter();
    this.socket.end();
    this.#closeTimer = setTimeout(() => this.socket.destroy('close timeout'), this.limits.closeTimeoutSeconds * 1000);
    this.#closeTimer.unref();
  }

  /** Called once when the stream starts closing (no more stanzas may be sent on it). */
  protected onClosing(): void {}

  #transportClosed(reason: string): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.#queue.clear();
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    if (wasOpen) this.onClosing();
    this.log.debug({ reason }, 's2s connection closed');
    for (const fn of this.#onClosed) fn(reason);
  }
}

export function newStreamId(): string {
  return randomBytes(12).toString('hex');
}
