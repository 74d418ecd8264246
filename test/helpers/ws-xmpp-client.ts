// @xmpp/client over WebSocket (RFC 7395), as browser clients use it. Node 20 has no global WebSocket: the `ws`
// package's client (which implements the browser API the library uses) is installed as one.
import WebSocket from 'ws';
import { startClient, type TestClient } from './xmpp-client.js';

const g = globalThis as { WebSocket?: unknown };
g.WebSocket ??= WebSocket;

export type WsXmppClient = TestClient;

export function connectWsClient(o: { url: string; username: string; password: string; resource?: string; domain?: string }): Promise<WsXmppClient> {
  return startClient({ service: o.url, domain: o.domain ?? 'localhost', username: o.username, password: o.password, resource: o.resource });
}
