// Username and password rules for new accounts and password changes.
import { z } from 'zod';
import { StanzaError } from '../../src/api/index.js';
import { JidError, nodeprep } from '../../src/jid.js';

export const usernameRules = z.object({
  minLength: z.number().int().positive().default(1),
  maxLength: z.number().int().positive().max(1023).default(64),
  /** A regular expression the prepared (lower-cased) username must match; null allows every valid localpart. */
  pattern: z.string().nullable().default('^[a-z0-9._-]+$').refine((p) => {
    if (p === null) return true;
    try {
      new RegExp(p, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression'),
  /** Names nobody may register (compared after preparation). */
  reserved: z.array(z.string()).default(['admin', 'administrator', 'root', 'postmaster', 'hostmaster', 'webmaster', 'abuse', 'security', 'support', 'xmpp', 'noreply']),
}).strict().prefault({});

export const passwordRules = z.object({
  minLength: z.number().int().positive().default(8),
  maxLength: z.number().int().positive().max(1024).default(1024),
}).strict().prefault({});

export type UsernameRules = z.infer<typeof usernameRules>;
export type PasswordRules = z.infer<typeof passwordRules>;

/** The account name a requested username becomes (JID localpart preparation, as `starling adduser`). */
export function checkUsername(raw: string | null, rules: UsernameRules): string {
  if (raw === null || raw.trim() === '') throw new StanzaError('not-acceptable', 'a username is required');
  let name: string;
  try {
    name = nodeprep(raw.trim());
  } catch (err) {
    if (err instanceof JidError) throw new StanzaError('not-acceptable', `the username is not valid: ${err.message}`);
    throw err;
  }
  const length = [...name].length;
  if (length < rules.minLength) throw new StanzaError('not-acceptable', `the username must have at least ${rules.minLength} characters`);
  if (length > rules.maxLength) throw new StanzaError('not-acceptable', `the username must have at most ${rules.maxLength} characters`);
  if (rules.pattern !== null && !new RegExp(rules.pattern, 'u').test(name)) {
    throw new StanzaError('not-acceptable', 'the username contains characters that are not allowed here');
  }
  if (rules.reserved.some((r) => r.toLowerCase() === name)) throw new StanzaError('not-acceptable', 'this username is reserved');
  return name;
}

export function checkPassword(pw: string | null, rules: PasswordRules): string {
  // XEP-0077 §3.1 note: an empty <password/> is missing information.
  if (pw === null || pw === '') throw new StanzaError('not-acceptable', 'a password is required');
  const length = [...pw].length;
  if (length < rules.minLength) throw new StanzaError('not-acceptable', `the password must have at least ${rules.minLength} characters`);
  if (length > rules.maxLength) throw new StanzaError('not-acceptable', `the password must have at most ${rules.maxLength} characters`);
  return pw;
}
