// Crash durability (issue 12): a client writes in a loop — messages to an offline user (offline storage and both
// users' message archives, XEP-0313), messages to an archived room (its history and archive) and roster changes —
// while the server process is killed with SIGKILL at a random moment, three times, restarting on the same
// database each time. Everything the server acknowledged must be there afterwards exactly once; what was in flight
// at the kill may be there or not, but never twice.
//
// "Acknowledged": a client session's stanzas are processed in order and a stanza's storage write completes before
// the next stanza is handled, so an IQ result for barrier n acknowledges every stanza sent before it. SQLite runs in
// WAL mode with synchronous=NORMAL: a commit is in the WAL (the OS page cache) when the call returns, which survives
// the death of the process; only an OS crash or power loss can lose the last commits (see SECURITY.md).
import fs from 'node:fs';
import { expect } from 'chai';
import { rawLogin } from '../helpers/login.js';
import type { RawClient } from '../helpers/raw-client.js';
import { makeConfigDir, runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const WINDOW = 8;          // iterations in flight, so that the kill lands among unfinished writes
const CYCLES = 3;
const ROSTER_EVERY = 10;   // every 10th barrier is a roster set (the others are pings)
const SEED = Number(process.env.STARLING_CRASH_SEED ?? 20261128);
const ROOM = 'crash@conference.localhost';   // provisioned, persistent, archived

/** A small seeded generator, so a failing run can be repeated with STARLING_CRASH_SEED. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function attrOf(tag: string, name: string): string | undefined {
  return tag.match(new RegExp(`\\s${name}=["']([^"']*)["']`))?.[1];
}

/**
 * Writes message n to bob, then barrier n (a ping, or a roster set for n % 10 == 0), keeping WINDOW iterations in
 * flight, until the connection dies. Returns the highest n whose barrier was answered.
 */
async function writeUntilKilled(client: RawClient, first: number): Promise<number> {
  let next = first;
  let acked = first - 1;
  let inFlight = 0;
  const fill = () => {
    for (; inFlight < WINDOW; inFlight++, next++) {
      client.send(`<message to='bob@localhost' type='chat' id='m${next}'><body>${next}</body></message>`);
      client.send(`<message to='${ROOM}' type='groupchat' id='g${next}'><body>${next}</body></message>`);
      client.send(next % ROSTER_EVERY === 0
        ? `<iq type='set' id='b${next}'><query xmlns='jabber:iq:roster'><item jid='c${next}@example.net'/></query></iq>`
        : `<iq type='get' id='b${next}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    }
  };
  fill();
  for (;;) {
    let tag: string;
    try {
      tag = (await client.expect(/<(?:iq|message)\b[^>]*>/, 15_000))[0];
    } catch {
      return acked;   // the server is gone
    }
    const type = attrOf(tag, 'type');
    if (type === 'error') throw new Error(`the server refused a write: ${tag}`);
    const id = attrOf(tag, 'id') ?? '';
    if (tag.startsWith('<iq') && type === 'result' && /^b\d+$/.test(id)) {
      const n = Number(id.slice(1));
      expect(n, 'barriers are answered in order').to.equal(acked + 1);
      acked = n;
      inFlight--;
      fill();
    }
  }
}

/** Logs bob in and collects his offline messages' numbers, in delivery order, until message `last` and a quiet spell. */
async function offlineNumbers(port: number, last: number): Promise<number[]> {
  const { client } = await rawLogin({ port, username: 'bob', password: 'pw', resource: 'check' });
  client.send('<presence/>');
  const seen: number[] = [];
  const take = async (timeoutMs: number) => {
    const m = await client.expect(/<message\b[^>]*\sid=["']m(\d+)["'][^>]*>/, timeoutMs);
    seen.push(Number(m[1]));
  };
  // Delivery is in storage order: once `last` is here, what follows (unacknowledged messages that made it, or
  // duplicates) arrives right behind it. If `last` was lost, the caller's assertion names what is missing.
  for (let waitMs = 10_000; ; waitMs = seen.includes(last) ? 500 : 10_000) {
    try {
      await take(waitMs);
    } catch {
      break;
    }
  }
  client.close();
  return seen;
}

/** Joins the room as alice's current resource and waits for the self-presence. */
async function joinRoom(client: RawClient, nick: string): Promise<void> {
  client.send(`<presence to='${ROOM}/${nick}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
  await client.expect(new RegExp(`<presence [^>]*from="${ROOM}/${nick}"`), 10_000);
}

/**
 * Every body in an archive, in archive order, paging through it with RSM: alice's archive of her conversation with
 * bob (`to` undefined), or the room's (`to` = the room).
 */
async function archivedNumbers(port: number, to?: string): Promise<number[]> {
  const { client } = await rawLogin({ port, username: 'alice', password: 'pw', resource: 'mam' });
  if (to) await joinRoom(client, 'reader');
  const target = to ? ` to='${to}'` : '';
  const withField = to ? '' : `<field var='with'><value>bob@localhost</value></field>`;
  const out: number[] = [];
  let after = '';
  for (let page = 1; ; page++) {
    client.send(`<iq type='set' id='q${page}'${target}><query xmlns='urn:xmpp:mam:2' queryid='c${page}'><x xmlns='jabber:x:data' type='submit'>`
      + `<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>${withField}</x>`
      + `<set xmlns='http://jabber.org/protocol/rsm'><max>250</max>${after ? `<after>${after}</after>` : ''}</set></query></iq>`);
    // (No leading lazy group in the pattern: on a growing buffer that makes every attempt quadratic.)
    const m = await client.expect(new RegExp(`<iq\\b[^>]*id=["']q${page}["'][\\s\\S]*?</iq>`), 10_000);
    const results = m.input!.slice(0, m.index);
    expect(m[0], 'MAM query answered').to.match(/type=["']result["']/);
    for (const r of results.matchAll(/<result\b[\s\S]*?<body>(\d+)<\/body>/g)) out.push(Number(r[1]));
    if (/complete=["']true["']/.test(m[0])) break;
    after = m[0].match(/<last>([^<]+)<\/last>/)?.[1] ?? '';
    if (!after) break;
  }
  client.close();
  return out;
}

/** Numbers seen more than once, and acknowledged numbers not seen. */
function check(seen: number[], acknowledged: number[]): { duplicates: number[]; missing: number[] } {
  const counts = new Map<number, number>();
  for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
  return {
    duplicates: [...counts].filter(([, c]) => c > 1).map(([n]) => n),
    missing: acknowledged.filter((n) => !counts.has(n)),
  };
}

async function rosterItems(port: number): Promise<Set<string>> {
  const { client } = await rawLogin({ port, username: 'alice', password: 'pw', resource: 'check' });
  client.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
  const m = await client.expect(/<iq\b[^>]*id=["']r1["'][^>]*>([\s\S]*?)<\/iq>/, 10_000);
  client.close();
  return new Set([...m[1]!.matchAll(/<item\b[^>]*\sjid=["']([^"']+)["']/g)].map((x) => x[1]!));
}

describe('crash durability: kill -9 while writing', function () {
  this.timeout(120_000);
  let dir: string;
  let configFile: string;
  let server: ServerProcess | null = null;

  before(async () => {
    ({ dir, file: configFile } = makeConfigDir([
      'modules:',
      '  disco: {}',
      '  ping: {}',
      '  roster: { maxItems: 100000 }',
      '  presence: {}',
      '  message: {}',
      '  offline: { maxMessages: 100000 }',
      '  mam: {}',
      '  muc: { rooms: [{ name: crash, config: { persistent: true, archive: true } }], limits: { messagesPerSecond: 100000, messageBurst: 100000 } }',
    ], { prefix: 'starling-crash-' }));
    for (const user of ['alice', 'bob']) expect((await runCli(['-c', configFile, 'adduser', `${user}@localhost`, '--password', 'pw'])).code).to.equal(0);
  });

  after(async () => {
    if (server) await server.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged offline message, archived 1:1 and room message and roster change across ${CYCLES} kills (seed ${SEED})`, async () => {
    const rand = random(SEED);
    const acknowledged: number[] = [];
    let first = 1;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      server = await startServerProcess(configFile);
      const { client } = await rawLogin({ port: server.ports.starttls, username: 'alice', password: 'pw', resource: `w${cycle}` });
      await joinRoom(client, `w${cycle}`);
      const victim = server;
      const delay = 150 + Math.floor(rand() * 600);
      const killer = new Promise<void>((resolve) => setTimeout(() => void victim.kill('SIGKILL').then(() => resolve()), delay));
      const reached = await writeUntilKilled(client, first);
      await killer;
      client.close();
      expect(server.proc.signalCode, `cycle ${cycle}: the server was killed, not stopped`).to.equal('SIGKILL');
      expect(reached, `cycle ${cycle}: some writes were acknowledged before the kill at ${delay} ms`).to.be.at.least(first);
      for (let n = first; n <= reached; n++) acknowledged.push(n);
      if (process.env.STARLING_CRASH_DEBUG) console.log(`cycle ${cycle}: killed at ${delay} ms, acknowledged ${first}..${reached}`);
      // At most WINDOW numbers after the last acknowledged one were in flight; they may or may not have been
      // stored, and the next cycle continues after them so that a number is never sent twice.
      first = reached + WINDOW + 1;
    }

    server = await startServerProcess(configFile);
    const debug = (what: string) => { if (process.env.STARLING_CRASH_DEBUG) console.log(`${new Date().toISOString()} ${what}`); };
    debug('restarted');
    const archived = check(await archivedNumbers(server.ports.starttls), acknowledged);
    expect(archived.duplicates, 'messages archived twice').to.deep.equal([]);
    expect(archived.missing, 'acknowledged messages missing from the archive').to.deep.equal([]);
    debug('user archive read');
    const roomArchive = check(await archivedNumbers(server.ports.starttls, ROOM), acknowledged);
    expect(roomArchive.duplicates, 'room messages archived twice').to.deep.equal([]);
    expect(roomArchive.missing, 'acknowledged room messages missing from the room archive').to.deep.equal([]);
    debug('room archive read');
    const delivered = check(await offlineNumbers(server.ports.starttls, acknowledged.at(-1)!), acknowledged);
    expect(delivered.duplicates, 'messages delivered twice').to.deep.equal([]);
    expect(delivered.missing, 'acknowledged messages lost').to.deep.equal([]);

    debug('offline messages read');
    const roster = await rosterItems(server.ports.starttls);
    const lostItems = acknowledged.filter((n) => n % ROSTER_EVERY === 0 && !roster.has(`c${n}@example.net`));
    expect(lostItems, 'acknowledged roster changes lost').to.deep.equal([]);
    await server.kill('SIGTERM');
    server = null;
  });
});
