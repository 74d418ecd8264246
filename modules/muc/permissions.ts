// XEP-0045's permission tables as data (§5.1.1 Table 2, §5.2.1 Table 3, §5.1.2 default roles, §8-§10 who may
// change which role or affiliation), and the checks that read them. The tests walk the same tables.
import type { Affiliation, Role, RoomConfig } from './types.js';

export type RolePrivilege =
  | 'present' | 'receive-messages' | 'change-availability' | 'change-nick' | 'send-pm' | 'invite'
  | 'send-messages' | 'modify-subject' | 'kick' | 'grant-voice' | 'revoke-voice';

/** §5.1.1 Table 2. The starred cells (nick change, PMs, invites, subject) are further limited by the room's config. */
export const ROLE_PRIVILEGES: Readonly<Record<Role, readonly RolePrivilege[]>> = {
  none: [],
  visitor: ['present', 'receive-messages', 'change-availability', 'change-nick', 'send-pm', 'invite'],
  participant: ['present', 'receive-messages', 'change-availability', 'change-nick', 'send-pm', 'invite', 'send-messages', 'modify-subject'],
  moderator: ['present', 'receive-messages', 'change-availability', 'change-nick', 'send-pm', 'invite', 'send-messages', 'modify-subject', 'kick', 'grant-voice', 'revoke-voice'],
};

export type AffiliationPrivilege =
  | 'enter-open' | 'enter-members-only' | 'ban' | 'edit-member-list' | 'edit-moderator-list'
  | 'edit-admin-list' | 'edit-owner-list' | 'change-config' | 'destroy';

/** §5.2.1 Table 3. */
export const AFFILIATION_PRIVILEGES: Readonly<Record<Affiliation, readonly AffiliationPrivilege[]>> = {
  outcast: [],
  none: ['enter-open'],
  member: ['enter-open', 'enter-members-only'],
  admin: ['enter-open', 'enter-members-only', 'ban', 'edit-member-list', 'edit-moderator-list'],
  owner: ['enter-open', 'enter-members-only', 'ban', 'edit-member-list', 'edit-moderator-list', 'edit-admin-list', 'edit-owner-list', 'change-config', 'destroy'],
};

export const AFFILIATION_RANK: Readonly<Record<Affiliation, number>> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };

export const hasRolePrivilege = (role: Role, p: RolePrivilege): boolean => ROLE_PRIVILEGES[role].includes(p);
export const hasAffiliationPrivilege = (aff: Affiliation, p: AffiliationPrivilege): boolean => AFFILIATION_PRIVILEGES[aff].includes(p);

/** §5.1.2: the role an affiliation enters with; 'none' means it may not enter. */
export function defaultRole(aff: Affiliation, config: Pick<RoomConfig, 'moderated' | 'membersOnly'>): Role {
  switch (aff) {
    case 'owner':
    case 'admin':
      return 'moderator';
    case 'member':
      return 'participant';
    case 'none':
      return config.membersOnly ? 'none' : config.moderated ? 'visitor' : 'participant';
    case 'outcast':
      return 'none';
  }
}

export type Denial = 'forbidden' | 'not-allowed' | null;

/**
 * Role changes (§8.2 kick, §8.3-§8.4 voice, §9.6-§9.7 moderator). The actor must be a moderator; giving or
 * taking the moderator role needs an admin or owner; an admin's or owner's role is bound to the affiliation
 * and can only be ended (kick) by someone of strictly higher affiliation; nobody acts on a higher affiliation.
 */
export interface RoleChangeRule {
  from: readonly Role[];
  to: Role;
  /** The least affiliation the actor needs besides being a moderator ('none' = any moderator). */
  actorAffiliation: Affiliation;
  what: string;
}

export const ROLE_CHANGES: readonly RoleChangeRule[] = [
  { from: ['participant', 'visitor'], to: 'none', actorAffiliation: 'none', what: 'kick (§8.2)' },
  { from: ['moderator'], to: 'none', actorAffiliation: 'admin', what: 'kick a moderator (§8.2, §9.7)' },
  { from: ['visitor'], to: 'participant', actorAffiliation: 'none', what: 'grant voice (§8.3)' },
  { from: ['participant'], to: 'visitor', actorAffiliation: 'none', what: 'revoke voice (§8.4)' },
  { from: ['participant', 'visitor'], to: 'moderator', actorAffiliation: 'admin', what: 'grant moderator (§9.6)' },
  { from: ['moderator'], to: 'participant', actorAffiliation: 'admin', what: 'revoke moderator (§9.7)' },
  { from: ['moderator'], to: 'visitor', actorAffiliation: 'admin', what: 'revoke moderator and voice (§9.7)' },
];

export function checkRoleChange(actor: { role: Role; affiliation: Affiliation }, target: { role: Role; affiliation: Affiliation }, to: Role): Denial {
  if (actor.role !== 'moderator') return 'forbidden';
  if (target.role === to) return null;
  const rule = ROLE_CHANGES.find((r) => r.from.includes(target.role) && r.to === to);
  if (!rule) return 'not-allowed';
  if (AFFILIATION_RANK[actor.affiliation] < AFFILIATION_RANK[rule.actorAffiliation]) return 'forbidden';
  const a = AFFILIATION_RANK[actor.affiliation];
  const t = AFFILIATION_RANK[target.affiliation];
  if (t > a) return 'not-allowed';
  if (t >= AFFILIATION_RANK.admin && !(to === 'none' && a > t)) return 'not-allowed';
  return null;
}

/**
 * Affiliation changes (§9.1 ban, §9.3-§9.4 members, §10.3-§10.7 owners and admins): which new affiliations an
 * actor may give, and which current affiliations it may change. Anyone else gets <forbidden/>; an admin acting
 * on an admin or owner gets <not-allowed/>.
 */
export const AFFILIATION_CHANGES: Readonly<Record<Affiliation, { grant: readonly Affiliation[]; modify: readonly Affiliation[] }>> = {
  owner: { grant: ['owner', 'admin', 'member', 'none', 'outcast'], modify: ['owner', 'admin', 'member', 'none', 'outcast'] },
  admin: { grant: ['member', 'none', 'outcast'], modify: ['member', 'none', 'outcast'] },
  member: { grant: [], modify: [] },
  none: { grant: [], modify: [] },
  outcast: { grant: [], modify: [] },
};

export function checkAffiliationChange(actor: Affiliation, current: Affiliation, to: Affiliation): Denial {
  const rule = AFFILIATION_CHANGES[actor];
  if (!rule.grant.includes(to)) return 'forbidden';
  if (!rule.modify.includes(current)) return 'not-allowed';
  return null;
}

/** Who may read which list (§9.2, §9.5, §9.8, §10.5, §10.8; §8.5 and §9.8 for role lists). */
export function checkListRead(actor: { role: Role | null; affiliation: Affiliation }, list: { affiliation?: Affiliation; role?: Role }): Denial {
  if (list.affiliation) {
    if (list.affiliation === 'owner' || list.affiliation === 'admin') return actor.affiliation === 'owner' ? null : 'forbidden';
    return AFFILIATION_RANK[actor.affiliation] >= AFFILIATION_RANK.admin ? null : 'forbidden';
  }
  if (list.role === 'moderator') return AFFILIATION_RANK[actor.affiliation] >= AFFILIATION_RANK.admin ? null : 'forbidden';
  return actor.role === 'moderator' ? null : 'forbidden';
}

/** Whether an occupant may send a private message under the room's allowpm setting. */
export function mayPrivateMessage(role: Role, allowPm: RoomConfig['allowPm']): boolean {
  if (!hasRolePrivilege(role, 'send-pm')) return false;
  switch (allowPm) {
    case 'anyone': return true;
    case 'participants': return role === 'participant' || role === 'moderator';
    case 'moderators': return role === 'moderator';
    case 'none': return false;
  }
}

/** §8.1 subject: moderators always, participants when the room allows it. */
export const mayChangeSubject = (role: Role, config: Pick<RoomConfig, 'changeSubject'>): boolean =>
  role === 'moderator' || (config.changeSubject && hasRolePrivilege(role, 'modify-subject'));

/** §7.8.2 invitations: in members-only rooms only admins and owners unless occupants are allowed to invite. */
export function mayInvite(role: Role, aff: Affiliation, config: Pick<RoomConfig, 'membersOnly' | 'allowInvites'>): boolean {
  if (!hasRolePrivilege(role, 'invite')) return false;
  if (!config.membersOnly || config.allowInvites) return true;
  return AFFILIATION_RANK[aff] >= AFFILIATION_RANK.admin;
}
