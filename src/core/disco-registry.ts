// What each host announces through service discovery. Modules add entries through their context;
// the disco module (not the core) answers queries from it. Counted so that two modules announcing
// the same feature do not remove it from each other on unload.
export interface Identity {
  category: string;
  type: string;
  name?: string;
}

export interface DiscoItem {
  jid: string;
  name?: string;
  node?: string;
}

interface Owned<T> {
  value: T;
  owner: string;
}

/** 'server': the host's own disco#info; 'account': what every user's bare JID announces (PEP, ...). */
export type DiscoScope = 'server' | 'account';

export class DiscoRegistry {
  #features: Owned<string>[] = [];
  #identities: Owned<Identity>[] = [];
  #items: Owned<DiscoItem>[] = [];
  /** Features of every account's bare JID on this host. */
  readonly account = new AccountDisco();

  addFeature(ns: string, owner: string): void {
    this.#features.push({ value: ns, owner });
  }

  addIdentity(identity: Identity, owner: string): void {
    this.#identities.push({ value: identity, owner });
  }

  addItem(item: DiscoItem, owner: string): void {
    this.#items.push({ value: item, owner });
  }

  /** Sorted, without duplicates. */
  features(): string[] {
    return [...new Set(this.#features.map((f) => f.value))].sort();
  }

  identities(): Identity[] {
    const seen = new Set<string>();
    const out: Identity[] = [];
    for (const { value } of this.#identities) {
      const k = `${value.category}/${value.type}/${value.name ?? ''}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(value);
      }
    }
    return out;
  }

  items(): DiscoItem[] {
    return this.#items.map((i) => i.value);
  }

  removeOwner(owner: string): void {
    this.account.removeOwner(owner);
    this.#features = this.#features.filter((f) => f.owner !== owner);
    this.#identities = this.#identities.filter((f) => f.owner !== owner);
    this.#items = this.#items.filter((f) => f.owner !== owner);
  }
}

class AccountDisco {
  #features: Owned<string>[] = [];

  addFeature(ns: string, owner: string): void {
    this.#features.push({ value: ns, owner });
  }

  features(): string[] {
    return [...new Set(this.#features.map((f) => f.value))].sort();
  }

  removeOwner(owner: string): void {
    this.#features = this.#features.filter((f) => f.owner !== owner);
  }
}
