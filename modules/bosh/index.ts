// BOSH (XEP-0124) with the XMPP profile (XEP-0206) on the HTTP listeners: the connection manager in
// src/net/bosh.ts puts each BOSH session under the same C2S state machine as TCP; this module serves it with CORS.
import { BoshManager, defineModule, sendHttpError } from '../../src/api/index.js';
import { applyCors } from './cors.js';
import { boshOptions } from './options.js';
import type { BoshService } from './types.js';

declare module '../../src/api/index.js' {
  interface Services {
    bosh: BoshService;
  }
}

export default defineModule({
  name: 'bosh',
  description: 'XMPP over BOSH (XEP-0124, XEP-0206) at /http-bind on the HTTP listeners',
  xeps: [
    { xep: 124, version: '1.11.2', status: 'partial', note: 'no acknowledgements, key sequencing, multiple streams or custom content types (all optional)' },
    { xep: 206, version: '1.4', status: 'complete' },
  ],
  options: boshOptions,
  setup(ctx) {
    const o = ctx.options;
    const limits = ctx.c2s.limits;
    const manager = new BoshManager({
      maxWait: o.maxWait,
      maxHold: o.maxHold,
      inactivity: o.inactivity,
      maxPause: o.maxPause,
      maxBodyBytes: o.maxBodyBytes ?? limits.stanzaBytes + 16_384,
      maxDepth: limits.maxDepth,
      maxChildren: limits.maxChildren,
    }, { accept: (t) => ctx.c2s.accept(t), log: ctx.log });

    ctx.http.route('POST', o.path, (req, res) => {
      if (!applyCors(req, res, o.origins)) {
        sendHttpError(res, 403, 'this origin may not use this BOSH endpoint');
        return;
      }
      return manager.handle(req, res);
    });
    ctx.http.route('OPTIONS', o.path, (req, res) => {
      if (!applyCors(req, res, o.origins)) {
        sendHttpError(res, 403, 'this origin may not use this BOSH endpoint');
        return;
      }
      res.statusCode = 204;
      res.end();
    });
    ctx.provide('bosh', { path: o.path });
    ctx.onUnload(() => manager.close());
  },
});
