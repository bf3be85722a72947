// Unique request and lease IDs, generated as etcd's idutil.Generator does: the low 16 bits of the
// member ID in the top 16 bits, then 40 bits of the start time in milliseconds, then an 8-bit counter
// that carries into the time bits. IDs from different members never collide, and a restarted member
// starts from a later time, so it does not reuse IDs either.

const SUFFIX_BITS = 48n;
const COUNTER_BITS = 8n;
const TIME_BITS = 40n;
const mask = (bits: bigint) => (1n << bits) - 1n;

export class RequestIdGenerator {
  private readonly prefix: bigint;
  private suffix: bigint;

  constructor(memberId: bigint, nowMs: number) {
    this.prefix = (memberId & mask(16n)) << SUFFIX_BITS;
    this.suffix = (BigInt(Math.floor(nowMs)) & mask(TIME_BITS)) << COUNTER_BITS;
  }

  next(): bigint {
    this.suffix = (this.suffix + 1n) & mask(SUFFIX_BITS);
    return this.prefix | this.suffix;
  }

  /** Lease IDs are int64 and must be positive: etcd clears the sign bit. */
  nextLeaseId(): bigint {
    return this.next() & mask(63n);
  }
}
