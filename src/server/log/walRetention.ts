// Which WAL segments a member may delete (etcd's WAL purge, --max-wals).
//
// A restart rebuilds raft's log from the WAL on top of the store (log/entryRecord.ts replayRecords).
// After a snapshot marker at index M, with the store durably applied to at least M, a restart needs
// only: that marker record, the newest record of every entry above M (the log's entries from M+1 on
// were all written after the newest write of entry M+1, since each write of index i drops the log
// from i on), and the newest durable hard state (term and vote must never go back). So the first
// record a restart needs is the oldest of those three, and every segment that ends before it is dead.
// etcd's rule (fileutil.PurgeFile) is applied on top: only when more than --max-wals segment files
// exist (0 keeps all), oldest first, stopping at the first one still needed.
import type { SegmentInfo } from '../wal/index.js';

/** Where, by record seq, the records a restart would need were written. */
export class WalPositions {
  /** Record seq of the newest write of each entry index not yet covered by a snapshot marker. */
  private readonly entrySeqs = new Map<number, number>();
  private lowestIndex = Number.POSITIVE_INFINITY;
  private hardStateSeq: number | null = null;

  /** `count` entries from `firstIndex` were appended as records from `firstSeq` on (at append time). */
  noteEntries(firstIndex: number, firstSeq: number, count: number): void {
    for (let i = 0; i < count; i++) this.entrySeqs.set(firstIndex + i, firstSeq + i);
    if (count > 0) this.lowestIndex = Math.min(this.lowestIndex, firstIndex);
  }

  /**
   * A hard state record at `seq` is durable (fsynced). Noted only once durable: until then the
   * previous one is the newest a crash would leave, and it must stay.
   */
  noteDurableHardState(seq: number): void {
    if (this.hardStateSeq === null || seq > this.hardStateSeq) this.hardStateSeq = seq;
  }

  /** Entries up to `index` are covered by a snapshot marker; their records are no longer needed. */
  forgetThrough(index: number): void {
    if (index - this.lowestIndex > this.entrySeqs.size) {
      // A snapshot far ahead of the log (a follower caught up by snapshot): walk what is tracked.
      for (const i of [...this.entrySeqs.keys()]) if (i <= index) this.entrySeqs.delete(i);
    } else {
      for (let i = this.lowestIndex; i <= index; i++) this.entrySeqs.delete(i);
    }
    this.lowestIndex = Math.max(this.lowestIndex, index + 1);
  }

  /**
   * The first record seq a restart needs, given a durable snapshot marker for index `markerIndex`
   * written at record seq `markerSeq` (and a store durable at or past `markerIndex`).
   */
  keepFrom(markerIndex: number, markerSeq: number): number {
    let keep = markerSeq;
    const next = this.entrySeqs.get(markerIndex + 1);
    if (next !== undefined) keep = Math.min(keep, next);
    if (this.hardStateSeq !== null) keep = Math.min(keep, this.hardStateSeq);
    return keep;
  }
}

/**
 * The segments to delete, oldest first: while more than `maxWals` segments exist (0: never), the
 * oldest one, if every record in it is below `keepFrom`. The last (active) segment is never chosen.
 */
export function purgeableSegments(segments: readonly SegmentInfo[], keepFrom: number, maxWals: number): SegmentInfo[] {
  if (!Number.isSafeInteger(maxWals) || maxWals < 0) throw new RangeError(`wal purge: bad max-wals ${maxWals}`);
  if (maxWals === 0) return [];
  const out: SegmentInfo[] = [];
  for (let i = 0; i + 1 < segments.length && segments.length - out.length > maxWals; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1]!;
    if (next.seq !== seg.seq + 1) throw new Error(`invariant: segment ${seg.seq} is followed by ${next.seq}`);
    // Segment i holds the records [seg.firstRecordSeq, next.firstRecordSeq).
    if (next.firstRecordSeq > keepFrom) break;
    out.push(seg);
  }
  return out;
}
