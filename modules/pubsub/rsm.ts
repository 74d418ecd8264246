// XEP-0059 paging of a node's items (oldest first) by item id, for <items/> requests to pubsub.<host>.
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import type { ItemPager } from '../pep/protocol.js';
import type { StoredItem } from '../pep/types.js';

const NS_RSM = 'http://jabber.org/protocol/rsm';

export function rsmPager(defaultMax: number): ItemPager {
  return {
    page(items: StoredItem[], request: Element) {
      const set = request.getChild('set', NS_RSM);
      if (!set) return { items, set: null };
      const maxText = set.getChildText('max');
      if (maxText !== null && !/^\s*[0-9]{1,9}\s*$/.test(maxText)) throw new StanzaError('bad-request', 'RSM <max/> must be a number');
      const max = maxText === null ? defaultMax : Number(maxText);
      const after = set.getChildText('after');
      const before = set.getChild('before');
      let start = 0;
      let end = items.length;
      if (after !== null) {
        const i = items.findIndex((x) => x.id === after.trim());
        if (i < 0) throw new StanzaError('item-not-found', 'no item with the <after/> id');
        start = i + 1;
      }
      let page: StoredItem[];
      if (before) {
        const id = before.getText().trim();
        if (id !== '') {
          const i = items.findIndex((x) => x.id === id);
          if (i < 0) throw new StanzaError('item-not-found', 'no item with the <before/> id');
          end = i;
        }
        page = items.slice(Math.max(start, end - max), end);
      } else {
        page = items.slice(start, start + max);
      }
      const index = page.length > 0 ? items.indexOf(page[0]!) : undefined;
      const out = el('set', { xmlns: NS_RSM },
        page.length > 0 ? el('first', { index: String(index) }, page[0]!.id) : null,
        page.length > 0 ? el('last', null, page.at(-1)!.id) : null,
        el('count', null, String(items.length)));
      return { items: page, set: out };
    },
  };
}
