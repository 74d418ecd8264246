// RFC 6121 §8.5 as data: which of an account's sessions get a message addressed to its bare JID.
import type { ClientSession } from '../../src/api/index.js';

export type MessageType = 'normal' | 'chat' | 'groupchat' | 'headline' | 'error';

/** RFC 6121 §5.2.2: a missing or unknown type is handled as 'normal'. */
export function messageType(type: string | undefined): MessageType {
  switch (type) {
    case 'chat': case 'groupchat': case 'headline': case 'error':
      return type;
    default:
      return 'normal';
  }
}

/** Available (sent presence, not unavailable) with a non-negative priority: may get bare-JID messages at all. */
export function isEligible(s: ClientSession): boolean {
  return s.state === 'established' && s.presence !== null && s.priority >= 0;
}

/** Every eligible resource: where a headline goes (§8.5.2.1.1). */
export function allEligible(sessions: Iterable<ClientSession>): ClientSession[] {
  const out: ClientSession[] = [];
  for (const s of sessions) if (isEligible(s)) out.push(s);
  return out;
}

/**
 * The "most available" resources for normal and chat messages (§8.5.2.1.1 option (a)): the eligible
 * resources with the highest priority; all of them when several share it. Chat may go to all non-negative
 * resources only when they opted in, which no protocol here expresses, so the rule is the same for both.
 */
export function mostAvailable(sessions: Iterable<ClientSession>): ClientSession[] {
  let best = -1;
  let out: ClientSession[] = [];
  for (const s of sessions) {
    if (!isEligible(s)) continue;
    if (s.priority > best) {
      best = s.priority;
      out = [s];
    } else if (s.priority === best) {
      out.push(s);
    }
  }
  return out;
}
