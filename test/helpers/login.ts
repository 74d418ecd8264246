// Full logins over a RawClient: STARTTLS (or direct TLS), SASL, restart, bind.
import { RawClient } from './raw-client.js';
import { ScramClient, b64, clientChannelBinding, unb64, type ScramAlgo } from './scram-client.js';

export interface RawLoginOptions {
  port: number;
  directTls?: boolean;
  host?: string;
  username: string;
  password: string;
  resource?: string;
  mechanism?: 'SCRAM-SHA-1' | 'SCRAM-SHA-256' | 'SCRAM-SHA-1-PLUS' | 'SCRAM-SHA-256-PLUS' | 'PLAIN';
  cbType?: 'tls-exporter' | 'tls-server-end-point';
}

/** Connects and negotiates TLS; leaves the client right after the post-TLS <stream:features/>. */
export async function connectSecure(o: { port: number; directTls?: boolean; host?: string }): Promise<{ client: RawClient; features: string }> {
  const host = o.host ?? 'localhost';
  const client = await RawClient.connect(o.port, { tls: o.directTls, servername: host });
  if (!o.directTls) {
    client.open(host);
    await client.expect(/<stream:features>.*?<\/stream:features>/s);
    client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await client.expect(/<proceed xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]\/>/);
    await client.startTls(host);
  }
  client.open(host);
  const m = await client.expect(/<stream:features>.*?<\/stream:features>/s);
  return { client, features: m[0] };
}

/** Runs one SASL exchange; resolves with the server's final element text. */
export async function saslAuth(client: RawClient, o: RawLoginOptions): Promise<{ ok: boolean; answer: string }> {
  const mech = o.mechanism ?? 'SCRAM-SHA-1';
  if (mech === 'PLAIN') {
    client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64(`\0${o.username}\0${o.password}`)}</auth>`);
    const m = await client.expect(/<(success|failure)[^>]*?(\/>|>.*?<\/\1>)/s);
    return { ok: m[1] === 'success', answer: m[0] };
  }
  const algo: ScramAlgo = mech.startsWith('SCRAM-SHA-256') ? 'SHA-256' : 'SHA-1';
  const plus = mech.endsWith('-PLUS');
  const cbType = o.cbType ?? 'tls-exporter';
  const scram = new ScramClient({
    username: o.username, password: o.password, algo,
    cb: plus ? cbType : 'n',
    cbData: plus && client.tlsSocket ? clientChannelBinding(client.tlsSocket, cbType) : undefined,
  });
  client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='${mech}'>${b64(scram.first())}</auth>`);
  const first = await client.expect(/<(challenge|failure)[^>]*?(\/>|>(.*?)<\/\1>)/s);
  if (first[1] === 'failure') return { ok: false, answer: first[0] };
  client.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(scram.final(unb64(first[3]!)))}</response>`);
  const last = await client.expect(/<(success|failure)[^>]*?(\/>|>(.*?)<\/\1>)/s);
  if (last[1] === 'success' && !scram.verify(unb64(last[3] ?? ''))) throw new Error('server signature did not verify');
  return { ok: last[1] === 'success', answer: last[0] };
}

/** Logs in completely and binds; returns the client and the bound full JID. */
export async function rawLogin(o: RawLoginOptions): Promise<{ client: RawClient; jid: string }> {
  const { client } = await connectSecure(o);
  const auth = await saslAuth(client, o);
  if (!auth.ok) throw new Error(`authentication failed: ${auth.answer}`);
  client.open(o.host ?? 'localhost');
  await client.expect(/<stream:features>.*?<\/stream:features>/s);
  const res = o.resource ? `<resource>${o.resource}</resource>` : '';
  client.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>${res}</bind></iq>`);
  const m = await client.expect(/<jid>([^<]+)<\/jid>/);
  return { client, jid: m[1]! };
}
