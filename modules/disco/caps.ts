// XEP-0115 §5.1: the verification string of a disco#info answer (identities, features, extended forms),
// hashed with SHA-1 and base64-encoded. Strings are compared as UTF-8 octets ("i;octet"), not UTF-16 units.
import { createHash } from 'node:crypto';
import type { Element } from 'ltx';
import type { Identity } from '../../src/api/index.js';

const octets = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function fieldValues(field: Element): string[] {
  return field.getChildren('value').map((v) => v.getText());
}

function formType(form: Element): string {
  const f = form.getChildren('field').find((x) => x.attrs.var === 'FORM_TYPE');
  return f ? (fieldValues(f)[0] ?? '') : '';
}

/** The string S of XEP-0115 §5.1 before hashing (exported for tests and debugging). */
export function capsString(identities: readonly Identity[], features: readonly string[], forms: readonly Element[]): string {
  let s = '';
  // §5.1 step 2: sort by category, then type, then xml:lang (we announce no xml:lang).
  const ids = [...identities].sort((a, b) => octets(a.category, b.category) || octets(a.type, b.type));
  for (const id of ids) s += `${id.category}/${id.type}//${id.name ?? ''}<`;
  for (const f of [...new Set(features)].sort(octets)) s += `${f}<`;
  for (const form of [...forms].sort((a, b) => octets(formType(a), formType(b)))) {
    s += `${formType(form)}<`;
    const fields = form.getChildren('field').filter((f) => f.attrs.var !== 'FORM_TYPE' && f.attrs.var !== undefined);
    for (const field of fields.sort((a, b) => octets(a.attrs.var!, b.attrs.var!))) {
      s += `${field.attrs.var}<`;
      for (const v of fieldValues(field).sort(octets)) s += `${v}<`;
    }
  }
  return s;
}

export function capsVer(identities: readonly Identity[], features: readonly string[], forms: readonly Element[]): string {
  return createHash('sha1').update(capsString(identities, features, forms), 'utf8').digest('base64');
}
