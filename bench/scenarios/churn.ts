// churn: chat throughput and server memory, then C login/logout cycles (each a full SCRAM login, bind, presence,
// close), then the same chat again. Throughput and RSS must not degrade (leaks, growing tables, slow GC).
import { loginMany, serverRss, settle, snapshot } from './common.js';
import { saturate, setupPairs } from './chat.js';
import { metric, type Metric, type Scenario, type ScenarioContext } from './types.js';

export const churn: Scenario = {
  name: 'churn',
  description: 'login/logout cycles between two chat measurements',
  users: (p) => Math.max(2 * p.chat.pairs, Math.min(p.churn.cycles, p.login.users)),
  async run(ctx: ScenarioContext): Promise<Metric[]> {
    const { cycles, concurrency, chatSeconds } = ctx.params.churn;
    const chatP = ctx.params.chat;
    const pool = Math.max(1, Math.min(cycles, ctx.params.login.users));
    const measureChat = async () => {
      const cp = await setupPairs(ctx.server, chatP.pairs);
      await settle(ctx.server);
      const r = await saturate(ctx.server, cp, chatP, chatSeconds);
      await Promise.all(cp.clients.map((c) => c.closeGracefully(3000)));
      return r;
    };
    const before = await measureChat();
    await settle(ctx.server);
    const rss0 = serverRss(ctx.server);
    const a = snapshot(ctx.server);
    // Cycle through the account pool; each round logs every account of the pool in and out once.
    for (let done = 0; done < cycles; done += pool) {
      const n = Math.min(pool, cycles - done);
      await loginMany(ctx.server, 1, n, { resource: 'churn', presence: true }, concurrency, undefined, true);
    }
    const b = snapshot(ctx.server);
    await settle(ctx.server);
    const rss1 = serverRss(ctx.server);
    const after = await measureChat();
    const ratio = after.rate / before.rate;
    // Throughput in a few seconds' window moves with background load on a shared machine; CPU per message does not.
    const cpuRatio = after.cpuUs / before.cpuUs;
    const cyclesPerSec = (cycles * 1000) / (b.t - a.t);
    const growKb = (rss1 - rss0) / 1024;
    ctx.log(`churn: chat ${before.rate.toFixed(0)} -> ${after.rate.toFixed(0)} msgs/s (x${ratio.toFixed(2)}), CPU/msg ${before.cpuUs.toFixed(1)} -> ${after.cpuUs.toFixed(1)} µs (x${cpuRatio.toFixed(2)}), ${cycles} cycles at ${cyclesPerSec.toFixed(0)}/s, RSS ${(rss0 / 1048576).toFixed(1)} -> ${(rss1 / 1048576).toFixed(1)} MB`);
    return [
      metric('churn.chat.after', 'chat msgs/s after churn', after.rate, '/s', 'higher'),
      metric('churn.chat.ratio', 'chat msgs/s after / before churn', ratio, 'x', 'higher'),
      metric('churn.cpu.ratio', 'CPU per message after / before churn', cpuRatio, 'x', 'lower'),
      metric('churn.cycles', 'login/logout cycles/s', cyclesPerSec, '/s', 'higher'),
      metric('churn.rss.growth', 'RSS growth over the cycles', growKb, 'KB', 'lower'),
    ];
  },
};
