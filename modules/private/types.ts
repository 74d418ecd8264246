// What the private module offers other modules (XEP-0402 bookmark conversion with PEP, later).
import type { Element } from 'ltx';

export interface PrivateService {
  /** The stored element with this name and namespace (standalone), or null. */
  get(user: string, name: string, xmlns: string): Promise<Element | null>;
  /** Stores (replaces) an element under its own name and namespace, without the checks of the IQ path. */
  set(user: string, element: Element): Promise<void>;
}

export interface PrivateStoredEvent {
  username: string;
  name: string;
  xmlns: string;
  /** The element as stored (standalone). */
  element: Element;
}

declare module '../../src/api/index.js' {
  interface Services {
    private: PrivateService;
  }
}

declare module '../../src/core/hookmap.js' {
  interface HookMap {
    /** A client stored private XML (fired once per element, after the store has it). */
    'private-stored': PrivateStoredEvent;
  }
}
