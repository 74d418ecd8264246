// XMPP over WebSocket (RFC 7395) on the HTTP listeners: the upgrade requires the 'xmpp' subprotocol and an allowed
// Origin; frames are limited to the c2s stanza size and are text only; the stream is the same C2S state machine
// as on TCP (src/net/websocket.ts).
import { createWebSocketEndpoint, defineModule, sendHttpError } from '../../src/api/index.js';
import { websocketOptions } from './options.js';
import type { WebSocketService } from './types.js';

declare module '../../src/api/index.js' {
  interface Services {
    websocket: WebSocketService;
  }
}

export default defineModule({
  name: 'websocket',
  description: 'XMPP over WebSocket (RFC 7395) at /xmpp-websocket on the HTTP listeners',
  options: websocketOptions,
  setup(ctx) {
    const { path, origins } = ctx.options;
    const endpoint = createWebSocketEndpoint({
      maxPayload: ctx.c2s.limits.stanzaBytes,
      origins,
      accept: (t) => ctx.c2s.accept(t),
      log: ctx.log,
    });
    ctx.http.upgrade(path, (req, socket, head) => endpoint.upgrade(req, socket, head));
    // A plain GET (someone opening the URL in a browser) learns what this is.
    ctx.http.route('GET', path, (_req, res) => {
      sendHttpError(res, 426, "this is an XMPP over WebSocket endpoint (RFC 7395): connect with a WebSocket client asking for the 'xmpp' subprotocol", { Upgrade: 'websocket' });
    });
    ctx.provide('websocket', { path });
    ctx.onUnload(() => endpoint.close());
  },
});
