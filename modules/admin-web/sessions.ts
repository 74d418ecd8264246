// Web admin logins: random session ids in an HttpOnly, SameSite=Strict cookie, kept in memory with an expiry.
import { randomBytes } from 'node:crypto';

export interface WebSession { jid: string; expires: number }

export const COOKIE = 'starling_admin';

/** Failed logins per client address: after `max` within the window, logins from there are refused until it passes. */
export class LoginFailures {
  #byIp = new Map<string, number[]>();
  constructor(private readonly max: number, private readonly windowMs: number) {}

  blocked(ip: string, now = Date.now()): boolean {
    const recent = (this.#byIp.get(ip) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length) this.#byIp.set(ip, recent);
    else this.#byIp.delete(ip);
    return recent.length >= this.max;
  }

  record(ip: string, now = Date.now()): void {
    const list = this.#byIp.get(ip) ?? [];
    list.push(now);
    this.#byIp.set(ip, list);
  }

  sweep(now = Date.now()): void {
    for (const ip of [...this.#byIp.keys()]) this.blocked(ip, now);
  }
}

export class WebSessions {
  #byId = new Map<string, WebSession>();
  constructor(private readonly ttlMs: number) {}

  create(jid: string): string {
    const id = randomBytes(32).toString('base64url');
    this.#byId.set(id, { jid, expires: Date.now() + this.ttlMs });
    return id;
  }

  get(cookieHeader: string | undefined): { id: string; session: WebSession } | null {
    const id = (cookieHeader ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`))?.slice(COOKIE.length + 1);
    if (!id) return null;
    const s = this.#byId.get(id);
    if (!s) return null;
    if (s.expires < Date.now()) {
      this.#byId.delete(id);
      return null;
    }
    return { id, session: s };
  }

  drop(id: string): void {
    this.#byId.delete(id);
  }

  sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.#byId) if (s.expires < now) this.#byId.delete(id);
  }
}
