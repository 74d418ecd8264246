// XEP-0157 contact addresses: a http://jabber.org/network/serverinfo form for the server's disco#info.
import { z } from 'zod';
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';

/** The address kinds of the serverinfo FORM_TYPE registry; each becomes a '<kind>-addresses' field. */
export const CONTACT_KINDS = ['abuse', 'admin', 'feedback', 'sales', 'security', 'status', 'support'] as const;

// XEP-0157 values are URIs (mailto:, xmpp:, https:, ...).
const uri = z.string().max(1000).regex(/^[a-z][a-z0-9+.-]*:[^\s<>"]+$/i, 'must be a URI such as mailto:abuse@example.org or xmpp:admin@example.org');

const list = z.array(uri).max(20).default([]);
export const contactsSchema = z.object({
  abuse: list, admin: list, feedback: list, sales: list, security: list, status: list, support: list,
}).strict().prefault({});

export type Contacts = z.infer<typeof contactsSchema>;

/** The form, or null when no address is configured (then nothing is announced). */
export function contactForm(contacts: Contacts): Element | null {
  const kinds = CONTACT_KINDS.filter((k) => contacts[k].length > 0);
  if (kinds.length === 0) return null;
  const form = el('x', { xmlns: 'jabber:x:data', type: 'result' },
    el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', null, 'http://jabber.org/network/serverinfo')));
  for (const k of kinds) {
    form.cnode(el('field', { var: `${k}-addresses`, type: 'list-multi' }, ...contacts[k].map((v) => el('value', null, v))));
  }
  return form;
}
