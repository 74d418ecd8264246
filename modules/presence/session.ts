// What the presence module remembers per session (RFC 6121 §4.6): the entities that received
// directed presence from it, which must be told when the session goes unavailable.
import type { ClientSession } from '../../src/api/index.js';

const KEY = 'presence:directed';

export function directedTargets(session: ClientSession): Set<string> {
  let set = session.data.get(KEY) as Set<string> | undefined;
  if (!set) {
    set = new Set();
    session.data.set(KEY, set);
  }
  return set;
}

/** Empties the set and returns what was in it. */
export function takeDirected(session: ClientSession): string[] {
  const set = session.data.get(KEY) as Set<string> | undefined;
  if (!set) return [];
  const out = [...set];
  set.clear();
  return out;
}

/** The sessions of a user that have sent available presence (§4.1 "available resources"). */
export function availableSessions(sessions: Iterable<ClientSession>, except?: ClientSession): ClientSession[] {
  const out: ClientSession[] = [];
  for (const s of sessions) if (s !== except && s.jid && s.presence) out.push(s);
  return out;
}
