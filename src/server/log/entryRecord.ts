// How the raft log is kept in WAL records: entries, hard states and snapshot markers, each in the raft
// core's own binary codec. Replaying the records in order rebuilds what raft's storage held.
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMetadata,
  type Entry,
  type HardState,
  type SnapshotMetadata,
} from '../../raft/index.js';
import { CorruptDataError } from '../../mvcc/errors.js';
import type { WalRecord } from '../wal/index.js';

export const RecordType = {
  entry: 1,
  hardState: 2,
  snapshot: 3,
} as const;

export const entryRecord = (e: Entry): WalRecord => ({ type: RecordType.entry, data: encodeEntry(e) });
export const hardStateRecord = (hs: HardState): WalRecord => ({ type: RecordType.hardState, data: encodeHardState(hs) });
export const snapshotRecord = (m: SnapshotMetadata): WalRecord => ({ type: RecordType.snapshot, data: encodeSnapshotMetadata(m) });

export interface ReplayedLog {
  /** The newest snapshot marker at or below the store's applied index (raft's storage starts after it). */
  snapshot: SnapshotMetadata | null;
  /** Entries after the snapshot, later records overwriting earlier ones from the same index on. */
  entries: Entry[];
  /** The record seq each of `entries` was read from (for WAL purging). */
  entrySeqs: number[];
  hardState: HardState | null;
  /** The record seq of `hardState`. */
  hardStateSeq: number | null;
}

/**
 * Rebuilds the log from WAL records. A follower's log may be overwritten from some index on (a new
 * leader's entries replace unreplicated ones), so an entry at index i drops every entry from i on; a
 * snapshot marker beyond the log restarts it (a follower caught up by snapshot). Only markers the
 * store has reached can be used: the store holds the snapshot's data.
 */
export function replayRecords(records: readonly WalRecord[], storeApplied: number, firstRecordSeq = 0): ReplayedLog {
  const markers: SnapshotMetadata[] = [];
  let entries: Entry[] = [];
  let seqs: number[] = [];
  let hardState: HardState | null = null;
  let hardStateSeq: number | null = null;
  const lastIndex = () => (entries.length === 0 ? null : entries[entries.length - 1]!.index);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.type === RecordType.entry) {
      const e = decodeEntry(r.data);
      const last = lastIndex();
      if (last !== null && e.index <= last) {
        const first = entries[0]!.index;
        entries = e.index > first ? entries.slice(0, e.index - first) : [];
        seqs = seqs.slice(0, entries.length);
      } else if (last !== null && e.index !== last + 1) {
        throw new CorruptDataError('failed to read WAL, cannot be repaired', `wal: entry ${e.index} follows ${last}; the log has a gap`);
      }
      entries.push(e);
      seqs.push(firstRecordSeq + i);
    } else if (r.type === RecordType.hardState) {
      hardState = decodeHardState(r.data);
      hardStateSeq = firstRecordSeq + i;
    } else if (r.type === RecordType.snapshot) {
      const m = decodeSnapshotMetadata(r.data);
      markers.push(m);
      const last = lastIndex();
      if (last === null || last < m.index) {
        entries = [];
        seqs = [];
      }
    } else {
      throw new Error(`wal: unknown record type ${r.type}`);
    }
  }
  let snapshot: SnapshotMetadata | null = null;
  for (const m of markers) if (m.index <= storeApplied && (snapshot === null || m.index > snapshot.index)) snapshot = m;
  const base = snapshot?.index ?? 0;
  const skip = entries.findIndex((e) => e.index > base);
  const kept = skip === -1 ? [] : entries.slice(skip);
  const keptSeqs = skip === -1 ? [] : seqs.slice(skip);
  const first = kept[0];
  if (first !== undefined && first.index !== base + 1) {
    throw new CorruptDataError(
      'failed to read WAL, cannot be repaired',
      `wal: the log resumes at index ${first.index}, but the store has applied only ${storeApplied} ` +
        `and the newest usable snapshot is at ${base}: entries in between are missing`,
    );
  }
  return { snapshot, entries: kept, entrySeqs: keptSeqs, hardState, hardStateSeq };
}
