// A client side of XEP-0388 SASL2 (with XEP-0484 FAST tokens) over a RawClient, for tests that check exact XML.
import crypto from 'node:crypto';
import { connectSecure } from './login.js';
import type { RawClient } from './raw-client.js';
import { ScramClient, clientChannelBinding, b64, unb64 } from './scram-client.js';

export const SASL2 = 'urn:xmpp:sasl:2';
export const FAST = 'urn:xmpp:fast:0';
export const BIND2 = 'urn:xmpp:bind:0';

export const userAgent = (id: string) => `<user-agent id='${id}'><software>StarlingTest</software><device>ci</device></user-agent>`;

/** Connects with STARTTLS; returns the client at the post-TLS features. */
export function open(port: number): Promise<{ client: RawClient; features: string }> {
  return connectSecure({ port });
}

const FINAL = /<(success|failure)\s+xmlns=["']urn:xmpp:sasl:2["'][^>]*?(\/>|>.*?<\/\1>)/s;

export interface Sasl2Result {
  ok: boolean;
  /** The whole <success/> or <failure/>. */
  answer: string;
  /** The server-first-message (SCRAM only). */
  serverFirst?: string;
}

/** SCRAM-SHA-256 (or -PLUS with tls-server-end-point) over SASL2, with `inline` XML inside <authenticate/>. */
export async function scramSasl2(client: RawClient, o: { username: string; password: string; inline?: string; plus?: boolean }): Promise<Sasl2Result> {
  const scram = new ScramClient({
    username: o.username, password: o.password, algo: 'SHA-256',
    cb: o.plus ? 'tls-server-end-point' : 'n',
    cbData: o.plus ? clientChannelBinding(client.tlsSocket!, 'tls-server-end-point') : undefined,
  });
  const mech = o.plus ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256';
  client.send(`<authenticate xmlns='${SASL2}' mechanism='${mech}'><initial-response>${b64(scram.first())}</initial-response>${o.inline ?? ''}</authenticate>`);
  const first = await client.expect(/<(challenge|failure)\s+xmlns=["']urn:xmpp:sasl:2["'][^>]*?(\/>|>(.*?)<\/\1>)/s);
  if (first[1] === 'failure') return { ok: false, answer: first[0] };
  const serverFirst = unb64(first[3]!);
  client.send(`<response xmlns='${SASL2}'>${b64(scram.final(serverFirst))}</response>`);
  const last = await client.expect(FINAL);
  if (last[1] === 'success') {
    const data = /<additional-data>([^<]*)<\/additional-data>/.exec(last[0])?.[1] ?? '';
    if (!scram.verify(unb64(data))) throw new Error('server signature did not verify');
  }
  return { ok: last[1] === 'success', answer: last[0], serverFirst };
}

export function htProof(token: string, label: 'Initiator' | 'Responder', cbData: Buffer): Buffer {
  return crypto.createHmac('sha256', Buffer.from(token)).update(Buffer.concat([Buffer.from(label), cbData])).digest();
}

/** A FAST login: HT-SHA-256-NONE or -ENDP with a token; checks the server's proof on success. */
export async function fastSasl2(client: RawClient, o: { username: string; token: string; mechanism?: 'HT-SHA-256-NONE' | 'HT-SHA-256-ENDP'; inline?: string; cbData?: Buffer }): Promise<Sasl2Result> {
  const mech = o.mechanism ?? 'HT-SHA-256-NONE';
  const cb = o.cbData ?? (mech === 'HT-SHA-256-ENDP' ? clientChannelBinding(client.tlsSocket!, 'tls-server-end-point') : Buffer.alloc(0));
  const initial = Buffer.concat([Buffer.from(o.username), Buffer.from([0]), htProof(o.token, 'Initiator', cb)]);
  client.send(`<authenticate xmlns='${SASL2}' mechanism='${mech}'><initial-response>${initial.toString('base64')}</initial-response>${o.inline ?? ''}</authenticate>`);
  const m = await client.expect(FINAL);
  if (m[1] === 'success') {
    const data = /<additional-data>([^<]*)<\/additional-data>/.exec(m[0])?.[1] ?? '';
    if (!Buffer.from(data, 'base64').equals(htProof(o.token, 'Responder', cb))) throw new Error('the server did not prove it knows the token');
  }
  return { ok: m[1] === 'success', answer: m[0] };
}

/** The token a <success/> carries, if any. */
export function tokenOf(answer: string): { token: string; expiry: string } | null {
  const m = /<token xmlns=["']urn:xmpp:fast:0["'] expiry=["']([^"']+)["'] token=["']([^"']+)["']\/>/.exec(answer);
  return m ? { expiry: m[1]!, token: m[2]! } : null;
}
