// XEP-0402 <conference xmlns='urn:xmpp:bookmarks:1'/> items and XEP-0048 <storage xmlns='storage:bookmarks'/>,
// each way (XEP-0402 §5.3 "Compatibility"): the room JID is the PEP item id, name/autojoin/nick/password
// map one to one, and XEP-0402 <extensions/> have no XEP-0048 form (they are kept on the PEP side).
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { parseJid } from '../../src/jid.js';

export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';
export const NS_BOOKMARKS_COMPAT = 'urn:xmpp:bookmarks:1#compat';
export const NS_STORAGE = 'storage:bookmarks';

export interface Bookmark {
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
  password?: string;
}

const isTrue = (v: string | undefined) => v === 'true' || v === '1';

function validJid(jid: string | undefined): string | null {
  if (!jid) return null;
  try {
    const j = parseJid(jid);
    return j.resource === '' && j.local !== '' ? j.toString() : null;
  } catch {
    return null;
  }
}

/** The conferences of a XEP-0048 <storage/>; entries without a valid room JID are skipped. */
export function fromStorage(storage: Element): Bookmark[] {
  const out = new Map<string, Bookmark>();
  for (const c of storage.getChildren('conference')) {
    const jid = validJid(c.attrs.jid);
    if (!jid) continue;
    out.set(jid, {
      jid,
      name: c.attrs.name || undefined,
      autojoin: isTrue(c.attrs.autojoin),
      nick: c.getChildText('nick') ?? undefined,
      password: c.getChildText('password') ?? undefined,
    });
  }
  return [...out.values()];
}

/** A XEP-0402 item payload for a bookmark; `extensions` from an existing item are carried over. */
export function toConference(b: Bookmark, extensions?: Element): Element {
  return el('conference', { xmlns: NS_BOOKMARKS2, name: b.name, autojoin: b.autojoin ? 'true' : undefined },
    b.nick !== undefined ? el('nick', null, b.nick) : null,
    b.password !== undefined ? el('password', null, b.password) : null,
    extensions ?? null);
}

/** A bookmark from a XEP-0402 item (id = room JID), or null if it is not one. */
export function fromConference(id: string, c: Element | null): Bookmark | null {
  const jid = validJid(id);
  if (!jid || !c || c.name !== 'conference' || c.attrs.xmlns !== NS_BOOKMARKS2) return null;
  return {
    jid,
    name: c.attrs.name || undefined,
    autojoin: isTrue(c.attrs.autojoin),
    nick: c.getChildText('nick') ?? undefined,
    password: c.getChildText('password') ?? undefined,
  };
}

/** The XEP-0048 <storage/> for these bookmarks, keeping `keep` (e.g. <url/> entries) from the old one. */
export function toStorage(bookmarks: Bookmark[], keep: Element[] = []): Element {
  const s = el('storage', { xmlns: NS_STORAGE });
  for (const b of bookmarks) {
    s.cnode(el('conference', { jid: b.jid, name: b.name, autojoin: b.autojoin ? 'true' : 'false' },
      b.nick !== undefined ? el('nick', null, b.nick) : null,
      b.password !== undefined ? el('password', null, b.password) : null));
  }
  for (const k of keep) s.cnode(k);
  return s;
}

export function same(a: Bookmark, b: Bookmark): boolean {
  return a.jid === b.jid && a.name === b.name && a.autojoin === b.autojoin && a.nick === b.nick && a.password === b.password;
}
