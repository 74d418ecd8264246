// One client session's XEP-0198 state: counting what the client sent, keeping what it was sent until it is
// acknowledged, asking for acknowledgements, and putting itself back on a new connection (resumption).
import type { Element } from 'ltx';
import { el, isStanza, StreamError, type ClientSession, type OutputFilterHandle } from '../../src/api/index.js';
import { MOD, OutboundQueue } from './counter.js';
import { NS_SM, handledCountTooHigh } from './protocol.js';

/** Rank of the stream management output filter: after anything that holds stanzas back (CSI), nearest the wire. */
export const SM_FILTER_RANK = 900;

export interface SmSettings {
  /** Ask for an acknowledgement once this many stanzas are unacknowledged. */
  requestEvery: number;
  /** Unacknowledged stanzas a session may hold before it is ended (its stanzas then go to offline storage). */
  maxQueue: number;
}

export class SmStream {
  /** Stanzas received from the client, mod 2^32 (the h we report). */
  handled = 0;
  readonly out = new OutboundQueue();
  /** The resumption id, when resumption is on. */
  resumeId: string | null = null;
  /** Seconds a detached session waits for resumption. */
  timeoutSeconds = 0;
  #requested = false;
  #handle: OutputFilterHandle;
  #removeObserver: () => void;

  constructor(readonly session: ClientSession, private readonly settings: SmSettings) {
    this.#handle = session.addOutputFilter({ rank: SM_FILTER_RANK, write: (e, next) => this.#write(e, next) });
    this.#removeObserver = session.addInputObserver(() => {
      this.handled = (this.handled + 1) % MOD;
    });
  }

  #write(stanza: Element, next: (el: Element) => void): void {
    if (!isStanza(stanza)) {
      next(stanza);
      return;
    }
    this.out.push(stanza);
    next(stanza);
    if (this.out.items.length > this.settings.maxQueue) {
      // A client that never acknowledges (or a detached one that never comes back) cannot make us hold everything.
      queueMicrotask(() => this.session.close(new StreamError('resource-constraint', 'too many unacknowledged stanzas')));
      return;
    }
    if (!this.session.detached && !this.#requested && this.out.items.length >= this.settings.requestEvery) {
      this.#requested = true;
      this.#handle.pass(el('r', { xmlns: NS_SM }));
    }
  }

  /** The client's <a h/>: false (and the stream is ended as XEP-0198 §4 says) when h is higher than what was sent. */
  onAck(h: number): boolean {
    this.#requested = false;
    const r = this.out.ack(h);
    if (r.ok) return true;
    this.session.close(new StreamError('undefined-condition', 'the client acknowledged more stanzas than were sent', handledCountTooHigh(h, r.sent)));
    return false;
  }

  /** Answers the client's <r/>. */
  answerRequest(): void {
    this.#handle.pass(el('a', { xmlns: NS_SM, h: String(this.handled) }));
  }

  /** After resumption: sends everything unacknowledged again, oldest first (it stays queued until acknowledged). */
  resend(): void {
    this.#requested = false;
    for (const stanza of this.out.drain()) this.#write(stanza, (e) => this.#handle.pass(e));
  }

  /** The stanzas never acknowledged, taken out for good (the session is over). */
  takeUnacked(): Element[] {
    return this.out.drain();
  }

  dispose(): void {
    this.#handle.remove();
    this.#removeObserver();
  }
}
