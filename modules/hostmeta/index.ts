// XEP-0156 over HTTP: /.well-known/host-meta (XRD) and /.well-known/host-meta.json (JRD) list the WebSocket and BOSH
// endpoints that are enabled on this host, so that web clients find them from the domain alone.
import type { ServerResponse } from 'node:http';
import { defineModule, sendHttp, type HttpRequest } from '../../src/api/index.js';
import { jrd, REL_BOSH, REL_WEBSOCKET, xrd, type Link } from './links.js';
import { hostmetaOptions } from './options.js';

export default defineModule({
  name: 'hostmeta',
  description: 'Announces the WebSocket and BOSH endpoints at /.well-known/host-meta(.json) (XEP-0156)',
  xeps: [{ xep: 156, version: '1.4.0', status: 'complete', note: 'HTTP lookup method; the DNS TXT method is deprecated' }],
  options: hostmetaOptions,
  setup(ctx) {
    const o = ctx.options;

    /** The URLs as the client reached us (or as configured), for the endpoints enabled right now. */
    const links = (req: HttpRequest): Link[] => {
      const base = new URL(o.publicUrl ?? `${req.scheme}://${req.host || ctx.host}`);
      // Endpoint paths are taken relative to the base, so a publicUrl with a path (behind a proxy) keeps it.
      const at = (path: string) => new URL(path.replace(/^\//, ''), base.href.endsWith('/') ? base.href : `${base.href}/`);
      const out: Link[] = [];
      const ws = ctx.tryUse('websocket');
      if (o.websocketUrl) out.push({ rel: REL_WEBSOCKET, href: o.websocketUrl });
      else if (ws) {
        const u = at(ws.path);
        u.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
        out.push({ rel: REL_WEBSOCKET, href: u.href });
      }
      const bosh = ctx.tryUse('bosh');
      if (o.boshUrl) out.push({ rel: REL_BOSH, href: o.boshUrl });
      else if (bosh) out.push({ rel: REL_BOSH, href: at(bosh.path).href });
      return out;
    };

    const serve = (type: string, render: (l: Link[]) => string) => (req: HttpRequest, res: ServerResponse) => {
      // Any web client may read it (XEP-0156 §3.2); it holds nothing private.
      sendHttp(res, 200, render(links(req)), type, {
        'Access-Control-Allow-Origin': '*',
        'Cache-Control': 'public, max-age=300',
        Vary: 'Host',
      });
    };
    ctx.http.route('GET', '/.well-known/host-meta', serve('application/xrd+xml; charset=utf-8', xrd));
    ctx.http.route('GET', '/.well-known/host-meta.json', serve('application/json', jrd));
  },
});
