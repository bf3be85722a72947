// A seeded, virtual-time network: every message goes through the codec (as on a real wire), and
// may be dropped, duplicated, delayed (so reordered) or cut by a partition.
import { type Message, MessageType, type SeededRng, decodeMessage, encodeMessage } from '../../../src/raft/index.js';

export interface NetworkConditions {
  dropRate: number;
  dupRate: number;
  minDelay: number;
  maxDelay: number;
}

export const CALM: NetworkConditions = { dropRate: 0, dupRate: 0, minDelay: 1, maxDelay: 4 };

interface InFlight {
  from: bigint;
  to: bigint;
  bytes: Uint8Array;
}

export class SimNetwork {
  private readonly buckets = new Map<number, InFlight[]>();
  /** Partition group of each node; nodes in different groups cannot talk. Empty = fully connected. */
  private groups = new Map<bigint, number>();
  conditions: NetworkConditions;
  delivered = 0;
  dropped = 0;

  constructor(private readonly rng: SeededRng, conditions: NetworkConditions) {
    this.conditions = conditions;
  }

  setPartition(groups: bigint[][]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((id) => this.groups.set(id, i)));
  }

  heal(): void {
    this.groups = new Map();
  }

  partitioned(): boolean {
    return this.groups.size > 0;
  }

  connected(a: bigint, b: bigint): boolean {
    // A node outside every group (e.g. added later) is on the majority side: group 0.
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }

  /** Snapshots that were lost; the sender's transport reports them failed (as etcd's does). */
  readonly lostSnapshots: { from: bigint; to: bigint }[] = [];

  send(m: Message, now: number): void {
    const c = this.conditions;
    if (this.rng.chance(c.dropRate)) {
      this.dropped++;
      if (m.type === MessageType.MsgSnap) this.lostSnapshots.push({ from: m.from, to: m.to });
      return;
    }
    const bytes = encodeMessage(m);
    const copies = this.rng.chance(c.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = now + c.minDelay + this.rng.intn(c.maxDelay - c.minDelay + 1);
      let bucket = this.buckets.get(at);
      if (!bucket) {
        bucket = [];
        this.buckets.set(at, bucket);
      }
      bucket.push({ from: m.from, to: m.to, bytes });
    }
  }

  /** Messages arriving at `now` across connected links, decoded afresh. */
  take(now: number): Message[] {
    const bucket = this.buckets.get(now);
    if (!bucket) return [];
    this.buckets.delete(now);
    const out: Message[] = [];
    for (const f of bucket) {
      const m = decodeMessage(f.bytes);
      if (!this.connected(f.from, f.to)) {
        this.dropped++;
        if (m.type === MessageType.MsgSnap) this.lostSnapshots.push({ from: f.from, to: f.to });
        continue;
      }
      out.push(m);
    }
    this.delivered += out.length;
    return out;
  }

  inFlight(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.length;
    return n;
  }
}
