// The stream management service other modules use to enable and resume inline (XEP-0386 Bind2, XEP-0388 SASL2).
import type { Element } from 'ltx';
import type { ClientSession } from '../../src/api/index.js';

export type ResumeOutcome =
  | { ok: true; session: ClientSession; resumed: Element; finish(): void }
  | { ok: false; failed: Element };

export interface SmService {
  /** Handles an <enable/> for a bound session; returns <enabled/> or <failed/> for the caller to send or embed. */
  enable(session: ClientSession, element: Element): Element;
  /** Handles a <resume/> for an authenticated, unbound session (see ResumeOutcome). */
  resume(session: ClientSession, element: Element): ResumeOutcome;
}

declare module '../../src/api/index.js' {
  interface Services {
    sm: SmService;
  }
}
