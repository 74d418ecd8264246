// The registration form (XEP-0077 §3.1 fields plus the §4 data form) and reading what a client
// submitted: a jabber:x:data form takes precedence over the legacy elements (§4, §6).
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { NS_DATA, NS_REGISTER } from './ns.js';

export function registrationForm(instructions: string): Element {
  return el('query', { xmlns: NS_REGISTER },
    el('instructions', null, instructions),
    el('username'),
    el('password'),
    el('x', { xmlns: NS_DATA, type: 'form' },
      el('title', null, 'Account registration'),
      el('instructions', null, instructions),
      el('field', { type: 'hidden', var: 'FORM_TYPE' }, el('value', null, NS_REGISTER)),
      el('field', { type: 'text-single', label: 'Username', var: 'username' }, el('required')),
      el('field', { type: 'text-private', label: 'Password', var: 'password' }, el('required'))));
}

export interface Submitted {
  username: string | null;
  password: string | null;
  remove: boolean;
  /** Child elements of the query other than the ones understood here. */
  others: string[];
}

/** Reads a submitted <query/>; `formTypes` are the FORM_TYPEs accepted for a data form. */
export function readSubmission(query: Element, formTypes: readonly string[]): Submitted {
  const out: Submitted = { username: null, password: null, remove: false, others: [] };
  const form = query.getChildren('x', NS_DATA).find((x) => x.attrs.type === 'submit');
  if (form) {
    const fields = form.getChildren('field');
    const value = (v: string) => fields.find((f) => f.attrs.var === v)?.getChildText('value') ?? null;
    if (formTypes.includes(value('FORM_TYPE') ?? '')) {
      out.username = value('username');
      out.password = value('password');
    }
  } else {
    const text = (name: string) => {
      const e = query.getChild(name);
      return e ? e.getText() : null;
    };
    out.username = text('username');
    out.password = text('password');
  }
  for (const c of query.getChildElements()) {
    if (c.name === 'remove') out.remove = true;
    else if (!['username', 'password', 'x', 'instructions'].includes(c.name)) out.others.push(c.name);
  }
  return out;
}
