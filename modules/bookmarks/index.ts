// XEP-0402 PEP native bookmarks with the urn:xmpp:bookmarks:1#compat conversion: a client that stores
// XEP-0048 bookmarks in XEP-0049 private storage (or in the legacy storage:bookmarks PEP node) sees
// them as XEP-0402 items, and XEP-0402 changes show up in private storage, so old and new clients of
// one account share one list. Changes made by this module are not converted back (no loops).
import { clone } from 'ltx';
import { z } from 'zod';
import { defineModule, type ModuleContext } from '../../src/api/index.js';
import '../pep/types.js';
import '../private/types.js';
import { fromConference, fromStorage, NS_BOOKMARKS2, NS_BOOKMARKS_COMPAT, NS_STORAGE, same, toConference, toStorage, type Bookmark } from './convert.js';

const options = z.object({}).strict();

/** XEP-0402 §3: the node is private, persistent and holds every bookmark. */
const NODE_OPTIONS = { access_model: 'whitelist', persist_items: true, max_items: 'max', send_last_published_item: 'never' } as const;

export default defineModule({
  name: 'bookmarks',
  description: 'Bookmarks in PEP (XEP-0402) kept in step with XEP-0048 bookmarks in private storage (XEP-0049)',
  xeps: [
    { xep: 402, version: '1.1.4', status: 'complete', note: '#compat: both ways with XEP-0049 private storage and the storage:bookmarks PEP node' },
    { xep: 48, version: '1.2', status: 'complete', note: 'through XEP-0049 and PEP, converted to XEP-0402' },
  ],
  depends: ['pep', 'private'],
  options,
  setup(ctx: ModuleContext<z.infer<typeof options>>) {
    const pep = ctx.use('pep');
    const priv = ctx.use('private');
    ctx.addFeature(NS_BOOKMARKS_COMPAT, 'account');

    /** XEP-0048 -> XEP-0402: publish what changed, retract what is gone. */
    const toPep = async (user: string, storage: Bookmark[]): Promise<void> => {
      const current = (await pep.items(user, NS_BOOKMARKS2)) ?? [];
      const byJid = new Map(current.map((i) => [i.id, i]));
      for (const b of storage) {
        const existing = byJid.get(b.jid);
        const old = existing ? fromConference(existing.id, existing.payload) : null;
        if (old && same(old, b)) continue;
        const ext = existing?.payload?.getChild('extensions') ?? undefined;
        await pep.publish(user, NS_BOOKMARKS2, b.jid, toConference(b, ext ? clone(ext) : undefined), NODE_OPTIONS);
      }
      const wanted = new Set(storage.map((b) => b.jid));
      for (const i of current) if (!wanted.has(i.id)) await pep.retract(user, NS_BOOKMARKS2, i.id);
    };

    /** XEP-0402 -> XEP-0048 in private storage, keeping its <url/> entries. */
    const toPrivate = async (user: string): Promise<void> => {
      const items = (await pep.items(user, NS_BOOKMARKS2)) ?? [];
      const list = items.map((i) => fromConference(i.id, i.payload)).filter((b): b is Bookmark => b !== null);
      const old = await priv.get(user, 'storage', NS_STORAGE);
      const keep = old ? old.getChildElements().filter((c) => c.name !== 'conference').map((c) => clone(c)) : [];
      await priv.set(user, toStorage(list, keep));
    };

    // Serialised per user, so a burst of changes is converted in order.
    const queues = new Map<string, Promise<void>>();
    const inOrder = (user: string, fn: () => Promise<void>): Promise<void> => {
      const run = (queues.get(user) ?? Promise.resolve()).then(fn).catch((err: unknown) => ctx.log.warn({ err, user }, 'bookmark conversion failed'));
      queues.set(user, run);
      void run.then(() => {
        if (queues.get(user) === run) queues.delete(user);
      });
      return run;
    };

    ctx.hook('private-stored', ({ username, name, xmlns, element }) => {
      if (name !== 'storage' || xmlns !== NS_STORAGE) return false;
      return inOrder(username, () => toPep(username, fromStorage(element))).then(() => false);
    });

    ctx.hook('pep-changed', (ev) => {
      if (ev.actor === '') return false;   // our own conversion
      if (ev.node === NS_BOOKMARKS2) return inOrder(ev.username, () => toPrivate(ev.username)).then(() => false);
      // Legacy clients that keep XEP-0048 <storage/> in PEP (XEP-0048 §3.3).
      if (ev.node === NS_STORAGE && ev.action === 'publish' && ev.payload?.name === 'storage') {
        const payload = ev.payload;
        return inOrder(ev.username, async () => {
          await toPep(ev.username, fromStorage(payload));
          await toPrivate(ev.username);
        }).then(() => false);
      }
      return false;
    });
    ctx.onUnload(async () => {
      await Promise.allSettled([...queues.values()]);
    });
  },
});
