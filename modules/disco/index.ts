// XEP-0030 Service Discovery for the server: answers disco#info and disco#items from what every
// module announced through its context (the core itself knows nothing of disco), with XEP-0128
// extended forms, XEP-0157 contact addresses, XEP-0115 capabilities in the stream features, and
// disco on behalf of accounts (their bare JIDs).
import { z } from 'zod';
import { clone } from 'ltx';
import { defineModule, el, StanzaError, type ModuleContext } from '../../src/api/index.js';
import { registerAccountDisco } from './account.js';
import { capsVer } from './caps.js';
import { contactForm, contactsSchema } from './contacts.js';
import { NS_CAPS, NS_INFO, NS_ITEMS } from './ns.js';

const options = z.object({
  /** Name shown for the server identity. */
  name: z.string().max(200).default('Starling'),
  /** Extra items listed in disco#items (e.g. a component not known to the server). */
  items: z.array(z.object({ jid: z.string(), name: z.string().optional() }).strict()).default([]),
  /** XEP-0115 node of the server's capabilities (the caps hash is appended after '#'). */
  capsNode: z.string().min(1).max(200).refine((s) => !s.includes('#'), "must not contain '#'").default('https://github.com/starling-xmpp'),
  /** XEP-0157 contact addresses (URIs) by kind: abuse, admin, feedback, sales, security, status, support. */
  contacts: contactsSchema,
  /** Answer disco queries to users' bare JIDs on their behalf (for the user and subscribed contacts). */
  accountDisco: z.boolean().default(true),
}).strict();

type Options = z.infer<typeof options>;

export default defineModule({
  name: 'disco',
  description: 'Service discovery for the server and accounts, entity capabilities, contact addresses (XEP-0030, 0115, 0128, 0157)',
  xeps: [
    { xep: 30, version: '2.5rc3', status: 'complete' },
    { xep: 115, version: '1.6.0', status: 'complete', note: 'the server advertises its own caps in stream features' },
    { xep: 128, version: '1.0.1', status: 'complete' },
    { xep: 157, version: '1.1.0', status: 'complete' },
  ],
  options,
  setup(ctx: ModuleContext<Options>) {
    const opts = ctx.options;
    ctx.addIdentity('server', 'im', opts.name);
    ctx.addFeature(NS_INFO);
    ctx.addFeature(NS_ITEMS);
    for (const item of opts.items) ctx.addDiscoItem(item);
    const contacts = contactForm(opts.contacts);
    if (contacts) ctx.addDiscoForm(contacts);

    // The caps hash changes only when a module changes what is announced: recompute per revision.
    let cached = { revision: -1, ver: '' };
    const ver = (): string => {
      const revision = ctx.disco.revision();
      if (revision !== cached.revision) cached = { revision, ver: capsVer(ctx.disco.identities(), ctx.disco.features(), ctx.disco.forms()) };
      return cached.ver;
    };

    // XEP-0115 §6.3: servers announce their capabilities as a stream feature, before and after auth.
    ctx.hook('stream-features', ({ features }) => {
      features.cnode(el('c', { xmlns: NS_CAPS, hash: 'sha-1', node: opts.capsNode, ver: ver() }));
    });

    ctx.iq.get('host', NS_INFO, 'query', ({ payload }) => {
      const node = payload.attrs.node;
      // The node#ver of our caps names the same information (XEP-0115 §6.2); no other node exists.
      if (node !== undefined && node !== `${opts.capsNode}#${ver()}`) throw new StanzaError('item-not-found', 'no such node');
      const query = el('query', { xmlns: NS_INFO, node });
      for (const id of ctx.disco.identities()) query.cnode(el('identity', { category: id.category, type: id.type, name: id.name }));
      for (const f of ctx.disco.features()) query.cnode(el('feature', { var: f }));
      for (const form of ctx.disco.forms()) query.cnode(clone(form));
      return query;
    });

    ctx.iq.get('host', NS_ITEMS, 'query', ({ payload }) => {
      if (payload.attrs.node) throw new StanzaError('item-not-found', 'no such node');
      const query = el('query', { xmlns: NS_ITEMS });
      for (const item of ctx.disco.items()) query.cnode(el('item', { jid: item.jid, name: item.name, node: item.node }));
      return query;
    });

    if (opts.accountDisco) registerAccountDisco(ctx);
  },
});
