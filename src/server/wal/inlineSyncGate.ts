// Whether the WAL's next fdatasync may run on the event loop instead of the thread pool.
//
// On a follower, the thread-pool round trip around fdatasync (queue the work, wake a worker, post the
// result back, wake the loop) cost 130–200 µs on top of a 300–500 µs sync on this project's test
// machine, all of it on a one-client write's critical path. Syncing inline saves that, but stops the
// event loop for as long as the disk takes. So it is allowed only while syncs are fast on average:
// a moving average (weight 1/8, like TCP's smoothed RTT) over every sync's time, inline or not. A
// thread-pool sync's time includes waiting for the loop to take the result back, so a busy loop keeps
// its syncs in the thread pool too. One slow sync among fast ones sends only the next few away.

export const DEFAULT_INLINE_SYNC_BUDGET_MS = 2;
const WEIGHT = 1 / 8;

export class InlineSyncGate {
  private averageMs = 0;

  constructor(private readonly budgetMs = DEFAULT_INLINE_SYNC_BUDGET_MS) {}

  allowed(): boolean {
    return this.averageMs <= this.budgetMs;
  }

  /** Notes how long a sync took. */
  observe(ms: number): void {
    this.averageMs += (ms - this.averageMs) * WEIGHT;
  }
}
