// The data of a pubsub service (a PEP account or pubsub.<host>) as stored, and the events it fires.
import type { Element } from 'ltx';
import type { NodeConfig } from './config.js';

export type Affiliation = 'owner' | 'publisher' | 'publish-only' | 'member' | 'none' | 'outcast';

export interface StoredItem {
  id: string;
  /** The payload, serialised standalone (one element), or '' for an item without payload. */
  xml: string;
  /** Bare JID of who published it. */
  publisher: string;
  at: number;
}

export interface Subscription {
  /** The subscribed JID (bare or full), as given. */
  jid: string;
  subid: string;
}

export interface NodeRecord {
  name: string;
  config: NodeConfig;
  /** Oldest first. Empty for nodes with persist_items off (their last item lives in memory only). */
  items: StoredItem[];
  affiliations: Record<string, Affiliation>;
  subscriptions: Subscription[];
  created: number;
}

/** What PEP tells other modules (bookmarks, avatars) about changes to a user's nodes. */
export interface PepItemEvent {
  username: string;
  node: string;
  /** 'publish' carries the item; 'retract' names it; 'purge' and 'delete' concern the whole node. */
  action: 'publish' | 'retract' | 'purge' | 'delete';
  itemId?: string;
  payload?: Element | null;
  /** The bare JID that caused the change ('' when the server itself did). */
  actor: string;
}

/** The PEP service modules use (bookmarks, avatar conversion). */
export interface PepService {
  /** Publishes as the server on behalf of the user (creating the node with `options` when missing; an existing
   *  node keeps its configuration). The 'pep-changed' event names the actor ''. */
  publish(user: string, node: string, itemId: string | undefined, payload: Element, options?: Partial<NodeConfig>): Promise<string>;
  retract(user: string, node: string, itemId: string): Promise<boolean>;
  /** Items, oldest first. */
  items(user: string, node: string): Promise<{ id: string; payload: Element | null }[] | null>;
  deleteNode(user: string, node: string): Promise<boolean>;
}

declare module '../../src/api/index.js' {
  interface Services {
    pep: PepService;
  }
}

declare module '../../src/core/hookmap.js' {
  interface HookMap {
    /** A PEP node changed (after the store has it and notifications went out). */
    'pep-changed': PepItemEvent;
  }
}
