// Stanza and stream errors (RFC 6120 §8.3 and §4.9) as typed exceptions.
import { Element } from 'ltx';
import { NS } from '../xml/ns.js';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

export type StanzaErrorCondition =
  | 'bad-request' | 'conflict' | 'feature-not-implemented' | 'forbidden' | 'gone'
  | 'internal-server-error' | 'item-not-found' | 'jid-malformed' | 'not-acceptable' | 'not-allowed'
  | 'not-authorized' | 'policy-violation' | 'recipient-unavailable' | 'redirect'
  | 'registration-required' | 'remote-server-not-found' | 'remote-server-timeout'
  | 'resource-constraint' | 'service-unavailable' | 'subscription-required'
  | 'undefined-condition' | 'unexpected-request';

/** The error type RFC 6120 §8.3.3 gives for each condition, used when a caller does not choose one. */
const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  'bad-request': 'modify', conflict: 'cancel', 'feature-not-implemented': 'cancel', forbidden: 'auth',
  gone: 'cancel', 'internal-server-error': 'cancel', 'item-not-found': 'cancel', 'jid-malformed': 'modify',
  'not-acceptable': 'modify', 'not-allowed': 'cancel', 'not-authorized': 'auth', 'policy-violation': 'modify',
  'recipient-unavailable': 'wait', redirect: 'modify', 'registration-required': 'auth',
  'remote-server-not-found': 'cancel', 'remote-server-timeout': 'wait', 'resource-constraint': 'wait',
  'service-unavailable': 'cancel', 'subscription-required': 'auth', 'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

/** Throw from an IQ handler (or a hook) to answer with a stanza error. */
export class StanzaError extends Error {
  readonly type: StanzaErrorType;
  constructor(
    readonly condition: StanzaErrorCondition,
    readonly text?: string,
    type?: StanzaErrorType,
    /** An application-specific condition element (e.g. <stanza-too-big xmlns='urn:xmpp:errors'/>). */
    readonly appCondition?: Element,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StanzaError';
    this.type = type ?? DEFAULT_TYPE[condition];
  }

  /** The <error/> element for this error; `by` is the entity that generated it. */
  toElement(by?: string): Element {
    const err = new Element('error', by ? { type: this.type, by } : { type: this.type });
    err.c(this.condition, { xmlns: NS.STANZA_ERRORS });
    if (this.text) err.c('text', { xmlns: NS.STANZA_ERRORS, 'xml:lang': 'en' }).t(this.text);
    if (this.appCondition) err.cnode(this.appCondition);
    return err;
  }
}

export type StreamErrorCondition =
  | 'bad-format' | 'bad-namespace-prefix' | 'conflict' | 'connection-timeout' | 'host-gone'
  | 'host-unknown' | 'improper-addressing' | 'internal-server-error' | 'invalid-from'
  | 'invalid-namespace' | 'invalid-xml' | 'not-authorized' | 'not-well-formed' | 'policy-violation'
  | 'remote-connection-failed' | 'reset' | 'resource-constraint' | 'restricted-xml' | 'see-other-host'
  | 'system-shutdown' | 'undefined-condition' | 'unsupported-encoding' | 'unsupported-feature'
  | 'unsupported-stanza-type' | 'unsupported-version';

/** A fatal stream error; the stream is closed after it is sent. */
export class StreamError extends Error {
  constructor(readonly condition: StreamErrorCondition, readonly text?: string, readonly appCondition?: Element) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StreamError';
  }

  toElement(): Element {
    const err = new Element('stream:error');
    err.c(this.condition, { xmlns: NS.STREAM_ERRORS });
    if (this.text) err.c('text', { xmlns: NS.STREAM_ERRORS, 'xml:lang': 'en' }).t(this.text);
    if (this.appCondition) err.cnode(this.appCondition);
    return err;
  }
}
