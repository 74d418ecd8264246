// Time-limited TURN credentials in the shared-secret scheme of coturn's REST API (use-auth-secret,
// draft-uberti-behave-turn-rest): username "<expiry unix time>:<user>", password base64(HMAC-SHA1(secret, username)).
import { createHmac } from 'node:crypto';

export function turnCredentials(secret: string, user: string, ttlSeconds: number, now = Date.now()): { username: string; password: string; expires: Date } {
  const expiry = Math.floor(now / 1000) + Math.floor(ttlSeconds);
  const username = `${expiry}:${user}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return { username, password, expires: new Date(expiry * 1000) };
}
