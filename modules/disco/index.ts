// XEP-0030 Service Discovery for the server: answers disco#info and disco#items from what every
// module announced through its context. The core itself knows nothing of disco.
import { z } from 'zod';
import { defineModule, el, StanzaError } from '../../src/api/index.js';

const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';

export default defineModule({
  name: 'disco',
  description: 'Service discovery for the server (XEP-0030)',
  xeps: [{ xep: 30, version: '2.5rc3', status: 'complete' }],
  options: z.object({
    /** Name shown for the server identity. */
    name: z.string().max(200).default('Starling'),
    /** Extra items listed in disco#items (e.g. a component not known to the server). */
    items: z.array(z.object({ jid: z.string(), name: z.string().optional() }).strict()).default([]),
  }).strict(),
  setup(ctx) {
    ctx.addIdentity('server', 'im', ctx.options.name);
    ctx.addFeature(NS_INFO);
    ctx.addFeature(NS_ITEMS);
    for (const item of ctx.options.items) ctx.addDiscoItem(item);

    ctx.iq.get('host', NS_INFO, 'query', ({ payload }) => {
      if (payload.attrs.node) throw new StanzaError('item-not-found', 'no such node');
      const query = el('query', { xmlns: NS_INFO });
      for (const id of ctx.disco.identities()) query.cnode(el('identity', { category: id.category, type: id.type, name: id.name }));
      for (const f of ctx.disco.features()) query.cnode(el('feature', { var: f }));
      return query;
    });

    ctx.iq.get('host', NS_ITEMS, 'query', ({ payload }) => {
      if (payload.attrs.node) throw new StanzaError('item-not-found', 'no such node');
      const query = el('query', { xmlns: NS_ITEMS });
      for (const item of ctx.disco.items()) query.cnode(el('item', { jid: item.jid, name: item.name, node: item.node }));
      return query;
    });
  },
});
