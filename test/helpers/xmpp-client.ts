// @xmpp/client (the library real web and bot clients use) against our server.
import { client, type XmppClient } from '@xmpp/client';
import type { Element } from 'ltx';

export interface ClientOptions {
  port: number;
  domain?: string;
  username: string;
  password: string;
  resource?: string;
  directTls?: boolean;
}

export interface TestClient {
  xmpp: XmppClient;
  jid: string;
  received: Element[];
  /** Resolves with the first received stanza that matches (including ones already received). */
  waitFor(pred: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  stop(): Promise<void>;
}

export async function connectClient(o: ClientOptions): Promise<TestClient> {
  const domain = o.domain ?? 'localhost';
  // Direct TLS needs a name to verify the certificate against, so it connects to "localhost".
  const service = o.directTls ? `xmpps://localhost:${o.port}` : `xmpp://127.0.0.1:${o.port}`;
  return startClient({ service, domain, username: o.username, password: o.password, resource: o.resource });
}

/** Starts an @xmpp/client for any service URL (xmpp://, xmpps://, ws://) and collects what it receives. */
export async function startClient(o: { service: string; domain: string; username: string; password: string; resource?: string }): Promise<TestClient> {
  const xmpp = client({ service: o.service, domain: o.domain, username: o.username, password: o.password, resource: o.resource });
  xmpp.reconnect.stop();
  xmpp.on('error', () => undefined);
  const received: Element[] = [];
  const waiters = new Set<() => void>();
  xmpp.on('stanza', (el: Element) => {
    received.push(el);
    for (const w of [...waiters]) w();
  });
  const addr = await xmpp.start();
  return {
    xmpp,
    jid: String(addr),
    received,
    waitFor(pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = received.findIndex(pred);
          if (i >= 0) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(received.splice(i, 1)[0]!);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching stanza within ${timeoutMs} ms; got ${received.map(String).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      await xmpp.stop().catch(() => undefined);
    },
  };
}
