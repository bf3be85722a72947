// Whether the WAL's next fdatasync may run on the event loop instead of the thread pool.
//
// On a follower, the thread-pool round trip around fdatasync (queue the work, wake a worker, post the
// result back, wake the loop) cost 130–200 µs on top of a 300–500 µs sync on this project's test
// machine, all of it on a one-client write's critical path. Syncing inline saves that, but stops the
// event loop for as long as the disk takes. So it is allowed only while syncs are fast: one sync over
// the budget (a slow disk, or a loop too busy to take the result back promptly) sends every sync to
// the thread pool for a while.

export const DEFAULT_INLINE_SYNC_BUDGET_MS = 5;
export const DEFAULT_INLINE_SYNC_PAUSE_MS = 10_000;

export class InlineSyncGate {
  private pausedUntil = 0;

  constructor(
    private readonly budgetMs = DEFAULT_INLINE_SYNC_BUDGET_MS,
    private readonly pauseMs = DEFAULT_INLINE_SYNC_PAUSE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  allowed(): boolean {
    return this.now() >= this.pausedUntil;
  }

  /** Notes how long a sync took, inline or not (a thread-pool sync's time includes the way back). */
  observe(ms: number): void {
    if (ms > this.budgetMs) this.pausedUntil = this.now() + this.pauseMs;
  }
}
