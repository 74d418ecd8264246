// A raw BOSH (XEP-0124/0206) client for tests: it builds <body/> wrappers with sid and rid, posts them over real
// HTTP and returns the server's answers as text.
import { randomInt } from 'node:crypto';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
export const NS_XBOSH = 'urn:xmpp:xbosh';

export interface BoshResponse {
  status: number;
  headers: Headers;
  body: string;
}

export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<BoshResponse> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers } });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The value of an attribute of the response's <body/>. */
export function attr(body: string, name: string): string | undefined {
  const open = /^<body\b[^>]*>/.exec(body)?.[0] ?? '';
  return new RegExp(`\\s${name.replace(':', '\\:')}='([^']*)'`).exec(open)?.[1];
}

export class BoshClient {
  sid = '';
  rid: number;
  creation = '';

  constructor(readonly url: string, rid = randomInt(1_000_000, 1_000_000_000)) {
    this.rid = rid;
  }

  /** Session creation request (XEP-0206 §5); returns the response text. */
  async create(attrs: Record<string, string> = {}): Promise<string> {
    const a = { to: 'localhost', wait: '2', hold: '1', ver: '1.6', 'xml:lang': 'en', 'xmpp:version': '1.0', ...attrs };
    const res = await post(this.url, this.wrap(a, '', this.rid));
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body}`);
    this.creation = res.body;
    this.sid = attr(res.body, 'sid') ?? '';
    return res.body;
  }

  /** The next request (rid + 1) with these payloads; resolves when the server answers it. */
  async request(payload = '', attrs: Record<string, string> = {}): Promise<string> {
    const res = await this.requestRaw(payload, attrs);
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body}`);
    return res.body;
  }

  requestRaw(payload = '', attrs: Record<string, string> = {}, rid = ++this.rid): Promise<BoshResponse> {
    return post(this.url, this.wrap({ sid: this.sid, ...attrs }, payload, rid));
  }

  restart(): Promise<string> {
    return this.request('', { to: 'localhost', 'xml:lang': 'en', 'xmpp:restart': 'true' });
  }

  wrap(attrs: Record<string, string>, payload: string, rid: number): string {
    let s = `<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='${NS_XBOSH}' rid='${rid}'`;
    for (const [k, v] of Object.entries(attrs)) s += ` ${k}='${v}'`;
    return payload ? `${s}>${payload}</body>` : `${s}/>`;
  }

  /** SASL PLAIN, restart, bind; returns the bound JID. */
  async login(username: string, password: string, resource: string): Promise<string> {
    await this.create();
    const auth = await this.request(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString('base64')}</auth>`);
    if (!auth.includes('<success')) throw new Error(`authentication failed: ${auth}`);
    const features = await this.restart();
    if (!features.includes('urn:ietf:params:xml:ns:xmpp-bind')) throw new Error(`no bind feature: ${features}`);
    const bound = await this.request(`<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1];
    if (!jid) throw new Error(`bind failed: ${bound}`);
    return jid;
  }
}
