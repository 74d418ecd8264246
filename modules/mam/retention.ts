// The server-wide retention: a periodic sweep deletes archived messages older than `retentionDays`. The store
// deletes in chunks and yields to the event loop between them, so a big sweep never blocks stanzas for long.
import type { ArchiveStore, ModuleContext } from './types.js';

const DAY_MS = 86_400_000;

export function scheduleRetention(ctx: ModuleContext<unknown>, store: ArchiveStore, o: { retentionDays: number; expireIntervalMinutes: number }): void {
  if (o.retentionDays <= 0) return;
  let running = false;
  const sweep = (): void => {
    if (running) return;
    running = true;
    const before = Date.now() - o.retentionDays * DAY_MS;
    store.deleteOlderThan(before)
      .then((n) => { if (n > 0) ctx.log.info({ deleted: n, retentionDays: o.retentionDays }, 'expired archived messages'); })
      .catch((err: unknown) => ctx.log.error({ err }, 'archive expiry failed'))
      .finally(() => { running = false; });
  };
  ctx.timer(Math.min(10_000, o.expireIntervalMinutes * 60_000), sweep);
  ctx.timer(o.expireIntervalMinutes * 60_000, sweep, { repeat: true });
}
