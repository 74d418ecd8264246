// Bulk account creation on the anchors through XEP-0077 in-band registration over loopback, many in parallel.
// This is the fastest correct way that works for both: `ejabberdctl register` boots an Erlang VM per call (about
// a second per account), `prosodyctl adduser` a Lua process per call; registration goes through each server's own
// account code, so the stored SCRAM keys are exactly what the server itself would write.
import { BenchClient, type ServerTarget } from '../lib/client.js';
import { BENCH_PASSWORD, userName } from './types.js';

export async function registerUsers(target: ServerTarget, users: number, concurrency = 32): Promise<void> {
  let next = 1;
  const worker = async () => {
    while (next <= users) {
      const i = next++;
      await BenchClient.register(target, userName(i), BENCH_PASSWORD);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
