// The time half of etcd's lessor. Lease records (ID, TTL, attached keys) are replicated state and live
// in the store; when each lease expires is local knowledge of the member that is leader, so it lives
// here, driven by an injected clock. Only the leader revokes: it proposes a LeaseRevoke for each
// expired lease, and the revoke is applied like any other write.

export interface LeaseTimes {
  id: bigint;
  ttl: number;
  /** Set by lease checkpoints: the TTL left when the last checkpoint was taken (0 = none). */
  remainingTtl: number;
}

export class LeaseClock {
  private readonly expiryMs = new Map<bigint, number>();
  private readonly ttlOf = new Map<bigint, number>();

  constructor(
    private readonly nowMs: () => number,
    /** etcd: ceil(1.5 × election timeout), 2 s with the default flags. */
    readonly minTtl: number,
  ) {}

  /** The TTL a lease is really granted: etcd raises anything below the minimum to the minimum. */
  effectiveTtl(requested: number): number {
    return Math.max(requested, this.minTtl);
  }

  start(lease: LeaseTimes): void {
    const ttl = lease.remainingTtl > 0 ? lease.remainingTtl : lease.ttl;
    this.ttlOf.set(lease.id, lease.ttl);
    this.expiryMs.set(lease.id, this.nowMs() + ttl * 1000);
  }

  /** Renews an unexpired lease to its full TTL and returns that TTL; undefined if unknown or expired. */
  renew(id: bigint): number | undefined {
    const ttl = this.ttlOf.get(id);
    const expiry = this.expiryMs.get(id);
    if (ttl === undefined || expiry === undefined || expiry <= this.nowMs()) return undefined;
    this.expiryMs.set(id, this.nowMs() + ttl * 1000);
    return ttl;
  }

  forget(id: bigint): void {
    this.expiryMs.delete(id);
    this.ttlOf.delete(id);
  }

  /** Seconds left, truncated as etcd's TimeToLive reports it; undefined if unknown. */
  remainingSeconds(id: bigint): number | undefined {
    const expiry = this.expiryMs.get(id);
    if (expiry === undefined) return undefined;
    return Math.max(0, Math.trunc((expiry - this.nowMs()) / 1000));
  }

  /** Up to `limit` leases whose time is up, soonest first. */
  expired(limit: number): bigint[] {
    const now = this.nowMs();
    const due: Array<[bigint, number]> = [];
    for (const [id, expiry] of this.expiryMs) if (expiry <= now) due.push([id, expiry]);
    due.sort((a, b) => a[1] - b[1]);
    return due.slice(0, limit).map(([id]) => id);
  }

  /** Pushes every expiry at least `extraMs` into the future (a new leader must not revoke at once). */
  extendAll(extraMs: number): void {
    const floor = this.nowMs() + extraMs;
    for (const [id, expiry] of this.expiryMs) if (expiry < floor) this.expiryMs.set(id, floor);
  }

  get size(): number {
    return this.expiryMs.size;
  }
}
