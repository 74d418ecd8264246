// vCards per user: the XML as written (one keyval row), its summary (a second, small row read for
// presence and search without parsing the XML), and a host-wide directory of users who have one
// (a map store under the empty owner, since stores cannot list their users). The per-user rows go
// with the account (purgeUser); directory entries are removed on user-deleted and checked on read.
import type { Element } from 'ltx';
import type { KeyValueStore, MapStore, ModuleContext } from '../../src/api/index.js';
import { parseFragment } from '../../src/xml/fragment.js';
import type { VcardSummary } from './types.js';

const DIRECTORY_OWNER = '';

export class VcardStore {
  readonly #xml: KeyValueStore;
  readonly #cards: KeyValueStore;
  readonly #directory: MapStore;
  /** Summaries by user (null: no vCard), least recently used first. */
  readonly #cache = new Map<string, VcardSummary | null>();

  constructor(ctx: ModuleContext<unknown>, private readonly cacheSize: number) {
    this.#xml = ctx.openStore('', 'keyval');
    this.#cards = ctx.openStore('card', 'keyval');
    this.#directory = ctx.openStore('directory', 'map');
  }

  async get(user: string): Promise<Element | null> {
    const xml = await this.#xml.get(user);
    return typeof xml === 'string' ? parseFragment(xml) : null;
  }

  /** The cached summary without touching the store: undefined when not cached. */
  peek(user: string): VcardSummary | null | undefined {
    return this.#cache.get(user);
  }

  async summary(user: string): Promise<VcardSummary | null> {
    if (this.#cache.has(user)) {
      const hit = this.#cache.get(user)!;
      this.#cache.delete(user);
      this.#cache.set(user, hit);
      return hit;
    }
    const card = (await this.#cards.get(user)) as VcardSummary | null;
    this.#remember(user, card);
    return card;
  }

  /** Stores a serialised vCard (already checked) with its summary, or removes both (null). */
  async put(user: string, xml: string | null, summary: VcardSummary | null): Promise<void> {
    if (xml !== null && summary) {
      await this.#xml.set(user, xml);
      await this.#cards.set(user, summary);
      await this.#directory.set(DIRECTORY_OWNER, user, 1);
    } else {
      await this.#xml.set(user, null);
      await this.#cards.set(user, null);
      await this.#directory.set(DIRECTORY_OWNER, user, null);
    }
    this.#remember(user, summary);
  }

  async users(): Promise<string[]> {
    return [...(await this.#directory.getAll(DIRECTORY_OWNER)).keys()].sort();
  }

  /** The account is gone (its rows were purged with it): drop what is not per-user. */
  async forget(user: string): Promise<void> {
    this.#cache.delete(user);
    await this.#directory.set(DIRECTORY_OWNER, user, null);
  }

  #remember(user: string, card: VcardSummary | null): void {
    this.#cache.delete(user);
    this.#cache.set(user, card);
    if (this.#cache.size > this.cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
  }
}
