// XEP-0055 search fields in both forms: the legacy <first/><last/><nick/><email/> elements (§2) and a
// XEP-0004 data form with FORM_TYPE jabber:iq:search (§3); the answer uses the form the query used.
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { NS_DATA, NS_SEARCH } from './ns.js';

export type Field = 'first' | 'last' | 'nick' | 'email' | 'user';

/** A row of the result: the user's JID and the directory fields. */
export interface Hit {
  jid: string;
  first: string;
  last: string;
  nick: string;
  email: string;
}

const LEGACY: readonly Field[] = ['first', 'last', 'nick', 'email'];
const LABELS: Record<Field, string> = { first: 'Given Name', last: 'Family Name', nick: 'Nickname', email: 'Email Address', user: 'Username' };

export function searchForm(instructions: string): Element {
  return el('query', { xmlns: NS_SEARCH },
    el('instructions', null, instructions),
    ...LEGACY.map((f) => el(f)),
    el('x', { xmlns: NS_DATA, type: 'form' },
      el('title', null, 'User directory search'),
      el('instructions', null, instructions),
      el('field', { type: 'hidden', var: 'FORM_TYPE' }, el('value', null, NS_SEARCH)),
      ...(Object.keys(LABELS) as Field[]).map((f) => el('field', { type: 'text-single', label: LABELS[f], var: f }))));
}

export interface Query {
  terms: Partial<Record<Field, string>>;
  /** The query was a data form, so the answer is one too. */
  form: boolean;
}

export function readQuery(query: Element): Query {
  const terms: Partial<Record<Field, string>> = {};
  const form = query.getChildren('x', NS_DATA)[0];
  if (form) {
    if (form.attrs.type !== 'submit') throw new StanzaError('bad-request', "a search form must be of type 'submit'");
    for (const field of form.getChildren('field')) {
      const name = field.attrs.var ?? '';
      const value = (field.getChildText('value') ?? '').trim();
      if (name === 'FORM_TYPE') {
        if (value !== NS_SEARCH) throw new StanzaError('bad-request', `the FORM_TYPE must be ${NS_SEARCH}`);
      } else if (Object.hasOwn(LABELS, name)) {
        if (value) terms[name as Field] = value;
      } else {
        throw new StanzaError('bad-request', `unknown search field '${name.slice(0, 100)}'`);
      }
    }
    return { terms, form: true };
  }
  for (const f of LEGACY) {
    const value = query.getChild(f)?.getText().trim();
    if (value) terms[f] = value;
  }
  return { terms, form: false };
}

export function legacyResult(hits: readonly Hit[]): Element {
  return el('query', { xmlns: NS_SEARCH }, ...hits.map((h) =>
    el('item', { jid: h.jid }, el('first', null, h.first), el('last', null, h.last), el('nick', null, h.nick), el('email', null, h.email))));
}

export function formResult(hits: readonly Hit[]): Element {
  const cols: [keyof Hit, string, string][] = [
    ['jid', 'JID', 'jid-single'], ['first', LABELS.first, 'text-single'], ['last', LABELS.last, 'text-single'],
    ['nick', LABELS.nick, 'text-single'], ['email', LABELS.email, 'text-single'],
  ];
  return el('query', { xmlns: NS_SEARCH },
    el('x', { xmlns: NS_DATA, type: 'result' },
      el('field', { type: 'hidden', var: 'FORM_TYPE' }, el('value', null, NS_SEARCH)),
      el('reported', null, ...cols.map(([v, label, type]) => el('field', { var: v, label, type }))),
      ...hits.map((h) => el('item', null, ...cols.map(([v]) => el('field', { var: v }, el('value', null, h[v])))))));
}
