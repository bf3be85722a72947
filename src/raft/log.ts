// The raft log: stable entries in Storage followed by unstable ones, plus the commit and apply cursors.
import { ErrCompacted, ErrUnavailable, type Storage, limitSize } from './storage.js';
import { type Entry, type Snapshot, invariant } from './types.js';
import { Unstable } from './unstable.js';

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index the application has applied. Invariant: applied <= committed. */
  applied: number;
  private readonly maxApplyingSize: number;

  constructor(storage: Storage, maxApplyingSize: number) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
    this.maxApplyingSize = maxApplyingSize;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of entry i, or undefined when i is compacted away or beyond the log. */
  term(i: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof ErrCompacted || e instanceof ErrUnavailable) return undefined;
      throw e;
    }
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    invariant(t !== undefined, 'term of the last index must be known');
    return t;
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends ents after (index, logTerm) when that entry matches. Returns the index of the last new
   * entry, or undefined when the log does not contain (index, logTerm).
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      invariant(ci > this.committed, () => `entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      const offset = index + 1;
      invariant(ci - offset <= ents.length, 'conflict index out of range');
      this.append(ents.slice(ci - offset));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Called after entries are appended (possibly replacing a suffix from ents[0].index on). */
  onAppend: ((ents: Entry[]) => void) | undefined = undefined;

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = (ents[0] as Entry).index - 1;
    invariant(after >= this.committed, () => `after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    this.onAppend?.(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry in ents that is not already in the log with the same term (a conflict
   * or a new entry), or 0 when all of them are present.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= index whose term is <= term (or the first unknown index). Lets a follower
   * skip a whole term of conflicting entries in one rejection (fast backtracking).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; ; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined && this.unstable.snapshot.metadata.index !== 0;
  }

  /** Committed entries not yet applied, bounded by maxApplyingSize. Empty while a snapshot is pending. */
  nextCommittedEntries(): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingSize);
  }

  hasNextCommittedEntries(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  snapshot(): Snapshot {
    if (this.unstable.snapshot) return this.unstable.snapshot;
    return this.storage.snapshot();
  }

  commitTo(toCommit: number): void {
    if (toCommit > this.committed) {
      invariant(this.lastIndex() >= toCommit,
        () => `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`);
      this.committed = toCommit;
    }
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    invariant(this.committed >= i && i >= this.applied,
      () => `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  maybeCommit(maxIndex: number, term: number): boolean {
    // Only entries of the current term are committed by counting replicas (Raft §5.4.2).
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries from lo to the end of the log (bounded by maxSize); throws ErrCompacted if lo is gone. */
  entriesFrom(lo: number, maxSize: number): Entry[] {
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxSize);
  }

  /** Entries in [lo, hi), at most maxSize bytes (but at least one). Throws ErrCompacted if lo is gone. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.mustCheckOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    if (lo < this.unstable.offset) {
      const stored = this.storage.entries(lo, Math.min(hi, this.unstable.offset), maxSize);
      // Storage returned fewer entries than asked for: the size limit was hit.
      if (stored.length < Math.min(hi, this.unstable.offset) - lo) return stored;
      ents = stored;
    }
    if (hi > this.unstable.offset) {
      const fresh = this.unstable.slice(Math.max(lo, this.unstable.offset), hi);
      ents = ents.length > 0 ? ents.concat(fresh) : fresh;
    }
    return limitSize(ents, maxSize);
  }

  private mustCheckOutOfBounds(lo: number, hi: number): void {
    invariant(lo <= hi, () => `invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new ErrCompacted();
    const length = this.lastIndex() + 1 - fi;
    invariant(hi <= fi + length, () => `slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
  }
}
