// The stanzas held for one inactive session, in order; a newer available/unavailable presence from the
// same sender replaces the older one (only the latest state matters).
import type { Element } from 'ltx';
import type { Importance } from './importance.js';

export class HeldStanzas {
  #items: Element[] = [];

  get size(): number {
    return this.#items.length;
  }

  add(stanza: Element, kind: Importance): void {
    if (kind === 'coalesce') {
      const from = stanza.attrs.from;
      const i = this.#items.findIndex((e) => e.name === 'presence' && e.attrs.from === from && (e.attrs.type === undefined || e.attrs.type === 'unavailable'));
      if (i >= 0) this.#items.splice(i, 1);
    }
    this.#items.push(stanza);
  }

  /** Everything held, oldest first, and empty afterwards. */
  take(): Element[] {
    return this.#items.splice(0);
  }
}
