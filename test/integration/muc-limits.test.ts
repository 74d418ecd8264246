// Per-room limits over real sockets: the room owner lowers the largest message body and the messages per second
// (and burst) per occupant in the muc#roomconfig form; occupants get policy-violation (too large) and
// resource-constraint of type wait (too fast) by the room's limits while other rooms keep the service's; values
// above the service's limits count as the service's; bad values are bad-request; the limits survive a restart.
// Also the service's caps on the room's own maximum occupants and history length.
import { expect } from 'chai';
import type { Element } from 'ltx';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { MucUser, MUC_NS, errorCondition, roomNames, sessionsStoppedAfter, signUp, form } from '../helpers/muc.js';

const SERVICE = 'conference.localhost';
const MODULES = { disco: {}, roster: {}, presence: {}, message: {}, vcard: {} };
/** The service's limits in these tests: a rate so slow that no token comes back while a test runs. */
const SERVICE_LIMITS = { maxMessageBytes: 100, messagesPerSecond: 0.01, messageBurst: 5 };
const F = {
  bytes: '{urn:starling:muc}roomconfig_maxmessagebytes',
  rate: '{urn:starling:muc}roomconfig_messagespersecond',
  burst: '{urn:starling:muc}roomconfig_messageburst',
} as const;

let seq = 0;
/** Sends a groupchat (or, with `to` an occupant JID, a private) message; resolves with its echo or its error. */
async function say(u: MucUser, to: string, body: string): Promise<Element> {
  const id = `say${++seq}`;
  const type = to.includes('/') ? 'chat' : 'groupchat';
  await u.send(`<message to='${to}' type='${type}' id='${id}'><body>${body}</body></message>`);
  return u.waitFor((s) => s.name === 'message' && s.attrs.id === id && (s.attrs.type === 'error' || type === 'groupchat'));
}

/** The room's configuration form as the owner gets it: field var -> the field. */
async function configFields(owner: MucUser, room: string): Promise<Map<string, Element>> {
  const r = await owner.iqOk('get', room, `<query xmlns='${MUC_NS.OWNER}'/>`);
  const fields = r.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field');
  return new Map(fields.map((f) => [f.attrs.var!, f]));
}

/** Sends messages until one is refused; resolves with how many got through and the refusal. */
async function untilRefused(u: MucUser, room: string, max = 20): Promise<{ sent: number; error: Element }> {
  for (let sent = 0; sent < max; sent++) {
    const r = await say(u, room, `m${sent}`);
    if (r.attrs.type === 'error') return { sent, error: r };
  }
  throw new Error(`${max} messages went through`);
}

describe('muc: per-room limits (message size, messages per second per occupant)', function () {
  let t: TestServer;
  let alice: MucUser;
  let bob: MucUser;
  const fresh = roomNames(SERVICE);

  before(async function () {
    t = await startTestServer({ modules: { ...MODULES, muc: { limits: SERVICE_LIMITS } } });
    [alice, bob] = await signUp(t, ['alice', 'bob']) as [MucUser, MucUser];
  });
  after(async function () {
    for (const u of [alice, bob]) await u?.stop();
    await t?.stop();
  });
  afterEach(() => [alice, bob].forEach((u) => u.drain()));

  it('applies the limits an owner sets in the form to occupants already in the room, and not to another room', async function () {
    const strict = fresh('strict');
    const other = fresh('other');
    await alice.createRoom(strict, 'Alice');
    await alice.createRoom(other, 'Alice');
    await bob.joinOk(strict, 'Bob');
    await bob.joinOk(other, 'Bob');
    // Lowered while bob is inside: his next messages are held to the room's new limits.
    await alice.configure(strict, { [F.bytes]: '10', [F.rate]: '0.01', [F.burst]: '2' });

    const big = await say(bob, strict, 'x'.repeat(11));
    expect(errorCondition(big)).to.equal('policy-violation');
    expect(big.getChild('error')!.attrs.type).to.equal('modify');
    expect(big.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).to.contain('10 bytes');
    // Multi-byte characters count as their UTF-8 bytes: four 3-byte characters are 12 bytes.
    expect(errorCondition(await say(bob, strict, '€€€€'))).to.equal('policy-violation');
    // A refused message costs no token; the burst of 2 lets two through, then resource-constraint (wait).
    const burst = await untilRefused(bob, strict);
    expect(burst.sent).to.equal(2);
    expect(errorCondition(burst.error)).to.equal('resource-constraint');
    expect(burst.error.getChild('error')!.attrs.type).to.equal('wait');
    // Private messages and presence changes in that room share the same limits and bucket.
    expect(errorCondition(await say(bob, `${strict}/Alice`, 'x'.repeat(11)))).to.equal('policy-violation');
    expect(errorCondition(await say(bob, `${strict}/Alice`, 'hi'))).to.equal('resource-constraint');
    await bob.send(`<presence to='${strict}/Bob' id='pres-fast'><show>away</show></presence>`);
    expect(errorCondition(await bob.waitFor((s) => s.name === 'presence' && s.attrs.id === 'pres-fast'))).to.equal('resource-constraint');

    // The other room keeps the service's limits: 50 bytes pass (above the strict room's 10), and the burst is 5.
    expect((await say(bob, other, 'y'.repeat(50))).attrs.type).to.equal('groupchat');
    expect(errorCondition(await say(bob, other, 'y'.repeat(101)))).to.equal('policy-violation');
    const otherBurst = await untilRefused(bob, other);
    expect(otherBurst.sent).to.equal(4);   // 5 tokens, one spent on the 50-byte message
    expect(errorCondition(otherBurst.error)).to.equal('resource-constraint');
  });

  it('holds presence changes to a lowered burst at once, though the occupant came in with the service\'s', async function () {
    const room = fresh('presence');
    await alice.createRoom(room, 'Alice');
    await bob.joinOk(room, 'Bob');   // a full bucket of the service's 5
    await alice.configure(room, { [F.burst]: '1' });
    await bob.send(`<presence to='${room}/Bob' id='away1'><show>away</show></presence>`);
    const ok = await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === `${room}/Bob`);
    expect(ok.attrs.type).to.equal(undefined);
    expect(ok.getChildText('show')).to.equal('away');
    await bob.send(`<presence to='${room}/Bob' id='away2'><show>xa</show></presence>`);
    const refused = await bob.waitFor((s) => s.name === 'presence' && s.attrs.id === 'away2');
    expect(errorCondition(refused)).to.equal('resource-constraint');
  });

  it('counts values above the service limits as the service limits, shows them so, and refuses bad values (bad-request)', async function () {
    const room = fresh('capped');
    await alice.createRoom(room, 'Alice', { [F.bytes]: '1000000', [F.rate]: '1000', [F.burst]: '1000' });
    const fields = await configFields(alice, room);
    expect(fields.get(F.bytes)!.getChildText('value')).to.equal('100');
    expect(fields.get(F.rate)!.getChildText('value')).to.equal('0.01');
    expect(fields.get(F.burst)!.getChildText('value')).to.equal('5');
    // XEP-0122: the datatype and the service's cap.
    const validate = fields.get(F.rate)!.getChild('validate', 'http://jabber.org/protocol/xdata-validate')!;
    expect(validate.attrs.datatype).to.equal('xs:decimal');
    expect(validate.getChild('range')!.attrs).to.include({ min: '0', max: '0.01' });
    expect(fields.get(F.bytes)!.getChild('validate', 'http://jabber.org/protocol/xdata-validate')!.attrs.datatype).to.equal('xs:integer');

    await bob.joinOk(room, 'Bob');
    expect(errorCondition(await say(bob, room, 'z'.repeat(101)))).to.equal('policy-violation');
    expect((await say(bob, room, 'z'.repeat(100))).attrs.type).to.equal('groupchat');
    const burst = await untilRefused(bob, room);
    expect(burst.sent).to.equal(4);
    expect(errorCondition(burst.error)).to.equal('resource-constraint');

    for (const [field, value] of [[F.bytes, '-1'], [F.bytes, 'lots'], [F.burst, '1.5'], [F.rate, '-0.5'], [F.rate, 'Infinity'], [F.bytes, '1e400']] as const) {
      const r = await alice.iq('set', room, `<query xmlns='${MUC_NS.OWNER}'>${form({ [field]: value })}</query>`);
      expect(errorCondition(r), `${field}=${value}`).to.equal('bad-request');
    }
    // Nothing changed; 0 (and an empty value) mean the service's limit; decimals are fine for the rate.
    expect((await configFields(alice, room)).get(F.burst)!.getChildText('value')).to.equal('5');
    await alice.configure(room, { [F.bytes]: '0', [F.rate]: '0.005', [F.burst]: '' });
    const after = await configFields(alice, room);
    expect(after.get(F.bytes)!.getChildText('value')).to.equal('0');
    expect(after.get(F.rate)!.getChildText('value')).to.equal('0.005');
    expect(after.get(F.burst)!.getChildText('value')).to.equal('0');
    // Only owners may change them.
    const denied = await bob.iq('set', room, `<query xmlns='${MUC_NS.OWNER}'>${form({ [F.bytes]: '5' })}</query>`);
    expect(errorCondition(denied)).to.equal('forbidden');
  });

  it('keeps a persistent room\'s limits across a restart', async function () {
    const room = fresh('kept');
    await alice.createRoom(room, 'Alice', { 'muc#roomconfig_persistentroom': '1', [F.bytes]: '8', [F.burst]: '1' });
    const dataDir = t.dataDir;
    await t.stop(true);
    for (const u of [alice, bob]) await u.stop();
    t = await startTestServer({ modules: { ...MODULES, muc: { limits: SERVICE_LIMITS } } }, ['localhost'], { dataDir });
    alice = await MucUser.login(t.c2sPort, 'alice');
    bob = await MucUser.login(t.c2sPort, 'bob');
    const fields = await configFields(alice, room);
    expect(fields.get(F.bytes)!.getChildText('value')).to.equal('8');
    expect(fields.get(F.burst)!.getChildText('value')).to.equal('1');
    await bob.joinOk(room, 'Bob');
    expect(errorCondition(await say(bob, room, '123456789'))).to.equal('policy-violation');
    expect((await say(bob, room, '12345678')).attrs.type).to.equal('groupchat');
    expect(errorCondition(await say(bob, room, 'again'))).to.equal('resource-constraint');
  });
});

describe('muc: the service caps a room\'s own maximum occupants and history length', function () {
  let t: TestServer;
  const users = sessionsStoppedAfter(() => t);

  it('holds rooms to limits.maxOccupants and limits.maxHistory whatever their form says', async function () {
    t = await startTestServer({ modules: { ...MODULES, muc: { limits: { maxOccupants: 2, maxHistory: 2 } } } });
    const [alice, bob, carol] = await signUp(t, ['alice', 'bob', 'carol'], users);
    const room = `big@${SERVICE}`;
    // Prosody's name for the history length is understood too.
    await alice!.createRoom(room, 'Alice', { 'muc#roomconfig_maxusers': '50', 'muc#roomconfig_historylength': '20' });
    const fields = await configFields(alice!, room);
    expect(fields.get('muc#roomconfig_maxusers')!.getChildText('value')).to.equal('2');
    expect(fields.get('muc#maxhistoryfetch')!.getChildText('value')).to.equal('2');
    for (const i of [1, 2, 3, 4]) expect((await say(alice!, room, `line ${i}`)).attrs.type).to.equal('groupchat');
    // Newcomers get the last two messages, not twenty.
    await carol!.joinOk(room, 'Carol');
    const hist = carol!.c.received.filter((s) => s.name === 'message' && s.getChild('body'));
    expect(hist.map((m) => m.getChildText('body'))).to.deep.equal(['line 3', 'line 4']);
    // Two occupants fill the room although its own maximum is 50.
    expect(errorCondition(await bob!.join(room, 'Bob'))).to.equal('service-unavailable');
    // Below the cap, the room's own maximum holds.
    await alice!.configure(room, { 'muc#roomconfig_maxusers': '1' });
    expect((await configFields(alice!, room)).get('muc#roomconfig_maxusers')!.getChildText('value')).to.equal('1');
  });
});
