// Deleting an account of any local virtual host removes its owner, admin and member affiliations from the rooms
// of every MUC service of the server (the server-wide 'user-deleted' event), keeps its bans, leaves rooms without
// owners to the service admins, and touches nobody else, not even the same name on another host. Two hosts,
// each with its MUC service; a restart shows the cleanup was stored. An account deleted with the server stopped
// (the offline CLI) loses its affiliations at the next start, even when its name was registered again meanwhile.
import { expect } from 'chai';
import { runCliOn, startTestServer, type TestServer } from '../helpers/server.js';
import { MucUser, MUC_NS, errorCondition, sessionsStoppedAfter } from '../helpers/muc.js';

const ROOMS_A = 'conference.localhost';
const ROOMS_B = 'conference.a.example';
const MODULES = { disco: {}, roster: {}, presence: {}, message: {}, vcard: {} };

async function list(u: MucUser, room: string, affiliation: string): Promise<string[]> {
  const r = await u.iqOk('get', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='${affiliation}'/></query>`);
  return r.getChild('query')!.getChildren('item').map((i) => i.attrs.jid!).sort();
}

async function grant(owner: MucUser, room: string, jid: string, affiliation: string): Promise<void> {
  await owner.iqOk('set', room, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='${affiliation}' jid='${jid}'/></query>`);
}

describe('muc: affiliations of deleted accounts across local hosts', function () {
  let t: TestServer;
  const users = sessionsStoppedAfter(() => t);
  const start = (dataDir?: string) => startTestServer({ modules: { ...MODULES, muc: { admins: ['boss@localhost'] } } },
    ['localhost', 'a.example'], { dataDir });

  it('removes a deleted a.example account\'s affiliations from rooms of both hosts\' services, keeping bans and everyone else\'s', async function () {
    t = await start();
    for (const u of ['alice', 'boss', 'dora']) await t.addUser(u, 'pw', 'localhost');
    for (const u of ['dora', 'erin', 'olaf']) await t.addUser(u, 'pw', 'a.example');
    const alice = await MucUser.login(t.c2sPort, 'alice');
    const boss = await MucUser.login(t.c2sPort, 'boss');
    const dora = await MucUser.login(t.c2sPort, 'dora', undefined, 'a.example');
    users.push(alice, boss, dora);

    const main = `main@${ROOMS_A}`;       // on the first host's service
    const home = `home@${ROOMS_B}`;       // on the deleted account's own host's service
    const orphan = `orphan@${ROOMS_A}`;   // owned by the deleted account alone
    await alice.createRoom(main, 'Alice', { 'muc#roomconfig_persistentroom': '1' });
    await grant(alice, main, 'dora@a.example', 'admin');
    await grant(alice, main, 'dora@localhost', 'member');   // same name, other host: not the deleted account
    await grant(alice, main, 'erin@a.example', 'member');
    await grant(alice, main, 'olaf@a.example', 'outcast');
    await alice.createRoom(home, 'Alice', { 'muc#roomconfig_persistentroom': '1' });
    await grant(alice, home, 'dora@a.example', 'member');
    await grant(alice, home, 'erin@a.example', 'member');
    await dora.createRoom(orphan, 'Dora', { 'muc#roomconfig_persistentroom': '1' });
    await dora.joinOk(main, 'Dora');

    await t.deleteUser('dora', 'a.example');
    await t.deleteUser('olaf', 'a.example');
    // Her session ended, so she left the room.
    await alice.waitFor((s) => s.name === 'presence' && s.attrs.from === `${main}/Dora` && s.attrs.type === 'unavailable');

    expect(await list(alice, main, 'admin')).to.deep.equal([]);
    expect(await list(alice, main, 'member')).to.deep.equal(['dora@localhost', 'erin@a.example']);
    expect(await list(alice, main, 'owner')).to.deep.equal(['alice@localhost']);
    // A ban outlives the account: deleting it is no way out of a ban, also for whoever registers the name again.
    expect(await list(alice, main, 'outcast')).to.deep.equal(['olaf@a.example']);
    expect(await list(alice, home, 'member')).to.deep.equal(['erin@a.example']);
    // A room whose only owner was deleted stays, without owners, in the hands of the service admins.
    expect(await list(boss, orphan, 'owner')).to.deep.equal([]);
    const info = await alice.iqOk('get', orphan, "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    expect(info.getChild('query')!.getChild('identity')!.attrs.category).to.equal('conference');
    await grant(boss, orphan, 'alice@localhost', 'owner');
    expect(await list(alice, orphan, 'owner')).to.deep.equal(['alice@localhost']);

    // Whoever registers the name again starts with nothing: not an admin (forbidden to list admins), and banned.
    await t.addUser('dora', 'pw', 'a.example');
    await t.addUser('olaf', 'pw', 'a.example');
    const newDora = await MucUser.login(t.c2sPort, 'dora', 'again', 'a.example');
    const newOlaf = await MucUser.login(t.c2sPort, 'olaf', undefined, 'a.example');
    users.push(newDora, newOlaf);
    expect(errorCondition(await newDora.iq('get', main, `<query xmlns='${MUC_NS.ADMIN}'><item affiliation='outcast'/></query>`))).to.equal('forbidden');
    expect(errorCondition(await newOlaf.join(main, 'Olaf'))).to.equal('forbidden');

    // Deleting an account of the first host cleans the second host's service as well.
    await grant(alice, home, 'dora@localhost', 'admin');
    expect(await list(alice, home, 'admin')).to.deep.equal(['dora@localhost']);
    await t.deleteUser('dora', 'localhost');
    expect(await list(alice, home, 'admin')).to.deep.equal([]);
    expect(await list(alice, home, 'member')).to.deep.equal(['erin@a.example']);
    expect(await list(alice, main, 'member')).to.deep.equal(['erin@a.example']);
  });

  /** Stops the server and the clients, runs `whileStopped` on the kept data directory, starts again; alice logs in. */
  async function restart(whileStopped: (dataDir: string) => Promise<void> = async () => undefined): Promise<MucUser> {
    const dataDir = t.dataDir;
    await t.stop(true);
    for (const u of users.splice(0)) await u.stop();
    await whileStopped(dataDir);
    t = await start(dataDir);
    const alice = await MucUser.login(t.c2sPort, 'alice');
    users.push(alice);
    return alice;
  }

  it('stores the cleanup: after a restart the affiliations are still gone', async function () {
    const alice = await restart();
    const main = `main@${ROOMS_A}`;
    expect(await list(alice, main, 'admin')).to.deep.equal([]);
    expect(await list(alice, main, 'member')).to.deep.equal(['erin@a.example']);
    expect(await list(alice, main, 'outcast')).to.deep.equal(['olaf@a.example']);
    expect(await list(alice, `home@${ROOMS_B}`, 'member')).to.deep.equal(['erin@a.example']);
    expect(await list(alice, `home@${ROOMS_B}`, 'admin')).to.deep.equal([]);
  });

  it('cleans up after an account deleted with the server stopped, at the next start', async function () {
    const main = `main@${ROOMS_A}`;
    await grant(users[0]!, main, 'erin@a.example', 'admin');
    expect(await list(users[0]!, main, 'admin')).to.deep.equal(['erin@a.example']);
    const hosts = ['localhost', 'a.example'];
    const alice = await restart(async (dataDir) => {
      // `starling user delete` with the server stopped, then the name registered again.
      expect((await runCliOn(dataDir, hosts, ['user', 'delete', 'erin@a.example'])).stdout).to.equal('deleted user erin@a.example\n');
      expect((await runCliOn(dataDir, hosts, ['user', 'add', 'erin@a.example'], 'new\n')).code).to.equal(0);
    });
    expect(await list(alice, main, 'admin')).to.deep.equal([]);
    expect(await list(alice, main, 'member')).to.deep.equal([]);
    expect(await list(alice, `home@${ROOMS_B}`, 'member')).to.deep.equal([]);
    expect(await list(alice, main, 'owner')).to.deep.equal(['alice@localhost']);

    // Run once: what the new erin is given after the start stays.
    await grant(alice, main, 'erin@a.example', 'member');
    const alice2 = await restart();
    expect(await list(alice2, main, 'member')).to.deep.equal(['erin@a.example']);
  });
});
