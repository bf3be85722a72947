// Handlers wait for their proposal to be applied; the applier wakes them by request ID.

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

interface Waiter<T> {
  wake(outcome: Outcome<T>): void;
  /** performance.now() past which the waiter fails with `expired`, or Infinity. */
  deadline: number;
  expired: (() => Error) | null;
}

/**
 * How often deadlines are checked. One sweep for all waiters, not a timer per request: creating and
 * clearing a Timeout for every write was a visible share of a leader's CPU and allocation under load.
 */
const SWEEP_MS = 50;

export class PendingRequests<T> {
  private readonly waiting = new Map<bigint, Waiter<T>>();
  private sweeper: NodeJS.Timeout | null = null;

  /**
   * Waits for `trigger(id)`. With `timeout`, the wait fails with `timeout.error()` once `timeout.ms`
   * have passed (checked every SWEEP_MS, so up to that much later).
   */
  register(id: bigint, timeout?: { ms: number; error: () => Error }): Promise<T> {
    if (this.waiting.has(id)) throw new Error(`invariant: request id ${id} registered twice`);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, {
        wake: (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)),
        deadline: timeout ? performance.now() + timeout.ms : Number.POSITIVE_INFINITY,
        expired: timeout?.error ?? null,
      });
      if (timeout && this.sweeper === null) {
        this.sweeper = setInterval(() => this.expire(), SWEEP_MS);
        this.sweeper.unref();
      }
    });
  }

  /** Returns false when nobody waits (the request came from another member, or was replayed at start). */
  trigger(id: bigint, outcome: Outcome<T>): boolean {
    const waiter = this.waiting.get(id);
    if (!waiter) return false;
    this.waiting.delete(id);
    waiter.wake(outcome);
    return true;
  }

  has(id: bigint): boolean {
    return this.waiting.has(id);
  }

  /** Fails every waiter (shutdown, lost leadership). */
  failAll(error: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    this.stopSweeping();
    for (const w of all) w.wake({ ok: false, error });
  }

  get size(): number {
    return this.waiting.size;
  }

  private expire(): void {
    const now = performance.now();
    const due: Array<[bigint, Waiter<T>]> = [];
    for (const entry of this.waiting) if (entry[1].deadline <= now) due.push(entry);
    for (const [id, w] of due) {
      this.waiting.delete(id);
      w.wake({ ok: false, error: w.expired!() });
    }
    if (this.waiting.size === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
