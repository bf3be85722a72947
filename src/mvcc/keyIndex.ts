// A key's history as etcd keeps it (server/mvcc/key_index.go): generations of revisions, each ended by
// a tombstone, with the last generation open (possibly empty). `latest` holds the key's live value so
// reads and txn compares at the current revision need no disk access.

import { compareRevision, revisionId, type Revision } from './revision.js';
import type { KeyValue } from './types.js';

export interface Generation {
  /** Create revision of the generation (the first put). */
  created: Revision;
  /** Number of puts (and the closing tombstone) ever made in it, including compacted ones. */
  ver: number;
  revs: Revision[];
}

export interface IndexGet {
  modified: Revision;
  created: Revision;
  ver: number;
}

/** KeyIndex.mark(): the generation count and the last generation's fields, and the live value. */
export interface KeyIndexMark {
  generations: number;
  created: Revision;
  ver: number;
  revs: number;
  latest: KeyValue | null;
}

const ZERO: Revision = { main: 0, sub: 0 };

export class KeyIndex {
  generations: Generation[] = [{ created: ZERO, ver: 0, revs: [] }];
  latest: KeyValue | null = null;

  constructor(readonly key: Buffer) {}

  isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0]!.revs.length === 0;
  }

  private lastGen(): Generation {
    return this.generations[this.generations.length - 1]!;
  }

  /** The newest revision of the key (a tombstone included), or null if it has none. */
  lastRevision(): Revision | null {
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const revs = this.generations[i]!.revs;
      if (revs.length > 0) return revs[revs.length - 1]!;
    }
    return null;
  }

  put(rev: Revision): void {
    const last = this.lastRevision();
    if (last && compareRevision(rev, last) <= 0) {
      throw new Error(`mvcc: put revision ${revisionId(rev)} not after ${revisionId(last)} for key ${this.key.toString('hex')}`);
    }
    const g = this.lastGen();
    if (g.revs.length === 0) g.created = rev;
    g.revs.push(rev);
    g.ver++;
  }

  /** Rebuild from the backend: the first surviving revision of a generation with its stored create/version. */
  restore(created: Revision, modified: Revision, ver: number): void {
    if (!this.isEmpty()) throw new Error('mvcc: restore on a non-empty key index');
    this.generations = [{ created, ver, revs: [modified] }];
  }

  tombstone(rev: Revision): void {
    if (this.lastGen().revs.length === 0) {
      throw new Error(`mvcc: tombstone on key ${this.key.toString('hex')} with no live generation`);
    }
    this.put(rev);
    this.generations.push({ created: ZERO, ver: 0, revs: [] });
  }

  /** The generation holding the key's state at `atRev`, as etcd's findGeneration. */
  private findGeneration(atRev: number): Generation | null {
    const lastg = this.generations.length - 1;
    for (let cg = lastg; cg >= 0; cg--) {
      const g = this.generations[cg]!;
      if (g.revs.length === 0) continue;
      if (cg !== lastg && g.revs[g.revs.length - 1]!.main <= atRev) return null;
      if (g.revs[0]!.main <= atRev) return g;
    }
    return null;
  }

  get(atRev: number): IndexGet | null {
    const g = this.findGeneration(atRev);
    if (!g) return null;
    for (let n = g.revs.length - 1; n >= 0; n--) {
      const r = g.revs[n]!;
      if (r.main <= atRev) return { modified: r, created: g.created, ver: g.ver - (g.revs.length - n - 1) };
    }
    return null;
  }

  /**
   * etcd's doCompact: the first generation whose tombstone is >= atRev (else the last one), and in
   * it the index of the newest revision <= atRev, which is recorded in `available`.
   */
  private doCompact(atRev: number, available: Set<string>): { genIdx: number; revIndex: number } {
    let genIdx = 0;
    while (genIdx < this.generations.length - 1) {
      const revs = this.generations[genIdx]!.revs;
      if (revs[revs.length - 1]!.main >= atRev) break;
      genIdx++;
    }
    const revs = this.generations[genIdx]!.revs;
    let revIndex = -1;
    for (let i = revs.length - 1; i >= 0; i--) {
      if (revs[i]!.main <= atRev) {
        available.add(revisionId(revs[i]!));
        revIndex = i;
        break;
      }
    }
    return { genIdx, revIndex };
  }

  /** Drop history older than atRev (3.5.16+ semantics: a tombstone exactly at atRev is kept). */
  compact(atRev: number, available: Set<string>): void {
    if (this.isEmpty()) throw new Error(`mvcc: compact on empty key index ${this.key.toString('hex')}`);
    const { genIdx, revIndex } = this.doCompact(atRev, available);
    const g = this.generations[genIdx]!;
    if (g.revs.length > 0 && revIndex !== -1) g.revs = g.revs.slice(revIndex);
    this.generations = this.generations.slice(genIdx);
  }

  /** What compact would keep, minus a tombstone that ends a non-last generation (etcd's keep, for HashKV). */
  keep(atRev: number, available: Set<string>): void {
    if (this.isEmpty()) return;
    const { genIdx, revIndex } = this.doCompact(atRev, available);
    const g = this.generations[genIdx]!;
    if (g.revs.length > 0 && revIndex === g.revs.length - 1 && genIdx !== this.generations.length - 1) {
      available.delete(revisionId(g.revs[revIndex]!));
    }
  }

  /**
   * An O(1) record of the key's state, enough to undo later puts and tombstones (rollbackTo). A write
   * txn marks every key it touches; clone() would copy the key's whole history on every write, which
   * made writes to one hot key O(revisions since the last compaction).
   */
  mark(): KeyIndexMark {
    const g = this.lastGen();
    return { generations: this.generations.length, created: g.created, ver: g.ver, revs: g.revs.length, latest: this.latest };
  }

  /** Undoes every put and tombstone since `m`; nothing else (compaction, restore) may have happened since. */
  rollbackTo(m: KeyIndexMark): void {
    if (this.generations.length < m.generations) {
      throw new Error(`mvcc: rollback of key ${this.key.toString('hex')} to ${m.generations} generations, it has ${this.generations.length}`);
    }
    this.generations.length = m.generations;
    const g = this.lastGen();
    if (g.revs.length < m.revs) {
      throw new Error(`mvcc: rollback of key ${this.key.toString('hex')} to ${m.revs} revisions, it has ${g.revs.length}`);
    }
    g.revs.length = m.revs;
    g.created = m.created;
    g.ver = m.ver;
    this.latest = m.latest;
  }

  /** A copy deep enough to undo any put/tombstone/compact applied to this one. */
  clone(): KeyIndex {
    const c = new KeyIndex(this.key);
    c.generations = this.generations.map((g) => ({ created: g.created, ver: g.ver, revs: g.revs.slice() }));
    c.latest = this.latest;
    return c;
  }
}
