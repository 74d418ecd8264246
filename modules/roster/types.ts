// The roster service (RFC 6121 §2) other modules use: presence for the subscription state machine,
// and later blocking, last activity, MAM 'roster' preferences and PEP access models. Import these
// types only (`import type`); reach the service with ctx.use('roster') / ctx.tryUse('roster').

/** The subscription attribute of a roster item (RFC 6121 §2.1.2.5). */
export type Subscription = 'none' | 'to' | 'from' | 'both';

/** One contact of a user, as stored. */
export interface RosterItem {
  /** The contact's bare JID (also the item's key). */
  jid: string;
  /** The user's handle for the contact; absent when the user gave none. */
  name?: string;
  groups: string[];
  subscription: Subscription;
  /** Pending out: the user asked for the contact's presence (shown as ask='subscribe'). */
  ask: boolean;
  /** The user pre-approved a subscription request from the contact (RFC 6121 §3.4). */
  approved: boolean;
  /** Pending in: the contact asked for the user's presence and the user has not answered. */
  pendingIn: boolean;
  /**
   * The contact is not in the user's roster: the item only records an inbound subscription request
   * (None + Pending In). Hidden items are never shown in roster results or pushes.
   */
  hidden: boolean;
  /** The inbound subscription request (serialised <presence type='subscribe'/>), redelivered at login. */
  request?: string;
}

/** A change as the user sees it: `item` null means the contact left the visible roster. */
export interface RosterChange {
  username: string;
  contact: string;
  previous: RosterItem | null;
  item: RosterItem | null;
  /** The roster version after the change (RFC 6121 §2.6). */
  version: string;
}

/**
 * Computes an item's next state from its current one (null when there is none). Return the new item,
 * null to delete it, or undefined to leave it unchanged.
 */
export type RosterMutation = (current: RosterItem | null) => RosterItem | null | undefined;

export interface RosterUpdateResult {
  previous: RosterItem | null;
  item: RosterItem | null;
  /** Whether what the user sees changed (a push was sent and the version moved on). */
  pushed: boolean;
}

export interface RosterService {
  /** The user's visible roster, by contact bare JID; `includeHidden` adds pending inbound requests. */
  items(user: string, opts?: { includeHidden?: boolean }): Promise<Map<string, RosterItem>>;
  /** One item (hidden ones included), or null. */
  item(user: string, contact: string): Promise<RosterItem | null>;
  /** The subscription of a visible item, or null when the contact is not in the roster. */
  subscription(user: string, contact: string): Promise<Subscription | null>;
  /** Whether `contact` receives the user's presence (subscription 'from' or 'both'). */
  isSubscribed(user: string, contact: string): Promise<boolean>;
  /** Whether the user receives `contact`'s presence (subscription 'to' or 'both'). */
  hasSubscriptionTo(user: string, contact: string): Promise<boolean>;
  /**
   * Changes one item atomically (per user, serialised with every other change of that roster),
   * moves the version on and pushes the item to the user's interested resources when what they see
   * changed. Throws StanzaError('resource-constraint') when the roster or the pending requests are full.
   */
  update(user: string, contact: string, mutate: RosterMutation): Promise<RosterUpdateResult>;
  /** The current roster version string. */
  version(user: string): Promise<string>;
}

declare module '../../src/api/index.js' {
  interface Services {
    roster: RosterService;
  }
}

declare module '../../src/core/hookmap.js' {
  interface HookMap {
    /** A visible roster item was added, changed or removed (after the push went out). */
    'roster-changed': RosterChange;
  }
}
