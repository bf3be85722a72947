// Handlers wait for their proposal to be applied; the applier wakes them by request ID.

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

export class PendingRequests<T> {
  private readonly waiting = new Map<bigint, (outcome: Outcome<T>) => void>();

  register(id: bigint): Promise<T> {
    if (this.waiting.has(id)) throw new Error(`invariant: request id ${id} registered twice`);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)));
    });
  }

  /** Returns false when nobody waits (the request came from another member, or was replayed at start). */
  trigger(id: bigint, outcome: Outcome<T>): boolean {
    const wake = this.waiting.get(id);
    if (!wake) return false;
    this.waiting.delete(id);
    wake(outcome);
    return true;
  }

  has(id: bigint): boolean {
    return this.waiting.has(id);
  }

  /** Fails every waiter (shutdown, lost leadership). */
  failAll(error: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const wake of all) wake({ ok: false, error });
  }

  get size(): number {
    return this.waiting.size;
  }
}
