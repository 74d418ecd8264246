// How a client session is shown by the admin commands (JSON, no secrets).
import type { ClientSession } from '../../core/session.js';

export interface SessionInfo {
  jid: string;
  ip: string;
  secure: boolean;
  state: string;
  priority: number;
  /** The <show/> of the last available presence, 'online' when none, null when unavailable. */
  show: string | null;
}

export function describeSession(s: ClientSession): SessionInfo {
  const show = s.presence ? (s.presence.getChildText('show') ?? 'online') : null;
  return { jid: s.jid?.full() ?? `${s.username ?? '?'}@${s.host}`, ip: s.ip, secure: s.secure, state: s.state, priority: s.priority, show };
}
