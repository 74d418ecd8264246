// XEP-0191 §6 (as XEP-0016): which blocklist items match a JID.
//   user@domain/resource  only that resource
//   user@domain           any resource of that account
//   domain/resource       only that resource of the domain itself
//   domain                the domain, every address at it, and every address at its subdomains
import type { Jid } from '../../src/jid.js';

/** The item strings that would block `jid`, most specific first. */
export function candidates(jid: Jid): string[] {
  const out: string[] = [];
  if (jid.resource) out.push(jid.full());
  if (jid.local) out.push(jid.bare());
  // (A domain/resource item is matched by full() of that very JID, not by user@domain/resource.)
  out.push(jid.domain);
  // Parent domains, unless the domain is an IP literal (whose "labels" are not subdomains).
  if (!jid.domain.startsWith('[') && !/^\d+(\.\d+){3}$/.test(jid.domain)) {
    let d = jid.domain;
    for (let dot = d.indexOf('.'); dot !== -1; dot = d.indexOf('.')) {
      d = d.slice(dot + 1);
      out.push(d);
    }
  }
  return out;
}

export function isBlockedBy(list: ReadonlySet<string>, jid: Jid): boolean {
  if (list.size === 0) return false;
  for (const c of candidates(jid)) if (list.has(c)) return true;
  return false;
}
