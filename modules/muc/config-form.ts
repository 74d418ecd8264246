// The room configuration form (XEP-0045 §10.2, FORM_TYPE muc#roomconfig, XEP-0004) built from and read into
// a RoomConfig. Each field is described once, as data: its var, type, label and how it maps to the config.
import type { Element } from 'ltx';
import { el, StanzaError } from '../../src/api/index.js';
import { tryParseJid } from '../../src/jid.js';
import { MUC } from './ns.js';
import type { MucOptions } from './options.js';
import { roomConfigSchema, type RoomConfig } from './types.js';

type Key = keyof RoomConfig;
type Limits = MucOptions['limits'];
interface Field {
  var: string;
  type: 'boolean' | 'text-single' | 'text-private' | 'list-single';
  label: string;
  key: Key;
  options?: readonly string[];
  /** A number field, and the service limit that caps it: the form shows the value in force (at most the cap). */
  number?: { kind: 'integer' | 'decimal'; cap: keyof Limits };
}

/** Fields of Starling's own, namespaced as XEP-0068 §3.4 asks of fields a FORM_TYPE's owner did not register. */
const own = (name: string) => `{${MUC.STARLING}}roomconfig_${name}`;

const FIELDS: readonly Field[] = [
  { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', key: 'name' },
  { var: 'muc#roomconfig_roomdesc', type: 'text-single', label: 'Description', key: 'description' },
  { var: 'muc#roomconfig_lang', type: 'text-single', label: 'Language', key: 'language' },
  { var: 'muc#roomconfig_persistentroom', type: 'boolean', label: 'Persistent (kept when empty)', key: 'persistent' },
  { var: 'muc#roomconfig_publicroom', type: 'boolean', label: 'Listed in the room directory', key: 'public' },
  { var: 'muc#roomconfig_membersonly', type: 'boolean', label: 'Members only', key: 'membersOnly' },
  { var: 'muc#roomconfig_moderatedroom', type: 'boolean', label: 'Moderated (only participants may speak)', key: 'moderated' },
  { var: 'muc#roomconfig_whois', type: 'list-single', label: 'Who may see real JIDs', key: 'whois', options: ['moderators', 'anyone'] },
  { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', key: 'password' },
  { var: 'muc#roomconfig_maxusers', type: 'text-single', label: 'Maximum occupants (0 = the service limit)', key: 'maxUsers', number: { kind: 'integer', cap: 'maxOccupants' } },
  { var: 'muc#roomconfig_changesubject', type: 'boolean', label: 'Participants may change the subject', key: 'changeSubject' },
  { var: 'muc#roomconfig_allowinvites', type: 'boolean', label: 'Occupants may invite', key: 'allowInvites' },
  { var: 'muc#roomconfig_allowpm', type: 'list-single', label: 'Who may send private messages', key: 'allowPm', options: ['anyone', 'participants', 'moderators', 'none'] },
  { var: 'muc#maxhistoryfetch', type: 'text-single', label: 'Messages of history for newcomers', key: 'historyLength', number: { kind: 'integer', cap: 'maxHistory' } },
  { var: 'muc#roomconfig_enablearchiving', type: 'boolean', label: 'Archive messages (XEP-0313)', key: 'archive' },
  { var: own('maxmessagebytes'), type: 'text-single', label: 'Largest message body in bytes (0 = the service limit)', key: 'maxMessageBytes', number: { kind: 'integer', cap: 'maxMessageBytes' } },
  { var: own('messagespersecond'), type: 'text-single', label: 'Messages per second per occupant (0 = the service limit)', key: 'messagesPerSecond', number: { kind: 'decimal', cap: 'messagesPerSecond' } },
  { var: own('messageburst'), type: 'text-single', label: 'Messages per occupant in a burst (0 = the service limit)', key: 'messageBurst', number: { kind: 'integer', cap: 'messageBurst' } },
];

/** Other names clients use for the same settings. */
const ALIASES: Readonly<Record<string, string>> = {
  'muc#roomconfig_enablelogging': 'muc#roomconfig_enablearchiving',
  'muc#roomconfig_historylength': 'muc#maxhistoryfetch',   // Prosody's name for it
};

const XDATA_VALIDATE = 'http://jabber.org/protocol/xdata-validate';

const valueText = (config: RoomConfig, f: Field, limits: Limits): string => {
  const v = config[f.key];
  if (f.number && typeof v === 'number' && v > limits[f.number.cap]) return String(limits[f.number.cap]);
  return typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
};

export function configForm(config: RoomConfig, owners: string[], admins: string[], limits: Limits): Element {
  const x = el('x', { xmlns: MUC.DATA, type: 'form' },
    el('title', null, 'Room configuration'),
    el('field', { var: 'FORM_TYPE', type: 'hidden' }, el('value', null, MUC.ROOMCONFIG)));
  for (const f of FIELDS) {
    const cap = f.number ? limits[f.number.cap] : undefined;
    const label = cap === undefined ? f.label : `${f.label}, at most ${cap}`;
    const field = el('field', { var: f.var, type: f.type, label }, el('value', null, valueText(config, f, limits)));
    for (const o of f.options ?? []) field.cnode(el('option', { label: o }, el('value', null, o)));
    // XEP-0122: the datatype and the service's cap, for clients that check values before submitting.
    if (f.number) field.cnode(el('validate', { xmlns: XDATA_VALIDATE, datatype: `xs:${f.number.kind}` }, el('range', { min: '0', max: String(cap) })));
    x.cnode(field);
  }
  x.cnode(el('field', { var: 'muc#roomconfig_passwordprotectedroom', type: 'boolean', label: 'Password protected' }, el('value', null, config.password ? '1' : '0')));
  x.cnode(el('field', { var: 'muc#roomconfig_roomowners', type: 'jid-multi', label: 'Owners' }, ...owners.map((j) => el('value', null, j))));
  x.cnode(el('field', { var: 'muc#roomconfig_roomadmins', type: 'jid-multi', label: 'Admins' }, ...admins.map((j) => el('value', null, j))));
  return x;
}

export interface SubmittedConfig {
  config: RoomConfig;
  owners?: string[];
  admins?: string[];
}

const BOOL: Readonly<Record<string, boolean>> = { '1': true, true: true, '0': false, false: false };

/** Applies a submitted form to `current`; throws bad-request (XEP-0045 §10.2) for values that do not fit. */
export function readConfigForm(x: Element, current: RoomConfig): SubmittedConfig {
  const next: Record<string, unknown> = { ...current };
  const out: SubmittedConfig = { config: current };
  let passwordProtected: boolean | undefined;
  for (const field of x.getChildren('field')) {
    const name = ALIASES[field.attrs.var ?? ''] ?? field.attrs.var;
    const values = field.getChildren('value').map((v) => v.getText());
    const one = values[0] ?? '';
    if (name === 'muc#roomconfig_roomowners' || name === 'muc#roomconfig_roomadmins') {
      const jids = values.filter((v) => v.trim() !== '').map((v) => tryParseJid(v.trim())?.bare());
      if (jids.some((j) => !j)) throw new StanzaError('bad-request', `${name} has an invalid JID`);
      if (name === 'muc#roomconfig_roomowners') out.owners = jids as string[];
      else out.admins = jids as string[];
      continue;
    }
    if (name === 'muc#roomconfig_passwordprotectedroom') {
      passwordProtected = BOOL[one];
      continue;
    }
    const f = FIELDS.find((d) => d.var === name);
    if (!f) continue;   // fields we do not know are ignored (XEP-0004 §3.3)
    if (f.type === 'boolean') {
      if (BOOL[one] === undefined) throw new StanzaError('bad-request', `${name} must be a boolean`);
      next[f.key] = BOOL[one];
    } else if (f.number) {
      // Values above the service's cap are kept and count as the cap (as ejabberd and Prosody do for occupants and history).
      const n = one.trim() === 'none' || one.trim() === '' ? 0 : Number(one);
      const ok = f.number.kind === 'integer' ? Number.isSafeInteger(n) : Number.isFinite(n);
      if (!ok || n < 0) throw new StanzaError('bad-request', `${name} must be ${f.number.kind === 'integer' ? 'a whole number' : 'a number'} of 0 or more`);
      next[f.key] = n;
    } else if (f.options && !f.options.includes(one)) {
      throw new StanzaError('bad-request', `${name} must be one of ${f.options.join(', ')}`);
    } else {
      next[f.key] = one;
    }
  }
  if (passwordProtected === false) next.password = '';
  if (passwordProtected === true && !next.password) throw new StanzaError('bad-request', 'a password-protected room needs muc#roomconfig_roomsecret');
  const parsed = roomConfigSchema.safeParse(next);
  if (!parsed.success) throw new StanzaError('bad-request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  out.config = parsed.data;
  return out;
}
