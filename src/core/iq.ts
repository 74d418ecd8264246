// IQ handlers by (target, type, namespace, element) — one handler per key — and the tracker for
// IQs the server itself sends (Prosody module:send_iq).
import type { Element } from 'ltx';
import type { Jid } from '../jid.js';
import type { ClientSession } from './session.js';
import { StanzaError } from './errors.js';

/** 'host': addressed to the domain; 'bare': addressed to an account's bare JID (incl. the sender's own). */
export type IqTarget = 'host' | 'bare';

export interface IqRequest {
  stanza: Element;
  /** The single child element of the get/set. */
  payload: Element;
  from: Jid;
  to: Jid;
  origin: ClientSession | null;
  host: string;
}

/** Return an element for a result with payload, nothing for an empty result; throw StanzaError for an error. */
export type IqHandler = (req: IqRequest) => Element | void | undefined | Promise<Element | void | undefined>;

interface IqRegistration {
  fn: IqHandler;
  owner: string;
}

export class IqRegistry {
  #handlers = new Map<string, IqRegistration>();

  static key(target: IqTarget, type: 'get' | 'set', xmlns: string, name: string): string {
    return `${target} ${type} ${name} ${xmlns}`;
  }

  register(target: IqTarget, type: 'get' | 'set', xmlns: string, name: string, fn: IqHandler, owner: string): () => void {
    const key = IqRegistry.key(target, type, xmlns, name);
    const prev = this.#handlers.get(key);
    if (prev) throw new Error(`IQ ${type} ${name} {${xmlns}} for ${target} is already handled by module ${prev.owner}`);
    const reg = { fn, owner };
    this.#handlers.set(key, reg);
    return () => {
      if (this.#handlers.get(key) === reg) this.#handlers.delete(key);
    };
  }

  find(target: IqTarget, type: 'get' | 'set', xmlns: string, name: string): IqRegistration | undefined {
    return this.#handlers.get(IqRegistry.key(target, type, xmlns, name));
  }

  removeOwner(owner: string): void {
    for (const [k, r] of this.#handlers) if (r.owner === owner) this.#handlers.delete(k);
  }
}

interface PendingIq {
  resolve(el: Element): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  to: string;
}

/** Matches results/errors to IQs the server sent, by id and responder. */
export class IqTracker {
  #pending = new Map<string, PendingIq>();
  #counter = 0;

  nextId(): string {
    return `starling-iq-${(++this.#counter).toString(36)}-${Date.now().toString(36)}`;
  }

  track(id: string, to: string, timeoutMs: number): Promise<Element> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new StanzaError('remote-server-timeout', `no answer from ${to} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer, to });
    });
  }

  /** Settles the matching pending IQ; returns false when the response was not for us. */
  settle(response: Element): boolean {
    const id = response.attrs.id;
    if (id === undefined) return false;
    const p = this.#pending.get(id);
    if (!p) return false;
    // Only the entity we asked may answer (IQ result spoofing).
    const from = response.attrs.from ?? '';
    if (from !== p.to && from.split('/')[0] !== p.to) return false;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (response.attrs.type === 'result') p.resolve(response);
    else {
      const errEl = response.getChild('error');
      const cond = errEl?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text');
      const err = new StanzaError((cond?.name ?? 'undefined-condition') as StanzaError['condition'], errEl?.getChildText('text') ?? undefined);
      p.reject(err);
    }
    return true;
  }

  cancelAll(): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new StanzaError('service-unavailable', 'server stopping'));
    }
    this.#pending.clear();
  }
}
