// Helpers shared by scenarios: logging many users in with bounded concurrency, and reading the server's CPU.
import { BenchClient, type LoginOptions } from '../lib/client.js';
import { cpuSeconds, rssBytes } from '../lib/proc.js';
import { BENCH_PASSWORD, userName, type ServerUnderTest } from '../servers/types.js';

export type LoginTemplate = Omit<LoginOptions, 'username' | 'password'>;

/** Logs in users `from..to` (inclusive) with at most `concurrency` logins in flight. With `closeEach`, each client
 *  closes its stream right after binding (and none is returned). */
export async function loginMany(server: ServerUnderTest, from: number, to: number, opts: LoginTemplate, concurrency: number,
  onLogin?: (ms: number) => void, closeEach = false): Promise<BenchClient[]> {
  const out: BenchClient[] = new Array(to - from + 1);
  let next = from;
  let failure: unknown = null;
  const worker = async () => {
    while (next <= to && failure === null) {
      const i = next++;
      const t0 = performance.now();
      try {
        const c = await BenchClient.login(server.target, { ...opts, username: userName(i), password: BENCH_PASSWORD });
        if (closeEach) c.close();
        else out[i - from] = c;
      } catch (err) {
        failure = err;
        return;
      }
      onLogin?.(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, to - from + 1) }, worker));
  if (failure !== null) {
    for (const c of out) c?.destroy();
    throw failure;
  }
  return closeEach ? [] : out;
}

/** A point-in-time reading of the server process tree. */
export interface Snapshot {
  t: number; // ms
  cpu: number; // s
}

export function snapshot(server: ServerUnderTest): Snapshot {
  return { t: performance.now(), cpu: cpuSeconds(server.pids()) };
}

export function serverRss(server: ServerUnderTest): number {
  return rssBytes(server.pids());
}

/** Waits until the server's CPU use stays below ~5% for `quietMs` (work from a previous phase has drained). */
export async function settle(server: ServerUnderTest, quietMs = 300, maxMs = 5000): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = snapshot(server);
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = snapshot(server);
    if ((now.cpu - last.cpu) * 1000 < quietMs * 0.05) return;
    last = now;
  }
}

export async function closeAll(clients: BenchClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.closeGracefully(3000)));
}
