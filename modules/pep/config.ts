// Node configuration (XEP-0060 §16.4.4 pubsub#node_config): the typed record, its data form, and the
// publish-options preconditions of §7.1.5 (a mismatch is precondition-not-met, as OMEMO relies on).
import type { Element } from 'ltx';
import { el } from '../../src/api/index.js';
import { pubsubError } from './errors.js';
import { NS_DATA, NS_NODE_CONFIG } from './ns.js';

export const ACCESS_MODELS = ['open', 'presence', 'roster', 'whitelist'] as const;
export type AccessModel = (typeof ACCESS_MODELS)[number];
const PUBLISH_MODELS = ['publishers', 'subscribers', 'open'] as const;
const SEND_LAST = ['never', 'on_sub', 'on_sub_and_presence'] as const;

export interface NodeConfig {
  access_model: AccessModel;
  publish_model: (typeof PUBLISH_MODELS)[number];
  /** Items kept; 'max' is the service's limit. */
  max_items: number | 'max';
  persist_items: boolean;
  deliver_notifications: boolean;
  deliver_payloads: boolean;
  notify_retract: boolean;
  notify_delete: boolean;
  notify_config: boolean;
  send_last_published_item: (typeof SEND_LAST)[number];
  roster_groups_allowed: string[];
  title: string;
  description: string;
  type: string;
}

export type ConfigKey = keyof NodeConfig;

type FieldType = 'boolean' | 'list-single' | 'text-single' | 'list-multi';

interface FieldSpec<K extends ConfigKey = ConfigKey> {
  type: FieldType;
  label: string;
  options?: readonly string[];
  parse(values: string[]): NodeConfig[K] | undefined;
  render(value: NodeConfig[K]): string[];
}

const bool = (label: string): FieldSpec => ({
  type: 'boolean', label,
  parse: (v) => (v[0] === '1' || v[0] === 'true' ? true : v[0] === '0' || v[0] === 'false' ? false : undefined),
  render: (v) => [v ? '1' : '0'],
});
const choice = (label: string, options: readonly string[]): FieldSpec => ({
  type: 'list-single', label, options,
  parse: (v) => (v.length === 1 && options.includes(v[0]!) ? v[0] : undefined) as never,
  render: (v) => [String(v)],
});
const text = (label: string, max = 1000): FieldSpec => ({
  type: 'text-single', label,
  parse: (v) => (v.length <= 1 && (v[0] ?? '').length <= max ? (v[0] ?? '') : undefined) as never,
  render: (v) => (v === '' ? [] : [String(v)]),
});

export const FIELDS: { [K in ConfigKey]: FieldSpec } = {
  access_model: choice('Who may subscribe and retrieve items', ACCESS_MODELS),
  publish_model: choice('Who may publish', PUBLISH_MODELS),
  max_items: {
    type: 'text-single', label: 'Most items to keep ("max" for the service limit)',
    parse: (v) => {
      if (v.length !== 1) return undefined;
      if (v[0] === 'max') return 'max';
      return /^[0-9]{1,9}$/.test(v[0]!) && Number(v[0]) >= 1 ? Number(v[0]) : undefined;
    },
    render: (v) => [String(v)],
  },
  persist_items: bool('Persist items to storage'),
  deliver_notifications: bool('Deliver event notifications'),
  deliver_payloads: bool('Deliver payloads with event notifications'),
  notify_retract: bool('Notify subscribers when items are removed'),
  notify_delete: bool('Notify subscribers when the node is deleted'),
  notify_config: bool('Notify subscribers when the configuration changes'),
  send_last_published_item: choice('When to send the last published item', SEND_LAST),
  roster_groups_allowed: {
    type: 'list-multi', label: 'Roster groups allowed to subscribe',
    parse: (v) => (v.length <= 100 && v.every((g) => g.length <= 1023) ? v : undefined) as never,
    render: (v) => v as string[],
  },
  title: text('A friendly name for the node'),
  description: text('A description of the node', 4000),
  type: text('The type of node data (the payload namespace)'),
};

export function isConfigKey(name: string): name is ConfigKey {
  return Object.prototype.hasOwnProperty.call(FIELDS, name);
}

/** The values of a form's fields by var, without FORM_TYPE. */
export function formFields(form: Element): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of form.getChildren('field')) {
    const v = f.attrs.var;
    if (!v || v === 'FORM_TYPE') continue;
    out.set(v, f.getChildren('value').map((x) => x.getText()));
  }
  return out;
}

export function formType(form: Element): string | undefined {
  return form.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value') ?? undefined;
}

/** The pubsub#<key> fields of a submitted form as a partial config; unknown fields or bad values are bad-request. */
export function parseConfigForm(form: Element, expectedType: string, opts: { ignoreUnknown?: boolean } = {}): Partial<NodeConfig> {
  if (form.name !== 'x' || form.attrs.xmlns !== NS_DATA) throw pubsubError('bad-request', 'invalid-options', 'a jabber:x:data form is expected');
  const type = form.attrs.type ?? 'submit';
  if (type === 'cancel') return {};
  if (type !== 'submit') throw pubsubError('bad-request', 'invalid-options', "the form must be of type 'submit'");
  const ft = formType(form);
  if (ft !== undefined && ft !== expectedType) throw pubsubError('bad-request', 'invalid-options', `the FORM_TYPE must be ${expectedType}`);
  const out: Record<string, unknown> = {};
  for (const [name, values] of formFields(form)) {
    const key = name.startsWith('pubsub#') ? name.slice(7) : '';
    if (!isConfigKey(key)) {
      if (opts.ignoreUnknown) continue;
      throw pubsubError('not-acceptable', 'invalid-options', `unsupported option '${name.slice(0, 100)}'`);
    }
    const value = FIELDS[key].parse(values);
    if (value === undefined) throw pubsubError('not-acceptable', 'invalid-options', `bad value for ${name}`);
    out[key] = value;
  }
  return out as Partial<NodeConfig>;
}

/** The node_config form (type form for the owner to fill in, or result for disco meta-data). */
export function configForm(config: NodeConfig, type: 'form' | 'result' = 'form', formTypeNs = NS_NODE_CONFIG): Element {
  const x = el('x', { xmlns: NS_DATA, type }, el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', null, formTypeNs)));
  for (const key of Object.keys(FIELDS) as ConfigKey[]) {
    const spec = FIELDS[key];
    const field = el('field', { var: `pubsub#${key}`, type: type === 'form' ? spec.type : undefined, label: type === 'form' ? spec.label : undefined });
    if (type === 'form') for (const o of spec.options ?? []) field.cnode(el('option', null, el('value', null, o)));
    for (const v of spec.render(config[key] as never)) field.cnode(el('value', null, v));
    x.cnode(field);
  }
  return x;
}

/** XEP-0060 §7.1.5: each publish-option must equal the node's configuration, else precondition-not-met. */
export function checkPreconditions(config: NodeConfig, wanted: Partial<NodeConfig>): void {
  for (const key of Object.keys(wanted) as ConfigKey[]) {
    const want = FIELDS[key].render(wanted[key] as never).join('\n');
    const have = FIELDS[key].render(config[key] as never).join('\n');
    if (want !== have) {
      throw pubsubError('conflict', 'precondition-not-met', `pubsub#${key} is '${have}', not '${want}'`);
    }
  }
}

/** Applies a change; the result is a new object. */
export function applyConfig(config: NodeConfig, change: Partial<NodeConfig>): NodeConfig {
  return { ...config, ...change };
}
