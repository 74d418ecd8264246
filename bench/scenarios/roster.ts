// roster: login of a user whose roster has `items` contacts while `online` of them are online and subscribed to
// (their presence is probed and delivered at login). Measures the time from connecting to having both the full roster
// and every online contact's presence, and the server CPU per such login.
//
// The roster lives in accounts after every other scenario's range, so other scenarios are not affected by it. It is
// built once per server through XMPP itself (roster sets, then a subscribe / subscribed exchange with each contact that
// is to be online), and found again in later repetitions (the data directory persists).
import type { BenchClient } from '../lib/client.js';
import { attr } from '../lib/xmlscan.js';
import { userName, BENCH_DOMAIN } from '../servers/types.js';
import { closeAll, loginMany, settle, snapshot } from './common.js';
import { metric, type BenchParams, type Metric, type Scenario, type ScenarioContext } from './types.js';

const NS_ROSTER = 'jabber:iq:roster';

function base(p: BenchParams): number {
  return Math.max(p.login.users, 2 * p.chat.pairs, ...p.idle.sizes, Math.min(p.churn.cycles, p.login.users));
}

function jidOf(i: number): string {
  return `${userName(i)}@${BENCH_DOMAIN}`;
}

/** Sends IQs with at most `window` outstanding; resolves when all results arrived (rejects on an error result). */
async function pipelineIqs(c: BenchClient, iqs: string[], window = 50): Promise<void> {
  let next = 0;
  let outstanding = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (outstanding < window && next < iqs.length) {
        outstanding++;
        c.queue(iqs[next++]!);
      }
      if (outstanding === 0 && next >= iqs.length) resolve();
    };
    c.onStanza = (raw) => {
      if (!raw.startsWith('<iq')) return;
      const type = attr(raw, 'type');
      if (type === 'error') {
        reject(new Error(`roster setup failed: ${raw.slice(0, 300)}`));
        return;
      }
      if (type === 'result' && attr(raw, 'id')?.startsWith('bench-')) {
        outstanding--;
        pump();
      }
    };
    pump();
  });
  c.onStanza = null;
}

async function rosterSize(c: BenchClient): Promise<number> {
  c.send(`<iq type='get' id='bench-get'><query xmlns='${NS_ROSTER}'/></iq>`);
  const res = await c.expect(/^<iq[^>]*id=['"]bench-get['"]/, 30_000);
  return (res.match(/<item\s/g) ?? []).length;
}

async function setUp(ctx: ScenarioContext, owner: number, first: number): Promise<void> {
  const { items, online } = ctx.params.roster;
  const o = await loginMany(ctx.server, owner, owner, { resource: 'setup' }, 1);
  const oc = o[0]!;
  try {
    if (await rosterSize(oc) >= items) return;
    ctx.log(`roster: building a ${items}-item roster for ${jidOf(owner)} (once per server)`);
    const sets: string[] = [];
    for (let k = 0; k < items; k++) {
      sets.push(`<iq type='set' id='bench-${k}'><query xmlns='${NS_ROSTER}'><item jid='${jidOf(first + k)}' name='Contact ${k}'><group>Bench</group></item></query></iq>`);
    }
    await pipelineIqs(oc, sets);
    // Subscriptions to the contacts that will be online: the owner asks, each contact (online) approves.
    oc.send('<presence/>');
    for (let k = 0; k < online; k += 50) {
      const from = first + k;
      const to = first + Math.min(online, k + 50) - 1;
      const contacts = await loginMany(ctx.server, from, to, { resource: 'setup', presence: true }, 50);
      await Promise.all(contacts.map(async (c) => {
        const asked = c.expect(/^<presence[^>]*type=['"]subscribe['"]/, 30_000);
        oc.send(`<presence to='${c.jid.split('/')[0]}' type='subscribe'/>`);
        await asked;
        c.send(`<presence to='${jidOf(owner)}' type='subscribed'/>`);
      }));
      // The owner sees each contact's presence once the subscription is approved.
      await closeAll(contacts);
    }
  } finally {
    await oc.closeGracefully();
  }
}

/** One login of the owner: connect, authenticate, bind, ask for the roster, send presence; done when the roster and
 *  a presence from every online contact arrived. */
async function rosterLogin(ctx: ScenarioContext, owner: number, onlineJids: Set<string>): Promise<{ ms: number; client: BenchClient }> {
  const { items } = ctx.params.roster;
  const t0 = performance.now();
  const [c] = await loginMany(ctx.server, owner, owner, { resource: 'bench' }, 1);
  const client = c!;
  const seen = new Set<string>();
  let rosterItems = -1;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`roster login incomplete: roster ${rosterItems}/${items}, presences ${seen.size}/${onlineJids.size}`)), 30_000);
    client.onStanza = (raw) => {
      if (raw.startsWith('<iq') && /id=['"]bench-roster['"]/.test(raw)) rosterItems = (raw.match(/<item\s/g) ?? []).length;
      else if (raw.startsWith('<presence') && attr(raw, 'type') === undefined) {
        const from = (attr(raw, 'from') ?? '').split('/')[0]!;
        if (onlineJids.has(from)) seen.add(from);
      }
      if (rosterItems >= items && seen.size >= onlineJids.size) {
        clearTimeout(timer);
        resolve();
      }
    };
    client.queue(`<iq type='get' id='bench-roster'><query xmlns='${NS_ROSTER}'/></iq>`);
    client.queue('<presence/>');
  });
  client.onStanza = null;
  return { ms: performance.now() - t0, client };
}

export const roster: Scenario = {
  name: 'roster',
  description: 'login with a large roster and presence from online contacts',
  users: (p) => base(p) + 1 + p.roster.items,
  skip: (ctx) => (ctx.server.hasRoster ? null : 'no roster/presence module in this build'),
  async run(ctx: ScenarioContext): Promise<Metric[]> {
    const { online, logins } = ctx.params.roster;
    const owner = base(ctx.params) + 1;
    const first = owner + 1;
    await setUp(ctx, owner, first);
    const contacts = await loginMany(ctx.server, first, first + online - 1, { resource: 'bench', presence: true }, 50);
    const onlineJids = new Set(contacts.map((c) => c.jid.split('/')[0]!));
    try {
      const times: number[] = [];
      let cpu = 0;
      for (let k = 0; k < logins; k++) {
        await settle(ctx.server);
        const a = snapshot(ctx.server);
        const { ms, client } = await rosterLogin(ctx, owner, onlineJids);
        const b = snapshot(ctx.server);
        times.push(ms);
        cpu += b.cpu - a.cpu;
        await client.closeGracefully();
      }
      times.sort((x, y) => x - y);
      const med = times[times.length >> 1]!;
      const cpuMs = (cpu * 1000) / logins;
      ctx.log(`roster login (${ctx.params.roster.items} items, ${online} online): ${med.toFixed(1)} ms, ${cpuMs.toFixed(1)} ms CPU`);
      return [
        metric('roster.login', `login with ${ctx.params.roster.items}-item roster, ${online} online`, med, 'ms', 'lower'),
        metric('roster.cpu', 'server CPU per roster login', cpuMs, 'ms', 'lower'),
      ];
    } finally {
      await closeAll(contacts);
    }
  },
};
