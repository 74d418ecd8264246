// XEP-0313 §5 archive metadata: the first and last item of an archive (any ArchiveStore).
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import type { MamArchiveRef } from './query.js';
import { NS_MAM } from './ns.js';

/** <metadata xmlns='urn:xmpp:mam:2'> with <start/> and <end/>, or empty when the archive is empty. */
export async function archiveMetadata(a: Pick<MamArchiveRef, 'store' | 'owner'>): Promise<Element> {
  const [first, last] = await Promise.all([
    a.store.find(a.owner, { limit: 1 }),
    a.store.find(a.owner, { limit: 1, reverse: true }),
  ]);
  const f = first.items[0];
  const l = last.items[0];
  return el('metadata', { xmlns: NS_MAM },
    f ? el('start', { id: f.id, timestamp: new Date(f.when).toISOString() }) : null,
    l ? el('end', { id: l.id, timestamp: new Date(l.when).toISOString() }) : null);
}
