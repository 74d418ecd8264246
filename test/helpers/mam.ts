// XEP-0313 queries from an @xmpp/client test client: builds the query (form, RSM, flip-page), sends it, and
// collects the result messages that arrived before the IQ result.
import { xml } from '@xmpp/client';
import type { Element } from 'ltx';
import type { TestClient } from './xmpp-client.js';

export const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';

export interface MamQuery {
  to?: string;
  with?: string;
  start?: string;
  end?: string;
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  /** Extra raw fields, e.g. an unknown one for negative tests: [var, value]. */
  fields?: [string, string][];
  max?: number;
  after?: string;
  /** true: an empty <before/> (the last page). */
  before?: string | true;
  /** RSM <index/> (XEP-0059 §2.6 page jump). */
  index?: number;
  flip?: boolean;
}

export interface MamItem {
  id: string;
  stamp: string;
  /** The forwarded <message/>. */
  message: Element;
  /** The wrapping message as received. */
  outer: Element;
}

export interface MamPage {
  items: MamItem[];
  fin: Element;
  complete: boolean;
  first?: string;
  last?: string;
  count?: number;
  /** The 'index' attribute of RSM <first/>. */
  firstIndex?: number;
}

let seq = 0;

export function mamQueryElement(q: MamQuery, queryid: string): Element {
  const fields: Element[] = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM))];
  const add = (name: string, ...values: string[]) => fields.push(xml('field', { var: name }, ...values.map((v) => xml('value', {}, v))));
  if (q.with !== undefined) add('with', q.with);
  if (q.start !== undefined) add('start', q.start);
  if (q.end !== undefined) add('end', q.end);
  if (q.beforeId !== undefined) add('before-id', q.beforeId);
  if (q.afterId !== undefined) add('after-id', q.afterId);
  if (q.ids !== undefined) add('ids', ...q.ids);
  for (const [k, v] of q.fields ?? []) add(k, v);
  const rsm: Element[] = [];
  if (q.max !== undefined) rsm.push(xml('max', {}, String(q.max)));
  if (q.after !== undefined) rsm.push(xml('after', {}, q.after));
  if (q.before !== undefined) rsm.push(q.before === true ? xml('before', {}) : xml('before', {}, q.before));
  if (q.index !== undefined) rsm.push(xml('index', {}, String(q.index)));
  return xml('query', { xmlns: NS_MAM, queryid },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields),
    rsm.length ? xml('set', { xmlns: NS_RSM }, ...rsm) : null,
    q.flip ? xml('flip-page', {}) : null);
}

/** Runs a query; rejects with the client's StanzaError (its `condition`) when the server refuses. */
export async function mamQuery(c: TestClient, q: MamQuery = {}): Promise<MamPage> {
  const queryid = `q${++seq}`;
  const iq = await c.xmpp.iqCaller.request(xml('iq', { type: 'set', to: q.to, id: `mam-${queryid}` }, mamQueryElement(q, queryid)));
  const fin = iq.getChild('fin', NS_MAM)!;
  const items: MamItem[] = [];
  for (let i = 0; i < c.received.length;) {
    const m = c.received[i]!;
    const result = m.is('message') ? m.getChild('result', NS_MAM) : undefined;
    if (result && result.attrs.queryid === queryid) {
      c.received.splice(i, 1);
      const fwd = result.getChild('forwarded', 'urn:xmpp:forward:0')!;
      items.push({ id: result.attrs.id, stamp: fwd.getChild('delay', 'urn:xmpp:delay')!.attrs.stamp, message: fwd.getChild('message')!, outer: m });
    } else {
      i++;
    }
  }
  const set = fin.getChild('set', NS_RSM);
  const count = set?.getChildText('count');
  const firstIndex = set?.getChild('first')?.attrs.index;
  return {
    items, fin,
    complete: fin.attrs.complete === 'true',
    first: set?.getChildText('first') ?? undefined,
    last: set?.getChildText('last') ?? undefined,
    count: count == null ? undefined : Number(count),
    firstIndex: firstIndex === undefined ? undefined : Number(firstIndex),
  };
}

/** The condition of a refused query (throws if it was answered). */
export async function mamError(c: TestClient, q: MamQuery | Element): Promise<string> {
  const payload = 'name' in q && typeof (q as Element).is === 'function' ? q as Element : mamQueryElement(q as MamQuery, `e${++seq}`);
  const to = 'name' in q && typeof (q as Element).is === 'function' ? undefined : (q as MamQuery).to;
  try {
    await c.xmpp.iqCaller.request(xml('iq', { type: 'set', to, id: `mamerr-${++seq}` }, payload));
  } catch (err) {
    return (err as { condition?: string }).condition ?? String(err);
  }
  throw new Error('the query was answered, an error was expected');
}
