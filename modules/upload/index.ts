// XEP-0363 HTTP File Upload: an upload component (upload.<host>, listed in the server's disco#items)
// hands local users slots for a file of a given size and type, within a maximum file size and a
// per-user quota; the file is PUT to a signed URL that expires and served by GET on the shared HTTP
// listener. Files live under <dataDir>/upload with random names and are deleted after expireSeconds.
import path from 'node:path';
import { defineModule, el, StanzaError, type ModuleContext } from '../../src/api/index.js';
import { subdomainHandlers, subdomainRoute } from '../subdomain/dispatch.js';
import { FileStore, type FileMeta } from './files.js';
import { uploadHandlers } from './http.js';
import { uploadOptions, type UploadOptions } from './options.js';
import { NS_UPLOAD, Slots } from './slots.js';

const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';

export default defineModule({
  name: 'upload',
  description: 'HTTP file upload (XEP-0363) on the shared HTTP listener, with size limits, quotas and expiry',
  xeps: [{ xep: 363, version: '1.1.0', status: 'complete' }],
  options: uploadOptions,
  setup(ctx: ModuleContext<UploadOptions>) {
    const o = ctx.options;
    const domain = o.domain ?? `upload.${ctx.host}`;
    const base = `${o.publicUrl ?? `https://${ctx.host}:5281`}${o.path}`;
    const files = new FileStore(path.join(ctx.server.dataDir ?? 'data', 'upload', ctx.host));
    const usage = ctx.openStore('usage', 'map');   // user -> file id -> size
    const slots = new Slots(o);

    const used = async (user: string): Promise<number> => {
      let n = 0;
      for (const size of (await usage.getAll(user)).values()) n += Number(size);
      return n;
    };
    const forget = async (meta: FileMeta) => usage.set(meta.owner, meta.id, null);

    // --- XMPP: the component ---
    const h = subdomainHandlers();
    h.on('get', NS_INFO, 'query', (_ev, q) => {
      if (q.attrs.node !== undefined) throw new StanzaError('item-not-found');
      return el('query', { xmlns: NS_INFO },
        el('identity', { category: 'store', type: 'file', name: 'HTTP File Upload' }),
        el('feature', { var: NS_INFO }),
        el('feature', { var: NS_UPLOAD }),
        el('x', { xmlns: 'jabber:x:data', type: 'result' },
          el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', null, NS_UPLOAD)),
          el('field', { var: 'max-file-size' }, el('value', null, String(o.maxFileBytes)))));
    });
    h.on('get', NS_ITEMS, 'query', () => el('query', { xmlns: NS_ITEMS }));
    h.on('get', NS_UPLOAD, 'request', async (ev, req) => {
      // Only this host's users may upload (a file server for the world is not what this is).
      if (ev.from.domain !== ctx.host || !ev.from.local) throw new StanzaError('forbidden', 'only local users may upload files here');
      const user = ev.from.local;
      const slot = slots.create(user, { filename: req.attrs.filename, size: req.attrs.size, type: req.attrs['content-type'] }, await used(user));
      const file = `${base}/${slot.meta.id}/${encodeURIComponent(slot.meta.name)}`;
      const putUrl = `${file}?e=${slot.expires}&s=${slots.signature(slot.meta.id, slot.expires)}`;
      return el('slot', { xmlns: NS_UPLOAD }, el('put', { url: putUrl }), el('get', { url: file }));
    });
    ctx.addRoute(domain, subdomainRoute(ctx, h));
    ctx.addDiscoItem({ jid: domain, name: 'HTTP File Upload' });

    // --- HTTP ---
    const handlers = uploadHandlers({
      o, slots, files,
      stored: async (meta) => usage.set(meta.owner, meta.id, meta.size),
      expired: forget,
    });
    ctx.http.route('PUT', `${o.path}/*`, handlers.put);
    ctx.http.route('GET', `${o.path}/*`, handlers.get);
    ctx.http.route('OPTIONS', `${o.path}/*`, handlers.options);

    // --- expiry ---
    const sweep = async () => {
      slots.sweep();
      const cutoff = Date.now() - o.expireSeconds * 1000;
      for (const meta of await files.all()) {
        if (meta.at <= cutoff) {
          await files.remove(meta.id);
          await forget(meta);
        }
      }
    };
    const run = () => void sweep().catch((err: unknown) => ctx.log.warn({ err }, 'upload expiry sweep failed'));
    run();
    ctx.timer(Math.min(o.expireSeconds * 1000, 3_600_000), run, { repeat: true });

    ctx.hook('user-deleted', async ({ username }) => {
      slots.forgetOwner(username);
      for (const meta of await files.all()) if (meta.owner === username) await files.remove(meta.id);
      await usage.deleteAll(username);
      return false;
    });
  },
});
