// MUC test clients: real logins with @xmpp/client, stanzas written as XML text (exact bytes) and the
// answers waited for as parsed elements, without consuming stanzas other waits are looking for.
import type { Element } from 'ltx';
import type { TestServer } from './server.js';
import { connectClient, type TestClient } from './xmpp-client.js';

export const MUC_NS = {
  BASE: 'http://jabber.org/protocol/muc',
  USER: 'http://jabber.org/protocol/muc#user',
  ADMIN: 'http://jabber.org/protocol/muc#admin',
  OWNER: 'http://jabber.org/protocol/muc#owner',
} as const;

let counter = 0;
export const nextId = (prefix = 'm'): string => `${prefix}${++counter}`;

/** XML-escapes text for attribute values and character data. */
export const x = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

export const statusCodes = (st: Element): number[] =>
  (st.getChild('x', MUC_NS.USER)?.getChildren('status') ?? []).map((s) => Number(s.attrs.code));
export const itemOf = (st: Element): Element | undefined => st.getChild('x', MUC_NS.USER)?.getChild('item');
export const errorCondition = (st: Element): string | undefined =>
  st.getChild('error')?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name;

export class MucUser {
  constructor(readonly c: TestClient, readonly user: string) {}

  get jid(): string {
    return this.c.jid;
  }

  get bare(): string {
    return this.c.jid.split('/')[0]!;
  }

  /** Logs in and sends initial presence (so messages to the bare JID reach this session), waiting for its echo. */
  static async login(port: number, user: string, resource?: string, domain?: string): Promise<MucUser> {
    const u = new MucUser(await connectClient({ port, username: user, password: 'pw', resource, domain }), user);
    await u.send('<presence/>');
    await u.waitFor((s) => s.name === 'presence' && s.attrs.from === u.jid && s.attrs.type === undefined);
    return u;
  }

  send(xml: string): Promise<void> {
    return (this.c.xmpp as unknown as { write(s: string): Promise<void> }).write(xml);
  }

  waitFor(pred: (el: Element) => boolean, timeoutMs?: number): Promise<Element> {
    return this.c.waitFor(pred, timeoutMs);
  }

  /** Sends an IQ and resolves with its answer (result or error). */
  async iq(type: 'get' | 'set', to: string, payload: string): Promise<Element> {
    const id = nextId('iq');
    await this.send(`<iq type='${type}' to='${x(to)}' id='${id}'>${payload}</iq>`);
    return this.waitFor((s) => s.name === 'iq' && s.attrs.id === id);
  }

  /** Sends an IQ that must succeed; resolves with the result. */
  async iqOk(type: 'get' | 'set', to: string, payload: string): Promise<Element> {
    const r = await this.iq(type, to, payload);
    if (r.attrs.type !== 'result') throw new Error(`IQ to ${to} failed: ${r.toString()}`);
    return r;
  }

  /** Joins; resolves with the self-presence, or the error presence. `extra` goes inside <x xmlns=muc/>. */
  async join(room: string, nick: string, extra = '', status = ''): Promise<Element> {
    const to = `${room}/${nick}`;
    await this.send(`<presence to='${x(to)}'>${status}<x xmlns='${MUC_NS.BASE}'>${extra}</x></presence>`);
    return this.waitFor((s) => s.name === 'presence' && (s.attrs.from === to || s.attrs.from?.startsWith(`${room}/`) === true) &&
      (s.attrs.type === 'error' || statusCodes(s).includes(110)));
  }

  /** Joins and expects success; also waits for the subject, which ends the join sequence. */
  async joinOk(room: string, nick: string, extra = ''): Promise<Element> {
    const p = await this.join(room, nick, extra);
    if (p.attrs.type === 'error') throw new Error(`join ${room}/${nick} failed: ${p.toString()}`);
    await this.waitFor((s) => s.name === 'message' && s.attrs.from?.startsWith(room) === true && !!s.getChild('subject') && !s.getChild('body'));
    return p;
  }

  /** Creates a room and accepts the default configuration (instant room), optionally with form fields. */
  async createRoom(room: string, nick: string, fields: Record<string, string | string[]> = {}): Promise<void> {
    const p = await this.join(room, nick);
    if (!statusCodes(p).includes(201)) throw new Error(`room ${room} was not created: ${p.toString()}`);
    await this.waitFor((s) => s.name === 'message' && !!s.getChild('subject'));
    await this.configure(room, fields);
  }

  async configure(room: string, fields: Record<string, string | string[]>): Promise<Element> {
    return this.iqOk('set', room, `<query xmlns='${MUC_NS.OWNER}'>${form(fields)}</query>`);
  }

  /** Resolves with the first matching stanza, or null when none came within `ms` (for "nothing arrives" checks). */
  async maybe(pred: (el: Element) => boolean, ms = 300): Promise<Element | null> {
    return this.waitFor(pred, ms).catch(() => null);
  }

  /** Forgets everything received so far. */
  drain(): void {
    this.c.received.length = 0;
  }

  stop(): Promise<void> {
    return this.c.stop();
  }
}

/** A submitted muc#roomconfig form. */
export function form(fields: Record<string, string | string[]>): string {
  const f = Object.entries(fields).map(([k, v]) =>
    `<field var='${x(k)}'>${(Array.isArray(v) ? v : [v]).map((s) => `<value>${x(s)}</value>`).join('')}</field>`).join('');
  return `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>${f}</x>`;
}

/**
 * Creates each account on `t` (password 'pw', on `domain` when given) and logs it in; the sessions are also pushed
 * to `into`, the list a test's after hook stops.
 */
export async function signUp(t: TestServer, names: readonly string[], into: MucUser[] = [], domain?: string): Promise<MucUser[]> {
  const out: MucUser[] = [];
  for (const name of names) {
    await t.addUser(name, 'pw', domain);
    out.push(await MucUser.login(t.c2sPort, name, undefined, domain));
  }
  into.push(...out);
  return out;
}

/** Room JIDs not used before in this test file: fresh('secret') is secret1@service, then secret2@service, ... */
export function roomNames(service: string): (prefix: string) => string {
  let n = 0;
  return (prefix) => `${prefix}${++n}@${service}`;
}

/**
 * For a describe block: the list of sessions it logs in (push to it, or pass it to signUp), stopped after the block
 * together with the server `server()` returns.
 */
export function sessionsStoppedAfter(server: () => TestServer | undefined): MucUser[] {
  const users: MucUser[] = [];
  after(async function () {
    for (const u of users) await u.stop();
    await server()?.stop();
  });
  return users;
}
