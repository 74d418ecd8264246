// Helpers for stream management tests: logins that stop before or after binding, and reading what a client got.
import { connectSecure, rawLogin, saslAuth } from './login.js';
import type { RawClient } from './raw-client.js';

/** Logs in, binds `resource` and consumes the rest of the bind result. */
export async function boundClient(port: number, username: string, resource: string): Promise<{ client: RawClient; jid: string }> {
  const r = await rawLogin({ port, username, password: 'pw', resource });
  await r.client.expect(/^<\/bind><\/iq>/);
  return r;
}

/** Logs in and stops after the post-authentication <stream:features/> (returned), before binding. */
export async function authedClient(port: number, username: string): Promise<{ client: RawClient; features: string }> {
  const { client } = await connectSecure({ port });
  const auth = await saslAuth(client, { port, username, password: 'pw' });
  if (!auth.ok) throw new Error(`authentication failed: ${auth.answer}`);
  client.open('localhost');
  const m = await client.expect(/<stream:features>.*?<\/stream:features>/s);
  return { client, features: m[0] };
}

/** Waits for a pattern and returns everything the client read up to the end of the match. */
export async function readUntil(client: RawClient, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const m = await client.expect(pattern, timeoutMs);
  return m.input!.slice(0, (m.index ?? 0) + m[0].length);
}

/** The ids of the <message/> elements in a piece of stream text, in order. */
export function messageIds(text: string): string[] {
  return [...text.matchAll(/<message\b[^>]*?\bid=["']([^"']+)["']/g)].map((m) => m[1]!);
}

export const SM = 'urn:xmpp:sm:3';
