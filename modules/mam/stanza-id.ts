// XEP-0359 unique and stable stanza ids: an archiving entity adds <stanza-id by='itself' id='...'/> and removes any
// such element claiming to be by itself that someone else put there (§3.2). <origin-id/> is left alone.
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { NS_SID } from './ns.js';

const isStanzaId = (c: Element | string): c is Element => typeof c !== 'string' && c.name === 'stanza-id' && c.attrs.xmlns === NS_SID;

/** Whether a `by` attribute names `by` (a prepared JID): compared after preparation, so case tricks do not pass. */
function sameJid(attr: unknown, by: string): boolean {
  if (typeof attr !== 'string') return false;
  if (attr === by) return true;
  return tryParseJid(attr)?.full() === by;
}

/** Removes every <stanza-id/> whose 'by' is `by` (or that has no 'by'). Cheap when there is none. */
export function stripStanzaIds(stanza: Element, by: string): void {
  const children = stanza.children;
  let found = false;
  for (const c of children) if (isStanzaId(c)) { found = true; break; }
  if (!found) return;
  stanza.children = children.filter((c) => !(isStanzaId(c) && (c.attrs.by === undefined || sameJid(c.attrs.by, by))));
}

/** Appends <stanza-id xmlns='urn:xmpp:sid:0' by=… id=…/>. */
export function addStanzaId(stanza: Element, by: string, id: string): void {
  stanza.cnode(el('stanza-id', { xmlns: NS_SID, by, id }));
}

/** The id of our <stanza-id by=`by`/>, if the stanza has one. */
export function stanzaIdBy(stanza: Element, by: string): string | undefined {
  for (const c of stanza.children) if (isStanzaId(c) && c.attrs.by === by) return c.attrs.id as string | undefined;
  return undefined;
}
