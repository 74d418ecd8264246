// @xmpp/client over WebSocket (RFC 7395), as browser clients use it. Node 20 has no global WebSocket: the `ws`
// package's client (which implements the browser API the library uses) is installed as one.
import { client, type XmppClient } from '@xmpp/client';
import type { Element } from 'ltx';
import WebSocket from 'ws';

const g = globalThis as { WebSocket?: unknown };
g.WebSocket ??= WebSocket;

export interface WsXmppClient {
  xmpp: XmppClient;
  jid: string;
  received: Element[];
  waitFor(pred: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  stop(): Promise<void>;
}

export async function connectWsClient(o: { url: string; username: string; password: string; resource?: string; domain?: string }): Promise<WsXmppClient> {
  const xmpp = client({ service: o.url, domain: o.domain ?? 'localhost', username: o.username, password: o.password, resource: o.resource });
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
