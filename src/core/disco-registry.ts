// What each host announces through service discovery. Modules add entries through their context;
// the disco module (not the core) answers queries from it. Counted so that two modules announcing
// the same feature do not remove it from each other on unload.
import type { Element } from 'ltx';

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
  #forms: Owned<Element>[] = [];
  #revision = 0;
  /** Features of every account's bare JID on this host. */
  readonly account = new AccountDisco();

  /** Bumped on every change, so that derived values (the XEP-0115 caps hash) can be cached. */
  get revision(): number {
    return this.#revision;
  }

  addFeature(ns: string, owner: string): void {
    this.#features.push({ value: ns, owner });
    this.#revision++;
  }

  addIdentity(identity: Identity, owner: string): void {
    this.#identities.push({ value: identity, owner });
    this.#revision++;
  }

  addItem(item: DiscoItem, owner: string): void {
    this.#items.push({ value: item, owner });
    this.#revision++;
  }

  /** A XEP-0128 extended-info form: <x xmlns='jabber:x:data' type='result'/> with a hidden FORM_TYPE field. */
  addForm(form: Element, owner: string): void {
    const formType = form.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE');
    if (form.name !== 'x' || form.attrs.xmlns !== 'jabber:x:data' || form.attrs.type !== 'result' || !formType?.getChildText('value')) {
      throw new Error("a disco form must be <x xmlns='jabber:x:data' type='result'/> with a FORM_TYPE field");
    }
    const type = formType.getChildText('value');
    const sameType = (f: Element) => f.getChildren('field').find((x) => x.attrs.var === 'FORM_TYPE')?.getChildText('value') === type;
    // XEP-0115 §5.4: two forms with one FORM_TYPE make the caps hash of the whole answer invalid.
    if (this.#forms.some((f) => sameType(f.value))) throw new Error(`a disco form with FORM_TYPE ${type} is already announced`);
    this.#forms.push({ value: form, owner });
    this.#revision++;
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

  forms(): Element[] {
    return this.#forms.map((f) => f.value);
  }

  removeOwner(owner: string): void {
    this.account.removeOwner(owner);
    this.#features = this.#features.filter((f) => f.owner !== owner);
    this.#identities = this.#identities.filter((f) => f.owner !== owner);
    this.#items = this.#items.filter((f) => f.owner !== owner);
    this.#forms = this.#forms.filter((f) => f.owner !== owner);
    this.#revision++;
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
