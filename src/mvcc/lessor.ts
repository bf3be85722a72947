// Lease bookkeeping for the store: which leases exist and which keys each one holds. Time (TTL clocks,
// expiry) belongs to the server; here leases only exist, carry keys and persist.

import type { Lease, LeaseId } from './types.js';

/** etcd's MaxLeaseTTL (lease/lessor.go). */
export const MAX_LEASE_TTL = 9_000_000_000;

interface LeaseEntry {
  lease: Lease;
  /** Keys as latin1 strings (one char per byte, so string order is byte order). */
  keys: Set<string>;
}

export class Lessor {
  private readonly byId = new Map<LeaseId, LeaseEntry>();
  private readonly keyLease = new Map<string, LeaseId>();

  has(id: LeaseId): boolean {
    return this.byId.has(id);
  }

  get(id: LeaseId): Lease | undefined {
    const e = this.byId.get(id);
    return e ? { ...e.lease } : undefined;
  }

  all(): Lease[] {
    return [...this.byId.values()].map((e) => ({ ...e.lease }));
  }

  add(lease: Lease): void {
    if (this.byId.has(lease.id)) throw new Error(`lessor: lease ${lease.id} already exists`);
    this.byId.set(lease.id, { lease: { ...lease }, keys: new Set() });
  }

  /** Forget a lease; its keys must already have been detached (deleted). */
  remove(id: LeaseId): void {
    const e = this.byId.get(id);
    if (!e) throw new Error(`lessor: lease ${id} does not exist`);
    if (e.keys.size !== 0) throw new Error(`lessor: lease ${id} still holds ${e.keys.size} keys`);
    this.byId.delete(id);
  }

  setRemainingTtl(id: LeaseId, remainingTtl: number): Lease | undefined {
    const e = this.byId.get(id);
    if (!e) return undefined;
    e.lease.remainingTtl = remainingTtl;
    return { ...e.lease };
  }

  /** Keys attached to the lease, in byte order (the order etcd revokes them in). */
  keysOf(id: LeaseId): string[] {
    const e = this.byId.get(id);
    return e ? [...e.keys].sort() : [];
  }

  leaseOf(key: string): LeaseId {
    return this.keyLease.get(key) ?? 0n;
  }

  /**
   * Point `key` at lease `id` (0n: none) and return the previous lease, so a txn can undo it. Attaching
   * to a lease that does not exist is skipped, as etcd's restore does.
   */
  setKeyLease(key: string, id: LeaseId): LeaseId {
    const prev = this.keyLease.get(key) ?? 0n;
    if (prev !== 0n) {
      this.byId.get(prev)?.keys.delete(key);
      this.keyLease.delete(key);
    }
    if (id !== 0n) {
      const e = this.byId.get(id);
      if (e) {
        e.keys.add(key);
        this.keyLease.set(key, id);
      }
    }
    return prev;
  }
}
