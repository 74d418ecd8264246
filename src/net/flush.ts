// Output coalescing for every transport: a stream's writes are collected and handed to the kernel once per event
// loop iteration (in the check phase, after all ready sockets have been read), not once per input chunk. When many
// peers talk at once (a busy room, a chat burst) a recipient gets one send syscall for everything addressed to it
// in that iteration; on loopback and LANs the syscall is the largest cost of a delivery (bench/RESULTS.md).

export interface Flushable {
  flush(): void;
}

let pending: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  // Flushes may schedule more output (a write error closing a stream writes nothing, but keep it safe): those go
  // into a fresh list and a fresh check-phase callback.
  const batch = pending;
  pending = [];
  scheduled = false;
  for (let i = 0; i < batch.length; i++) batch[i]!.flush();
}

/** Asks for `t.flush()` at the end of this event loop iteration. Call once per batch (when the buffer was empty). */
export function scheduleFlush(t: Flushable): void {
  pending.push(t);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
