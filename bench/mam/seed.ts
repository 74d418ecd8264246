// Fills a server's archive directly in its database, the server stopped: `users` accounts with `perUser` messages
// each, alternating sent and received with a handful of peers, spread over the last 30 days. Ids are deterministic
// (`u<user>-<n>`) so the query phase can page from known items. Starling's rows go through its storage API
// (ArchiveStore.appendMany, one transaction per batch); Prosody's straight into its SQL table, the way its
// mod_storage_sql writes them (tostring(stanza), type 'xml', "when" in seconds).
import Database from 'better-sqlite3';
import { openStorage } from '../../src/storage/index.js';
import { BENCH_DOMAIN, userName } from '../servers/types.js';

const BODY = 'Hey, are we still on for the review at three? I pushed the last changes to the branch.';
const DAY_MS = 86_400_000;

export interface SeedShape {
  users: number;
  perUser: number;
}

export const itemId = (user: number, n: number): string => `u${user}-${n}`;

interface Row { user: string; id: string; when: number; with: string; xml: string }

/** The rows of one user, oldest first. */
function* rowsOf(u: number, perUser: number, now: number): Generator<Row> {
  const me = `${userName(u)}@${BENCH_DOMAIN}`;
  const t0 = now - 30 * DAY_MS;
  for (let n = 0; n < perUser; n++) {
    const peerNo = ((u + 1 + (n % 7)) % 1000) + 1;
    const peer = `${userName(peerNo)}@${BENCH_DOMAIN}`;
    const out = n % 2 === 0;
    const from = out ? `${me}/bench` : `${peer}/bench`;
    const to = out ? peer : `${me}/bench`;
    const id = itemId(u, n);
    const xml = `<message xmlns="jabber:client" from="${from}" to="${to}" type="chat" id="${id}"><body>${BODY}</body>`
      + `<active xmlns="http://jabber.org/protocol/chatstates"/><origin-id xmlns="urn:xmpp:sid:0" id="${id}"/></message>`;
    yield { user: userName(u), id, when: t0 + Math.floor((n * 30 * DAY_MS) / perUser), with: peer, xml };
  }
}

/** Interleaves users so that rows of one user are spread over the table, as in a real archive. */
function* allRows(shape: SeedShape, now: number): Generator<Row> {
  const gens = Array.from({ length: shape.users }, (_, i) => rowsOf(i + 1, shape.perUser, now));
  for (let n = 0; n < shape.perUser; n++) {
    for (const g of gens) {
      const r = g.next();
      if (!r.done) yield r.value;
    }
  }
}

export async function seedStarling(dbPath: string, shape: SeedShape, log: (m: string) => void): Promise<void> {
  const storage = await openStorage({ driver: 'sqlite', path: dbPath });
  try {
    const store = storage.open(BENCH_DOMAIN, 'mam', 'archive');
    // Seeded before (the data directory is reused): the last row is there.
    if ((await store.find(userName(shape.users), { ids: [itemId(shape.users, shape.perUser - 1)] })).items.length > 0) return;
    const t0 = performance.now();
    let batch: Row[] = [];
    let done = 0;
    for (const r of allRows(shape, Date.now())) {
      batch.push(r);
      if (batch.length === 10_000) {
        await store.appendMany(batch.map((b) => ({ ...b, kind: 'chat' })));
        done += batch.length;
        batch = [];
        if (done % 200_000 === 0) log(`starling: ${done} rows seeded`);
      }
    }
    if (batch.length) await store.appendMany(batch.map((b) => ({ ...b, kind: 'chat' })));
    log(`starling: seeded ${shape.users * shape.perUser} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await storage.close();
  }
}

export function seedProsody(dbPath: string, shape: SeedShape, log: (m: string) => void): void {
  const db = new Database(dbPath);
  try {
    db.pragma('journal_mode = WAL');
    const seeded = db.prepare(`SELECT 1 FROM prosodyarchive WHERE host = ? AND user = ? AND store = 'archive' AND key = ?`)
      .get(BENCH_DOMAIN, userName(shape.users), itemId(shape.users, shape.perUser - 1));
    if (seeded) return;
    const t0 = performance.now();
    const ins = db.prepare(`INSERT INTO prosodyarchive ("host", "user", "store", "when", "with", "key", "type", "value") VALUES (?, ?, 'archive', ?, ?, ?, 'xml', ?)`);
    const tx = db.transaction((rows: Row[]) => {
      for (const r of rows) ins.run(BENCH_DOMAIN, r.user, Math.floor(r.when / 1000), r.with, r.id, r.xml.replace(/"/g, "'"));
    });
    let batch: Row[] = [];
    for (const r of allRows(shape, Date.now())) {
      batch.push(r);
      if (batch.length === 10_000) {
        tx(batch);
        batch = [];
      }
    }
    if (batch.length) tx(batch);
    log(`prosody: seeded ${shape.users * shape.perUser} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    db.close();
  }
}
