// The subscription state machine of RFC 6121 Appendix A, as pure functions of a roster item.
//
// A state is (subscription, pending out = item.ask, pending in = item.pendingIn), so the nine
// states of A.1 are none/to/from/both with the pending flags; the 'approved' flag is the
// pre-approval of §3.4. Each function returns the next item (undefined: unchanged, null: delete)
// and whether the stanza goes on: for outbound stanzas "route to the contact", for inbound ones
// "deliver to the user" (the ROUTE? and DELIVER? columns of A.2 and A.3).
import type { RosterItem, Subscription } from '../roster/types.js';

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set<SubscriptionType>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export interface Outcome {
  item: RosterItem | null | undefined;
  /** Outbound: route to the contact. Inbound: deliver to the user's available resources. */
  pass: boolean;
  /** Inbound subscribe answered by the server on the user's behalf (already subscribed, or pre-approved). */
  autoApprove?: boolean;
  /** The contact now receives the user's presence: send it the current presence of each resource. */
  sendPresence?: boolean;
  /** The contact no longer does: send it unavailable from each available resource. */
  sendUnavailable?: boolean;
}

export const hasFrom = (s: Subscription) => s === 'from' || s === 'both';
export const hasTo = (s: Subscription) => s === 'to' || s === 'both';
const addFrom = (s: Subscription): Subscription => (s === 'none' ? 'from' : s === 'to' ? 'both' : s);
const removeFrom = (s: Subscription): Subscription => (s === 'from' ? 'none' : s === 'both' ? 'to' : s);
const addTo = (s: Subscription): Subscription => (s === 'none' ? 'to' : s === 'from' ? 'both' : s);
const removeTo = (s: Subscription): Subscription => (s === 'to' ? 'none' : s === 'both' ? 'from' : s);

export function newItem(jid: string): RosterItem {
  return { jid, groups: [], subscription: 'none', ask: false, approved: false, pendingIn: false, hidden: false };
}

/** A hidden item exists only to hold an inbound request: once that is gone, so is the item. */
function tidy(item: RosterItem): RosterItem | null {
  return item.hidden && !item.pendingIn ? null : item;
}

const unchanged = (pass: boolean): Outcome => ({ item: undefined, pass });

/** A.2: a stanza of `type` the user sends to the contact. */
export function outbound(type: SubscriptionType, current: RosterItem | null, contact: string, preApproval: boolean): Outcome {
  switch (type) {
    case 'subscribe': {
      // A.2.1: always routed (the contact's server answers for a subscription that already exists);
      // the contact joins the roster if it was not in it (§3.1.2).
      const next: RosterItem = current ? { ...current, hidden: false } : newItem(contact);
      if (!hasTo(next.subscription)) next.ask = true;
      return { item: next, pass: true };
    }
    case 'unsubscribe': {
      // A.2.2: always routed.
      if (!current) return unchanged(true);
      return { item: tidy({ ...current, ask: false, subscription: removeTo(current.subscription) }), pass: true };
    }
    case 'subscribed': {
      // A.2.3: approves a pending inbound request; otherwise a pre-approval (§3.4) or nothing.
      if (current?.pendingIn) {
        const { request: _r, ...rest } = current;
        return {
          item: { ...rest, pendingIn: false, hidden: false, approved: false, subscription: addFrom(current.subscription) },
          pass: true,
          sendPresence: true,
        };
      }
      if (current && hasFrom(current.subscription)) return unchanged(false);
      if (!preApproval || current?.approved) return unchanged(false);
      return { item: { ...(current ?? newItem(contact)), hidden: false, approved: true }, pass: false };
    }
    case 'unsubscribed': {
      // A.2.4: denies a pending request or cancels the contact's subscription; else it cancels a pre-approval.
      if (current && (current.pendingIn || hasFrom(current.subscription))) {
        const { request: _r, ...rest } = current;
        return {
          item: tidy({ ...rest, pendingIn: false, approved: false, subscription: removeFrom(current.subscription) }),
          pass: true,
          sendUnavailable: hasFrom(current.subscription),
        };
      }
      if (current?.approved) return { item: { ...current, approved: false }, pass: false };
      return unchanged(false);
    }
  }
}

/** A.3: a stanza of `type` the contact sent to the user; `request` is the subscribe to keep for redelivery. */
export function inbound(type: SubscriptionType, current: RosterItem | null, contact: string, request?: string): Outcome {
  switch (type) {
    case 'subscribe': {
      // A.3.1: already subscribed → the server answers 'subscribed' itself (§3.1.3); a duplicate
      // request is not delivered again; a pre-approved one is approved at once (§3.4).
      if (current && hasFrom(current.subscription)) return { item: undefined, pass: false, autoApprove: true, sendPresence: true };
      if (current?.pendingIn) return unchanged(false);
      if (current?.approved) {
        return { item: { ...current, approved: false, subscription: addFrom(current.subscription) }, pass: false, autoApprove: true, sendPresence: true };
      }
      const next: RosterItem = current ? { ...current } : { ...newItem(contact), hidden: true };
      next.pendingIn = true;
      if (request !== undefined) next.request = request;
      return { item: next, pass: true };
    }
    case 'unsubscribe': {
      // A.3.2: the contact withdraws its request or ends its subscription to the user's presence.
      if (!current || !(current.pendingIn || hasFrom(current.subscription))) return unchanged(false);
      const { request: _r, ...rest } = current;
      return {
        item: tidy({ ...rest, pendingIn: false, subscription: removeFrom(current.subscription) }),
        pass: true,
        sendUnavailable: hasFrom(current.subscription),
      };
    }
    case 'subscribed': {
      // A.3.3: only an answer to the user's pending request counts.
      if (!current?.ask) return unchanged(false);
      return { item: { ...current, ask: false, subscription: addTo(current.subscription) }, pass: true };
    }
    case 'unsubscribed': {
      // A.3.4: the contact refuses the request or cancels the user's subscription.
      if (!current || !(current.ask || hasTo(current.subscription))) return unchanged(false);
      return { item: { ...current, ask: false, subscription: removeTo(current.subscription) }, pass: true };
    }
  }
}
