// XEP-0060 errors: a stanza error condition plus a pubsub#errors application condition (§7, §6 "Error Cases").
import { el, StanzaError, type StanzaErrorCondition, type StanzaErrorType } from '../../src/api/index.js';
import { NS_PUBSUB_ERRORS } from './ns.js';

/** `app` is the pubsub#errors element name; `feature` fills <unsupported feature='...'/>. */
export function pubsubError(condition: StanzaErrorCondition, app: string | null, text?: string, opts: { feature?: string; type?: StanzaErrorType } = {}): StanzaError {
  const appEl = app ? el(app, { xmlns: NS_PUBSUB_ERRORS, feature: opts.feature }) : undefined;
  return new StanzaError(condition, text, opts.type, appEl);
}

export const nodeNotFound = (node: string): StanzaError => new StanzaError('item-not-found', `no node '${node.slice(0, 200)}'`);
export const nodeIdRequired = (): StanzaError => pubsubError('bad-request', 'nodeid-required');
export const unsupported = (feature: string): StanzaError => pubsubError('feature-not-implemented', 'unsupported', undefined, { feature });
