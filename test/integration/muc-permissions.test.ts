// XEP-0045's permission tables as data-driven tests over real sockets: who may change which affiliation
// (§5.2, §9, §10) and which role (§5.1, §8, §9.6-9.7) of whom. The expectations below are transcribed from
// the XEP independently of the module's own tables; every row runs against the live server and checks both
// the answer and the effect (the target's new affiliation or role, or that nothing changed).
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { MucUser, MUC_NS, errorCondition, itemOf, statusCodes } from '../helpers/muc.js';

const SERVICE = 'conference.localhost';
type Aff = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
type Role = 'moderator' | 'participant' | 'visitor' | 'none';
const AFFS: Aff[] = ['owner', 'admin', 'member', 'none', 'outcast'];
const RANK: Record<Aff, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
type Outcome = 'ok' | 'forbidden' | 'not-allowed';

/** §5.2.2 / §9 / §10: owners change any affiliation; admins grant and revoke membership and ban, but only
 *  of members, unaffiliated users and outcasts; nobody else changes affiliations. */
function expectedAffiliationChange(actor: Aff, current: Aff, next: Aff): Outcome {
  if (actor === 'owner') return 'ok';
  if (actor !== 'admin') return 'forbidden';
  if (next === 'admin' || next === 'owner') return 'forbidden';
  if (current === 'admin' || current === 'owner') return 'not-allowed';
  return 'ok';
}

/** §8.2-§8.4 and §9.6-§9.7: moderators kick and (de)voice participants and visitors; only admins and owners
 *  grant or revoke the moderator role; an admin's or owner's role follows the affiliation and only someone of
 *  strictly higher affiliation may kick them; nobody acts on a higher affiliation than their own. */
function expectedRoleChange(actor: { aff: Aff; role: Role }, target: { aff: Aff; role: Role }, next: Role): Outcome {
  if (actor.role !== 'moderator') return 'forbidden';
  const touchesModerator = next === 'moderator' || target.role === 'moderator';
  if (touchesModerator && RANK[actor.aff] < RANK.admin) return 'forbidden';
  if (RANK[target.aff] > RANK[actor.aff]) return 'not-allowed';
  if (RANK[target.aff] >= RANK.admin && !(next === 'none' && RANK[actor.aff] > RANK[target.aff])) return 'not-allowed';
  return 'ok';
}

describe('muc: permission tables (data-driven)', function () {
  this.timeout(120_000);
  let t: TestServer;
  let root: MucUser;
  let actor: MucUser;
  let target: MucUser;
  let n = 0;

  before(async function () {
    t = await startTestServer({ modules: { disco: {}, presence: {}, roster: {}, message: {}, muc: {} } });
    for (const u of ['root', 'actor', 'target']) await t.addUser(u, 'pw');
    root = await MucUser.login(t.c2sPort, 'root');
    actor = await MucUser.login(t.c2sPort, 'actor');
    target = await MucUser.login(t.c2sPort, 'target');
  });
  after(async function () {
    for (const u of [root, actor, target]) await u?.stop();
    await t?.stop();
  });

  const setAff = (room: string, who: MucUser, aff: Aff) =>
    root.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='${aff}' jid='${who.bare}'/></query>`);
  const setRole = (room: string, nick: string, role: Role) =>
    root.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item role='${role}' nick='${nick}'/></query>`);
  const affOf = async (room: string, who: MucUser): Promise<Aff> => {
    for (const aff of ['owner', 'admin', 'member', 'outcast'] as const) {
      const r = await root.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='${aff}'/></query>`);
      if (r.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === who.bare)) return aff;
    }
    return 'none';
  };
  const destroy = async (room: string) => {
    await root.iqOk('set', room, `<query xmlns='${MUC_NS.OWNER}'><destroy/></query>`);
    for (const u of [root, actor, target]) u.drain();
  };

  describe('affiliation changes', function () {
    const rows: { actor: Aff; current: Aff; next: Aff; expect: Outcome }[] = [];
    for (const a of AFFS) for (const c of AFFS) for (const x of AFFS) rows.push({ actor: a, current: c, next: x, expect: expectedAffiliationChange(a, c, x) });

    it(`${rows.length} rows: actor affiliation × target affiliation × new affiliation`, async function () {
      const room = `affs${++n}@${SERVICE}`;
      await root.createRoom(room, 'root');
      const failures: string[] = [];
      for (const row of rows) {
        await setAff(room, actor, row.actor);
        await setAff(room, target, row.current);
        const r = await actor.iq('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='${row.next}' jid='${target.bare}'><reason>row</reason></item></query>`);
        const got: string = r.attrs.type === 'result' ? 'ok' : errorCondition(r) ?? '?';
        const after = await affOf(room, target);
        const want = row.expect === 'ok' ? row.next : row.current;
        if (got !== row.expect || after !== want) failures.push(`${row.actor} sets ${row.current}→${row.next}: got ${got} (now ${after}), want ${row.expect} (now ${want})`);
      }
      expect(failures, failures.join('\n')).to.deep.equal([]);
      await destroy(room);
    });

    it('refuses to remove the last owner (conflict), but lets a second owner go', async function () {
      const room = `lastowner${++n}@${SERVICE}`;
      await root.createRoom(room, 'root');
      const r = await root.iq('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='admin' jid='${root.bare}'/></query>`);
      expect(errorCondition(r)).to.equal('conflict');
      await setAff(room, actor, 'owner');
      await actor.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='member' jid='${actor.bare}'/></query>`);
      expect(await affOf(room, actor)).to.equal('member');
      await destroy(room);
    });

    it('lets only admins and owners read the member and outcast lists, and only owners the admin and owner lists', async function () {
      const room = `lists${++n}@${SERVICE}`;
      await root.createRoom(room, 'root');
      const expectations: [Aff, Aff, Outcome][] = [];
      for (const viewer of ['admin', 'member', 'none'] as Aff[]) {
        for (const list of ['owner', 'admin', 'member', 'outcast'] as Aff[]) {
          const ok = viewer === 'owner' || (viewer === 'admin' && (list === 'member' || list === 'outcast'));
          expectations.push([viewer, list, ok ? 'ok' : 'forbidden']);
        }
      }
      const failures: string[] = [];
      for (const [viewer, list, want] of expectations) {
        await setAff(room, actor, viewer);
        const r = await actor.iq('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='${list}'/></query>`);
        const got = r.attrs.type === 'result' ? 'ok' : errorCondition(r);
        if (got !== want) failures.push(`${viewer} reads ${list} list: got ${got}, want ${want}`);
      }
      expect(failures, failures.join('\n')).to.deep.equal([]);
      await destroy(room);
    });
  });

  describe('role changes', function () {
    interface Who { aff: Aff; role: Role }
    const actors: Who[] = [
      { aff: 'owner', role: 'moderator' }, { aff: 'admin', role: 'moderator' }, { aff: 'member', role: 'moderator' },
      { aff: 'none', role: 'moderator' }, { aff: 'member', role: 'participant' }, { aff: 'none', role: 'visitor' },
    ];
    const targets: Who[] = [
      { aff: 'owner', role: 'moderator' }, { aff: 'admin', role: 'moderator' }, { aff: 'member', role: 'moderator' },
      { aff: 'member', role: 'participant' }, { aff: 'member', role: 'visitor' }, { aff: 'none', role: 'moderator' },
      { aff: 'none', role: 'participant' }, { aff: 'none', role: 'visitor' },
    ];
    const rows: { actor: Who; target: Who; next: Role; expect: Outcome }[] = [];
    for (const a of actors) for (const tg of targets) for (const next of ['moderator', 'participant', 'visitor', 'none'] as Role[]) {
      if (next !== tg.role) rows.push({ actor: a, target: tg, next, expect: expectedRoleChange(a, tg, next) });
    }

    /** A moderated room with the actor and the target in the given affiliations and roles. */
    async function setUp(a: Who, tg: Who): Promise<string> {
      const room = `roles${++n}@${SERVICE}`;
      await root.createRoom(room, 'root', { 'muc#roomconfig_moderatedroom': '1' });
      if (a.aff !== 'none') await setAff(room, actor, a.aff);
      if (tg.aff !== 'none') await setAff(room, target, tg.aff);
      await actor.joinOk(room, 'Actor');
      await target.joinOk(room, 'Target');
      for (const [nick, who] of [['Actor', a], ['Target', tg]] as const) {
        const initial: Role = who.aff === 'owner' || who.aff === 'admin' ? 'moderator' : who.aff === 'member' ? 'participant' : 'visitor';
        if (initial === who.role) continue;
        await setRole(room, nick, who.role);
        const u = nick === 'Actor' ? actor : target;
        await u.waitFor((s) => s.name === 'presence' && s.attrs.from === `${room}/${nick}` && itemOf(s)?.attrs.role === who.role);
      }
      actor.drain();
      target.drain();
      return room;
    }

    it(`${rows.length} rows: actor (affiliation, role) × target (affiliation, role) × new role`, async function () {
      const failures: string[] = [];
      for (const row of rows) {
        const room = await setUp(row.actor, row.target);
        const r = await actor.iq('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item role='${row.next}' nick='Target'><reason>row</reason></item></query>`);
        const got: string = r.attrs.type === 'result' ? 'ok' : errorCondition(r) ?? '?';
        let effect = 'unchanged';
        if (got === 'ok') {
          const p = await target.waitFor((s) => s.name === 'presence' && s.attrs.from === `${room}/Target` && statusCodes(s).includes(110));
          effect = row.next === 'none' ? (p.attrs.type === 'unavailable' && statusCodes(p).includes(307) ? 'none' : `bad kick ${p}`) : itemOf(p)!.attrs.role!;
        } else {
          const p = await target.maybe((s) => s.name === 'presence' && s.attrs.from === `${room}/Target`, 50);
          if (p) effect = `changed: ${p}`;
        }
        const want = row.expect === 'ok' ? row.next : 'unchanged';
        const who = `${row.actor.aff}/${row.actor.role} makes ${row.target.aff}/${row.target.role} ${row.next}`;
        if (got !== row.expect || effect !== want) failures.push(`${who}: got ${got} (${effect}), want ${row.expect} (${want})`);
        await destroy(room);
      }
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });
  });
});
