// Writing messages into users' archives as they pass: outgoing on the sender's host (pre-message), incoming on
// the recipient's host (message/bare, message/full), each with a XEP-0359 stanza-id stamped on the stanza.
//
// A stanza object is archived at most once per user: the ids handed out are remembered per stanza (weakly), so a
// message to an unavailable full JID (which the router fires again as message/bare), a message to oneself, or
// one that goes on to offline storage keeps the one id it got, and offline delivery carries the same stanza-id
// as the archive.
import type { Element } from 'ltx';
import type { ModuleContext, RosterServiceLike } from './types.js';
import type { BufferedArchive } from './buffer.js';
import { serialize } from '../../src/xml/serialize.js';
import type { Jid } from '../../src/jid.js';
import { decide, type PrefsStore } from './prefs.js';
import { addStanzaId, stanzaIdBy } from './stanza-id.js';

type Maybe<T> = T | Promise<T>;

const then = <T, U>(v: Maybe<T>, f: (x: T) => Maybe<U>): Maybe<U> => (v instanceof Promise ? v.then(f) : f(v));

export class Archiver {
  #ids = new WeakMap<Element, Map<string, string>>();

  constructor(
    private readonly ctx: ModuleContext<unknown>,
    readonly store: BufferedArchive,
    private readonly prefs: PrefsStore,
  ) {}

  /** The id `stanza` got in `user`'s archive, if it was archived there. */
  idFor(stanza: Element, user: string): string | undefined {
    return this.#ids.get(stanza)?.get(user);
  }

  /** Do `user`'s preferences let messages with `peer` in? Synchronous when the prefs are cached. */
  allows(user: string, peer: Jid): Maybe<boolean> {
    return then(this.prefs.get(user), (p) => {
      const d = decide(p, peer);
      if (d !== 'roster') return d;
      const roster = this.ctx.tryUse('roster') as RosterServiceLike | undefined;
      if (!roster) return false;
      return roster.subscription(user, peer.bare()).then((s) => s !== null);
    });
  }

  /**
   * Stores `stanza` in `user`'s archive (unless the prefs say no) and stamps <stanza-id by=userBare/> on it.
   * Resolves with the id, or undefined when it was not archived. The row is queued and written at the end of this
   * event-loop turn (before any read through the same BufferedArchive); in durable mode this resolves after that.
   */
  archive(user: string, userBare: string, peer: Jid, stanza: Element): Maybe<string | undefined> {
    const known = this.idFor(stanza, user);
    if (known !== undefined) {
      if (stanzaIdBy(stanza, userBare) === undefined) addStanzaId(stanza, userBare, known);
      return known;
    }
    return then(this.allows(user, peer), (ok) => {
      if (!ok) return undefined;
      const when = Date.now();
      const id = this.store.newId(when);   // the store's own id shape: found again by a primary-key read
      const xml = serialize(stanza);
      const committed = this.store.enqueue({ user, id, when, with: peer.bare(), kind: stanza.attrs.type === 'chat' ? 'chat' : 'normal', xml });
      let m = this.#ids.get(stanza);
      if (!m) this.#ids.set(stanza, (m = new Map()));
      m.set(user, id);
      addStanzaId(stanza, userBare, id);
      // Durable mode: the message goes on once its row is committed (see BufferedArchive).
      return committed ? committed.then(() => id) : id;
    });
  }
}
