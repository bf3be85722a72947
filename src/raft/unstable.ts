// Entries and an incoming snapshot that raft holds but the application has not persisted yet.
// entries[i] has index offset + i.
import { type Entry, type Snapshot, invariant } from './types.js';

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.metadata.index : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return (this.entries[i - this.offset] as Entry).term;
  }

  /** The application persisted entries up to (i, t); forget them unless they were replaced since. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || i < this.offset) return;
    if (gt === t) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = i + 1;
    }
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: Entry[]): void {
    if (ents.length === 0) return;
    const after = (ents[0] as Entry).index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // The log is replaced from before our first unstable entry.
      this.offset = after;
      this.entries = [...ents];
    } else {
      const kept = this.entries.slice(0, after - this.offset);
      for (const e of ents) kept.push(e);
      this.entries = kept;
    }
  }

  slice(lo: number, hi: number): Entry[] {
    invariant(lo <= hi && lo >= this.offset && hi <= this.offset + this.entries.length,
      () => `unstable.slice[${lo},${hi}) out of bound [${this.offset},${this.offset + this.entries.length}]`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
