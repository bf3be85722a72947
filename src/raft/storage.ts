// What raft reads from stable storage, and an in-memory implementation of it (used by tests, the
// simulation, and by the server as the cache in front of its WAL, as etcd does).
import { ByteArena } from './byteArena.js';
import {
  type ConfState,
  type Entry,
  EntryType,
  EMPTY_BYTES,
  type HardState,
  type Snapshot,
  emptyHardState,
  emptySnapshot,
  entrySize,
  invariant,
} from './types.js';

export class StorageError extends Error {}

/** The requested index is older than the storage's first index (it was compacted away). */
export class ErrCompacted extends StorageError {
  constructor() {
    super('requested index is unavailable due to compaction');
  }
}

/** The requested index is newer than the storage's last index. */
export class ErrUnavailable extends StorageError {
  constructor() {
    super('requested entry at index is unavailable');
  }
}

export class ErrSnapOutOfDate extends StorageError {
  constructor() {
    super('requested index is older than the existing snapshot');
  }
}

/** Storage is still building a snapshot; raft retries later. */
export class ErrSnapshotTemporarilyUnavailable extends StorageError {
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

export interface InitialState {
  hardState: HardState;
  confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /** Entries in [lo, hi), at least one when any exist, at most maxSize bytes after the first. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

/** Keeps the prefix of `ents` whose total size stays within maxSize, but never fewer than one. */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0] as Entry);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entrySize(ents[limit] as Entry);
    if (size > maxSize) break;
  }
  return limit === ents.length ? ents : ents.slice(0, limit);
}

function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = emptySnapshot();
  // ents[0] is a dummy entry holding the index and term of the latest snapshot.
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES }];
  // The log keeps entries until a snapshot lets it compact them (up to --snapshot-count): their data
  // is copied out of whatever buffer it arrived in.
  private readonly arena = new ByteArena();

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  /**
   * Sets an initial configuration outside the log (for tests that preset a log from index 1).
   * Unsafe for a cluster that admits members later: they replay the log and would not see this
   * configuration. Real clusters bootstrap with RaftNode.bootstrap.
   */
  presetConfState(cs: ConfState): void {
    invariant(this.snap.metadata.index === 0 && this.ents.length === 1, 'bootstrap of a non-empty storage');
    this.snap = { data: EMPTY_BYTES, metadata: { index: 0, term: 0, confState: cloneConfState(cs) } };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  private offset(): number {
    return (this.ents[0] as Entry).index;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new ErrCompacted();
    invariant(hi <= this.lastIndex() + 1, () => `entries hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    if (this.ents.length === 1) throw new ErrUnavailable();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(index: number): number {
    const offset = this.offset();
    if (index < offset) throw new ErrCompacted();
    const e = this.ents[index - offset];
    if (e === undefined) throw new ErrUnavailable();
    return e.term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) throw new ErrSnapOutOfDate();
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: EntryType.EntryNormal, data: EMPTY_BYTES }];
  }

  /** Records a snapshot of the applied state at `index`; the log is left as it is (see compact). */
  createSnapshot(index: number, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw new ErrSnapOutOfDate();
    invariant(index <= this.lastIndex(), () => `snapshot ${index} is out of bound lastindex(${this.lastIndex()})`);
    const term = (this.ents[index - this.offset()] as Entry).term;
    this.snap = {
      data,
      metadata: { index, term, confState: cs ? cloneConfState(cs) : cloneConfState(this.snap.metadata.confState) },
    };
    return this.snap;
  }

  /** Discards entries before `compactIndex`; the entry at compactIndex becomes the dummy. */
  compact(compactIndex: number): void {
    const offset = this.offset();
    if (compactIndex <= offset) throw new ErrCompacted();
    invariant(compactIndex <= this.lastIndex(), () => `compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    const i = compactIndex - offset;
    const head = this.ents[i] as Entry;
    const next: Entry[] = [{ term: head.term, index: head.index, type: EntryType.EntryNormal, data: EMPTY_BYTES }];
    for (let j = i + 1; j < this.ents.length; j++) next.push(this.ents[j] as Entry);
    this.ents = next;
  }

  /** Appends entries, replacing any conflicting suffix. Entries must be contiguous with the log. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const firstNew = (entries[0] as Entry).index;
    const last = firstNew + entries.length - 1;
    if (last < first) return;
    // Entries already compacted away are dropped from the front.
    const fresh = first > firstNew ? entries.slice(first - firstNew) : entries;
    const offset = (fresh[0] as Entry).index - this.offset();
    invariant(offset <= this.ents.length, () => `missing log entry [last: ${this.lastIndex()}, append at: ${(fresh[0] as Entry).index}]`);
    if (offset < this.ents.length) this.ents.length = offset;
    // Large data stays as it came: it is most of whatever buffer holds it (a WAL segment read at
    // restart, a big proposal), and copying it would briefly double what a restart holds.
    for (const e of fresh) this.ents.push(this.arena.packs(e.data.length) ? { ...e, data: this.arena.copy(e.data) } : e);
  }
}
