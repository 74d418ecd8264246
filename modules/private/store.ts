// One map-store row per (user, element): the key is the element's {namespace}name, the value its
// standalone serialisation, so one element (e.g. storage:bookmarks) can be read or converted alone.
import type { Element } from 'ltx';
import type { MapStore } from '../../src/api/index.js';
import { parseFragment } from '../../src/xml/fragment.js';

export const keyOf = (name: string, xmlns: string): string => `{${xmlns}}${name}`;

export class PrivateStore {
  constructor(private readonly map: MapStore) {}

  async get(user: string, name: string, xmlns: string): Promise<Element | null> {
    const xml = await this.map.get(user, keyOf(name, xmlns));
    return typeof xml === 'string' ? parseFragment(xml) : null;
  }

  /** Bytes stored for the user, without the rows whose keys are in `except` (about to be replaced). */
  async usage(user: string, except: ReadonlySet<string>): Promise<number> {
    let total = 0;
    for (const [key, xml] of await this.map.getAll(user)) {
      if (!except.has(key) && typeof xml === 'string') total += Buffer.byteLength(xml);
    }
    return total;
  }

  async put(user: string, key: string, xml: string | null): Promise<void> {
    await this.map.set(user, key, xml);
  }
}
