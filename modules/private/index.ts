// XEP-0049 Private XML Storage: a user stores arbitrary XML elements on the server, each under its
// own name and namespace, and reads them back; nobody else can (§3, §5).
//   get/set to another JID                    -> forbidden (§3: preferable to service-unavailable)
//   no child element                          -> not-acceptable (§3 "MUST"; "Bad Format" is XEP-0086's 406)
//   a get naming more than one namespace      -> bad-request (§3: a client MUST NOT)
//   reserved namespace (jabber:*, http://jabber.org/*, vcard-temp) -> not-acceptable (§3, optional)
//   over the per-user quota                   -> not-acceptable with a text
// Storing an element without content removes the row: reading it back gives the same empty element.
import type { Element } from 'ltx';
import { z } from 'zod';
import { defineModule, el, StanzaError, type IqRequest, type ModuleContext } from '../../src/api/index.js';
import { standalone } from '../../src/xml/fragment.js';
import { NS_PRIVATE } from './ns.js';
import { keyOf, PrivateStore } from './store.js';
import type { PrivateService } from './types.js';

const options = z.object({
  /** Most bytes (serialised XML) one user may keep in private storage. */
  maxBytes: z.number().int().positive().default(1_048_576),
}).strict();

type Options = z.infer<typeof options>;

function isReserved(xmlns: string): boolean {
  return xmlns.startsWith('jabber:') || xmlns.startsWith('http://jabber.org/') || xmlns === 'vcard-temp';
}

/** The user whose storage this is: only the account itself may touch it. */
function owner({ from, to }: IqRequest, host: string): string {
  if (!from.local || from.local !== to.local || from.domain !== to.domain || to.domain !== host) {
    throw new StanzaError('forbidden', 'private XML storage is only for its owner');
  }
  return to.local;
}

/** The payload's child elements, each in a namespace of its own (not reserved). */
function children(payload: Element): Element[] {
  const kids = payload.getChildElements();
  if (kids.length === 0) throw new StanzaError('not-acceptable', 'the query needs a child element in the namespace of the data');
  for (const k of kids) {
    const ns = k.getNS() ?? '';
    if (isReserved(ns)) throw new StanzaError('not-acceptable', `the namespace '${ns.slice(0, 100)}' is reserved`);
  }
  return kids;
}

/** An element with nothing in it: storing it is the same as storing nothing. */
const isBare = (e: Element) => e.getChildElements().length === 0 && e.getText().trim() === '' && Object.keys(e.attrs).every((a) => a === 'xmlns' || a.startsWith('xmlns:'));

export default defineModule({
  name: 'private',
  description: 'Private XML storage for clients (XEP-0049), e.g. legacy bookmarks',
  xeps: [{ xep: 49, version: '1.2', status: 'complete' }],
  options,
  setup(ctx: ModuleContext<Options>) {
    const store = new PrivateStore(ctx.openStore('', 'map'));
    // Announced on the server like Prosody and ejabberd do (clients look for it there).
    ctx.addFeature(NS_PRIVATE);

    ctx.iq.get('bare', NS_PRIVATE, 'query', async (req) => {
      const user = owner(req, ctx.host);
      const wanted = children(req.payload);
      if (new Set(wanted.map((w) => w.getNS())).size > 1) throw new StanzaError('bad-request', 'ask for one namespace at a time');
      const query = el('query', { xmlns: NS_PRIVATE });
      for (const w of wanted) query.cnode((await store.get(user, w.getName(), w.getNS()!)) ?? standalone(w));
      return query;
    });

    ctx.iq.set('bare', NS_PRIVATE, 'query', async (req) => {
      const user = owner(req, ctx.host);
      const items = children(req.payload).map((k) => {
        const stored = standalone(k);
        return { name: k.getName(), xmlns: k.getNS()!, key: keyOf(k.getName(), k.getNS()!), element: stored, xml: isBare(k) ? null : stored.toString() };
      });
      // Later elements with the same name and namespace replace earlier ones, as separate sets would.
      const byKey = new Map(items.map((i) => [i.key, i]));
      const adding = [...byKey.values()].reduce((n, i) => n + (i.xml ? Buffer.byteLength(i.xml) : 0), 0);
      const total = adding + (await store.usage(user, new Set(byKey.keys())));
      if (total > ctx.options.maxBytes) {
        throw new StanzaError('not-acceptable', `private storage would hold ${total} bytes; at most ${ctx.options.maxBytes} are allowed`);
      }
      for (const i of byKey.values()) await store.put(user, i.key, i.xml);
      for (const i of byKey.values()) await ctx.fire('private-stored', { username: user, name: i.name, xmlns: i.xmlns, element: i.element });
    });

    const service: PrivateService = {
      get: (user, name, xmlns) => store.get(user, name, xmlns),
      set: async (user, element) => {
        const stored = standalone(element);
        await store.put(user, keyOf(element.getName(), element.getNS() ?? ''), isBare(element) ? null : stored.toString());
      },
    };
    ctx.provide('private', service);
  },
});
