// Helpers for the PEP / pubsub / bookmarks tests: IQs over @xmpp/client with the raw answer (errors
// included), mutual presence subscriptions through the real RFC 6121 exchange, and XEP-0115 caps a
// client announces and answers disco#info for.
import * as ltx from 'ltx';
import type { Element } from 'ltx';
import { capsVer } from '../../modules/disco/caps.js';
import type { TestClient } from './xmpp-client.js';

export const parseXml = (ltx as unknown as { parse(s: string): Element }).parse;

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';

/** The modules of the default configuration plus PEP (tests pass `modules`, which replaces the defaults). */
export const PEP_MODULES = {
  disco: {}, ping: {}, roster: {}, presence: {}, message: {}, offline: {}, vcard: {}, private: {}, pep: {},
};

let seq = 0;

/** Sends an IQ (xml without id) and resolves with the result or error element answering it. */
export async function iq(c: TestClient, type: 'get' | 'set', payload: string, to?: string): Promise<Element> {
  const id = `t${++seq}`;
  const stanza = parseXml(`<iq xmlns='jabber:client' type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  await c.xmpp.send(stanza);
  return c.waitFor((s) => s.name === 'iq' && s.attrs.id === id && (s.attrs.type === 'result' || s.attrs.type === 'error'));
}

/** The defined-condition and pubsub#errors condition of an error reply ('' when absent). */
export function errorOf(reply: Element): { type: string; condition: string; app: string } {
  const e = reply.getChild('error');
  if (reply.attrs.type !== 'error' || !e) return { type: '', condition: '', app: '' };
  const kids = e.getChildElements();
  const condition = kids.find((k) => k.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && k.name !== 'text')?.name ?? '';
  const app = kids.find((k) => k.attrs.xmlns === NS_PUBSUB_ERRORS)?.name ?? '';
  return { type: e.attrs.type ?? '', condition, app };
}

export function expectResult(reply: Element): Element {
  if (reply.attrs.type !== 'result') throw new Error(`expected a result, got ${reply.toString()}`);
  return reply;
}

/** A publish-options form. */
export function publishOptions(fields: Record<string, string>): string {
  return `<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>${
    Object.entries(fields).map(([k, v]) => `<field var='${k}'><value>${v}</value></field>`).join('')}</x></publish-options>`;
}

export const bareOf = (c: TestClient): string => c.jid.split('/')[0]!;

/** a and b subscribe to each other's presence through the real protocol (subscription 'both'). */
export async function subscribeBoth(a: TestClient, b: TestClient): Promise<void> {
  await oneWay(a, b);
  await oneWay(b, a);
}

async function oneWay(from: TestClient, to: TestClient): Promise<void> {
  await from.xmpp.send(parseXml(`<presence xmlns='jabber:client' to='${bareOf(to)}' type='subscribe'/>`));
  await to.waitFor((s) => s.name === 'presence' && s.attrs.type === 'subscribe' && s.attrs.from?.startsWith(bareOf(from)) === true);
  await to.xmpp.send(parseXml(`<presence xmlns='jabber:client' to='${bareOf(from)}' type='subscribed'/>`));
  await from.waitFor((s) => s.name === 'presence' && s.attrs.type === 'subscribed' && s.attrs.from?.startsWith(bareOf(to)) === true);
}

const CAPS_NODE = 'https://starling.test/client';

/** Makes the client answer disco#info about its caps node with these features; returns its <c/> XML. */
export function announceCaps(c: TestClient, features: string[]): string {
  const identities = [{ category: 'client', type: 'pc', name: 'test' }];
  const all = ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/caps', ...features];
  const ver = capsVer(identities, all, []);
  const callee = (c.xmpp as unknown as { iqCallee: { get(ns: string, name: string, fn: (ctx: { stanza: Element }) => Element): void } }).iqCallee;
  callee.get('http://jabber.org/protocol/disco#info', 'query', ({ stanza }) => {
    const q = parseXml(`<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    const node = stanza.getChild('query')?.attrs.node;
    if (node) q.attrs.node = node;
    for (const id of identities) q.cnode(parseXml(`<identity category='${id.category}' type='${id.type}' name='${id.name}'/>`));
    for (const f of all) q.cnode(parseXml(`<feature var='${f}'/>`));
    return q;
  });
  return `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='${CAPS_NODE}' ver='${ver}'/>`;
}

/** Sends available presence (with caps when given). */
export async function available(c: TestClient, caps = ''): Promise<void> {
  await c.xmpp.send(parseXml(`<presence xmlns='jabber:client'>${caps}</presence>`));
}

/** PEP event notifications received for a node. */
export const isEvent = (node: string) => (s: Element): boolean =>
  s.name === 'message' && s.getChild('event', NS_PUBSUB_EVENT)?.getChildElements().some((c) => c.attrs.node === node) === true;


/** A ping round trip: everything the server queued for this client before it is received after it. */
export async function barrier(c: TestClient): Promise<void> {
  expectResult(await iq(c, 'get', "<ping xmlns='urn:xmpp:ping'/>", 'localhost'));
}
