// The two MAM measurements: chat saturation (to compare archiving off and on) and the latency of 50-message
// pages from a big archive, one query in flight at a time.
import { BenchClient } from '../lib/client.js';
import { Samples } from '../lib/stats.js';
import { closeAll, loginMany, settle, snapshot } from '../scenarios/common.js';
import { saturate, setupPairs } from '../scenarios/chat.js';
import type { BenchParams } from '../scenarios/types.js';
import type { ServerUnderTest } from '../servers/types.js';
import { itemId, type SeedShape } from './seed.js';

export async function chatRate(server: ServerUnderTest, p: BenchParams['chat']): Promise<{ rate: number; cpuUs: number }> {
  const cp = await setupPairs(server, p.pairs);
  try {
    await settle(server);
    const r = await saturate(server, cp, p);
    if (r.errors > 0) throw new Error(`${r.errors} chat messages came back as errors`);
    return { rate: r.rate, cpuUs: r.cpuUs };
  } finally {
    await closeAll(cp.clients);
  }
}

export interface PageResult {
  p50: number;
  p99: number;
  cpuUs: number;
  queries: number;
}

const RSM = 'http://jabber.org/protocol/rsm';

/**
 * `queries` MAM queries for 50-message pages, alternating the newest page (<before/>) and a page after a random
 * item, from `clients` users picked across the archive; each waits for its <fin/> before the next is sent.
 */
export async function pageLatency(server: ServerUnderTest, shape: SeedShape, queries: number, clients = 20): Promise<PageResult> {
  const step = Math.max(1, Math.floor(shape.users / clients));
  const users: number[] = [];
  for (let u = 1; u <= shape.users && users.length < clients; u += step) users.push(u);
  const cs: BenchClient[] = [];
  for (const u of users) cs.push(...await loginMany(server, u, u, { resource: 'mam' }, 1));
  try {
    await settle(server);
    const lat = new Samples();
    const a = snapshot(server);
    for (let q = 0; q < queries; q++) {
      const k = q % cs.length;
      const c = cs[k]!;
      const u = users[k]!;
      const id = `mq${q}`;
      const rsm = q % 2 === 0
        ? `<set xmlns='${RSM}'><max>50</max><before/></set>`
        : `<set xmlns='${RSM}'><max>50</max><after>${itemId(u, Math.floor(Math.random() * Math.max(1, shape.perUser - 60)))}</after></set>`;
      let results = 0;
      const done = new Promise<void>((resolve, reject) => {
        c.onStanza = (raw) => {
          if (raw.startsWith('<message')) results++;
          else if (raw.startsWith('<iq')) {
            if (/type=["']error["']/.test(raw)) reject(new Error(`MAM query failed: ${raw.slice(0, 300)}`));
            else resolve();
          }
        };
      });
      const t0 = performance.now();
      c.send(`<iq type='set' id='${id}'><query xmlns='urn:xmpp:mam:2' queryid='${id}'>${rsm}</query></iq>`);
      await done;
      lat.add(performance.now() - t0);
      if (results !== 50) throw new Error(`query ${q} returned ${results} messages, not 50`);
    }
    const b = snapshot(server);
    for (const c of cs) c.onStanza = null;
    return { p50: lat.p(50), p99: lat.p(99), cpuUs: ((b.cpu - a.cpu) * 1e6) / queries, queries };
  } finally {
    await closeAll(cs);
  }
}
