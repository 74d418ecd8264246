// XEP-0004 data forms for ad-hoc commands: fields described once (var, type, label), a form built from them, and
// submitted values read back into command arguments.
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import type { CommandInfo } from '../../src/api/index.js';
import { NS_DATA } from './ns.js';

export type FieldType = 'text-single' | 'text-private' | 'text-multi' | 'jid-single' | 'jid-multi' | 'boolean' | 'list-single' | 'hidden' | 'fixed';

export interface FieldSpec {
  var: string;
  type: FieldType;
  label: string;
  required?: boolean;
  options?: readonly string[];
  value?: string | readonly string[];
}

export function formElement(type: 'form' | 'result', title: string, fields: readonly FieldSpec[], formType?: string): Element {
  const x = el('x', { xmlns: NS_DATA, type }, el('title', null, title));
  if (formType) x.cnode(el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', null, formType)));
  for (const f of fields) {
    const field = el('field', { var: f.var, type: f.type, label: f.label });
    if (f.required) field.cnode(el('required'));
    for (const o of f.options ?? []) field.cnode(el('option', { label: o }, el('value', null, o)));
    const values = f.value === undefined ? [] : typeof f.value === 'string' ? [f.value] : f.value;
    for (const v of values) field.cnode(el('value', null, v));
    x.cnode(field);
  }
  return x;
}

/** The values of a submitted form, by var (several for -multi fields). */
export function submitted(command: Element): Map<string, string[]> {
  const x = command.getChildren('x', NS_DATA)[0];
  if (!x) throw new StanzaError('bad-request', 'submit the command with a data form');
  if (x.attrs.type === 'cancel') return new Map();
  if (x.attrs.type !== 'submit') throw new StanzaError('bad-request', "the data form must be of type 'submit'");
  const out = new Map<string, string[]>();
  for (const f of x.getChildren('field')) {
    if (!f.attrs.var) continue;
    out.set(f.attrs.var, f.getChildren('value').map((v) => v.getText()));
  }
  return out;
}

type Prop = { type?: string | string[]; enum?: unknown[]; description?: string; items?: Prop; default?: unknown };

function typeOf(s: Prop | undefined): string {
  const t = s?.type;
  return Array.isArray(t) ? (t.find((x) => x !== 'null') ?? 'string') : (t ?? 'string');
}

/** A form for a registry command, from its argument schema. */
export function fieldsFor(info: CommandInfo): FieldSpec[] {
  const props = (info.schema.properties ?? {}) as Record<string, Prop>;
  const required = new Set(info.schema.required ?? []);
  return Object.entries(props).map(([name, s]) => {
    const t = typeOf(s);
    const label = s.description ?? name;
    const type: FieldType = info.secret.includes(name) ? 'text-private'
      : s.enum ? 'list-single'
      : t === 'boolean' ? 'boolean'
      : t === 'array' ? 'text-multi'
      : name === 'jid' || name === 'to' ? 'jid-single'
      : 'text-single';
    return {
      var: name, type, label, required: required.has(name),
      ...(s.enum ? { options: s.enum.map(String) } : {}),
      ...(s.default !== undefined && !Array.isArray(s.default) ? { value: String(s.default) } : {}),
    };
  });
}

/** Submitted values as command arguments, typed by the schema (the registry validates them). */
export function argsFrom(info: CommandInfo, values: Map<string, string[]>): Record<string, unknown> {
  const props = (info.schema.properties ?? {}) as Record<string, Prop>;
  const args: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(props)) {
    const v = values.get(name);
    if (!v || v.length === 0 || (v.length === 1 && v[0] === '' && typeOf(s) !== 'array')) continue;
    const t = typeOf(s);
    if (t === 'array') args[name] = v.flatMap((line) => line.split('\n')).map((x) => x.trim()).filter(Boolean);
    else if (t === 'boolean') args[name] = v[0] === '1' || v[0] === 'true';
    else if ((t === 'number' || t === 'integer') && /^-?[0-9]+(\.[0-9]+)?$/.test(v[0]!)) args[name] = Number(v[0]);
    else args[name] = s.type === 'string' && v.length > 1 ? v.join('\n') : v[0];
  }
  return args;
}
