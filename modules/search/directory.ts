// The searchable users of this host and their directory fields, in memory: built from the vcard
// module's directory on the first search, then kept current by its vcard-updated events. Only users
// who opted in are in it (or everyone with a vCard, with optIn: 'all').
import type { ModuleContext } from '../../src/api/index.js';
import type { VcardService, VcardSummary } from '../vcard/types.js';

export type OptIn = 'vcard-class' | 'all';

export class Directory {
  #entries: Map<string, VcardSummary> | null = null;
  #building: Promise<Map<string, VcardSummary>> | null = null;
  /** Changes that arrive while the directory is being built, applied when it is done. */
  #pending = new Map<string, VcardSummary | null>();

  constructor(private readonly vcards: VcardService, private readonly optIn: OptIn, private readonly log: ModuleContext<unknown>['log']) {}

  #listed(card: VcardSummary | null): card is VcardSummary {
    return card !== null && (this.optIn === 'all' || card.public);
  }

  async entries(): Promise<ReadonlyMap<string, VcardSummary>> {
    if (this.#entries) return this.#entries;
    this.#building ??= this.#build();
    return this.#building;
  }

  async #build(): Promise<Map<string, VcardSummary>> {
    const map = new Map<string, VcardSummary>();
    try {
      for (const user of await this.vcards.users()) {
        const card = await this.vcards.summary(user);
        if (this.#listed(card)) map.set(user, card);
      }
    } catch (err) {
      this.#building = null;
      throw err;
    }
    for (const [user, card] of this.#pending) this.#apply(map, user, card);
    this.#pending.clear();
    this.#entries = map;
    this.#building = null;
    this.log.debug({ users: map.size }, 'search directory built');
    return map;
  }

  update(user: string, card: VcardSummary | null): void {
    if (this.#entries) this.#apply(this.#entries, user, card);
    else if (this.#building) this.#pending.set(user, card);
    // else: not built yet; the build will read the stored state
  }

  #apply(map: Map<string, VcardSummary>, user: string, card: VcardSummary | null): void {
    if (this.#listed(card)) map.set(user, card);
    else map.delete(user);
  }
}
