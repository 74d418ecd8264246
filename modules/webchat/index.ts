// A web chat at /chat: Converse.js (the npm package's release bundle, served from node_modules) configured for this
// host and its WebSocket endpoint, so that a newcomer can chat from a browser right after `npm start`.
import { defineModule, sendHttp } from '../../src/api/index.js';
import { AssetServer, converseDist, converseVersion } from './assets.js';
import { pageCsp } from './csp.js';
import { initScript, pageHtml, type PageConfig } from './page.js';
import { webchatOptions } from './options.js';

export default defineModule({
  name: 'webchat',
  description: 'Web chat (Converse.js) at /chat, connecting over the websocket module',
  // What Converse.js needs from the server to work at all: the transport, contacts and presence, message delivery,
  // and the block list (Converse 12 waits for XEP-0191 before it opens a chat with someone not in the roster).
  depends: ['websocket', 'roster', 'presence', 'message', 'blocking'],
  options: webchatOptions,
  setup(ctx) {
    const o = ctx.options;
    const dist = converseDist();
    const assets = new AssetServer(dist);
    ctx.log.debug({ version: converseVersion(dist), dist }, 'serving Converse.js');
    const config = (): PageConfig => ({
      base: o.path,
      title: o.title,
      domain: ctx.host,
      websocketPath: ctx.use('websocket').path,
      converse: o.converse,
    });
    const noStore = { 'Cache-Control': 'no-cache' };

    ctx.http.route('GET', o.path, (req, res) => {
      sendHttp(res, 200, pageHtml(config()), 'text/html; charset=utf-8', { ...noStore, 'Content-Security-Policy': pageCsp(req) });
    });
    ctx.http.route('GET', `${o.path}/`, (_req, res) => {
      res.statusCode = 308;
      res.setHeader('Location', o.path);
      res.end();
    });
    ctx.http.route('GET', `${o.path}/init.js`, (_req, res) => {
      sendHttp(res, 200, initScript(config()), 'text/javascript; charset=utf-8', noStore);
    });
    ctx.http.route('GET', `${o.path}/dist/*`, (req, res) => assets.serve(req, res, req.subpath));
  },
});
