// Safety properties checked while a simulation runs, incrementally so that checking after every
// step stays cheap:
//   election safety       at most one leader per term
//   log matching          an (index, term) pair names one entry, whose predecessor has one term
//   leader completeness   a new leader of term T holds every entry committed in a term < T
//   state machine safety  no two nodes apply different entries (or reach different states) at an index
//   durability            a node's persisted term and commit index never go backwards
//   linearizable reads    a read index covers every commit observed before the read was asked
import { type Entry, bytesKey } from '../../../src/raft/index.js';

export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetyViolation';
  }
}

export function entrySignature(e: Entry): string {
  return `${e.type}/${bytesKey(e.data)}`;
}

/** 32-bit FNV-1a over the applied entry, chained: the state machine's whole history in one number. */
export function chainHash(prev: number, e: Entry): number {
  let h = (prev ^ 0x811c9dc5) >>> 0;
  const mix = (b: number): void => {
    h ^= b & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const v of [e.index, e.term, e.type]) for (let s = 0; s < 32; s += 8) mix(v >>> s);
  for (let i = 0; i < e.data.length; i++) mix(e.data[i] as number);
  return h;
}

export interface LogView {
  /** Term of entry i in the node's log, or undefined if it does not hold it. */
  term(i: number): number | undefined;
  firstIndex(): number;
  lastIndex(): number;
}

export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, bigint>();
  private readonly entries = new Map<string, { sig: string; prevTerm: number }>();
  /** committedTerm[i]: the term of the committed entry at index i. */
  private readonly committedTerm: number[] = [];
  maxCommitted = 0;
  /** Highest commit index observed from a node in term t (commits decided by a leader of term <= t). */
  private readonly maxCommitAtTerm = new Map<number, number>();
  private readonly appliedSig: string[] = [];
  private readonly appliedHash: number[] = [];
  leadersElected = 0;
  appliedEntries = 0;

  fail(message: string): never {
    throw new SafetyViolation(message);
  }

  onLeader(id: bigint, term: number, log: LogView): void {
    this.leadersElected++;
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== id) this.fail(`election safety: ${other} and ${id} both lead term ${term}`);
    this.leaderOfTerm.set(term, id);
    let bound = 0;
    for (const [t, c] of this.maxCommitAtTerm) if (t < term && c > bound) bound = c;
    if (log.lastIndex() < bound) {
      this.fail(`leader completeness: leader ${id} of term ${term} has last index ${log.lastIndex()} < ${bound} committed earlier`);
    }
    for (let i = Math.max(1, log.firstIndex()); i <= bound; i++) {
      const want = this.committedTerm[i];
      const got = log.term(i);
      if (want !== undefined && got !== want) {
        this.fail(`leader completeness: leader ${id} of term ${term} has term ${got} at committed index ${i} (committed term ${want})`);
      }
    }
  }

  /** Called for each entry a node persisted; prevTerm is the term its log holds at index - 1. */
  onPersisted(id: bigint, e: Entry, prevTerm: number): void {
    const key = `${e.index}:${e.term}`;
    const sig = entrySignature(e);
    const seen = this.entries.get(key);
    if (!seen) {
      this.entries.set(key, { sig, prevTerm });
      return;
    }
    if (seen.sig !== sig) this.fail(`log matching: node ${id} holds a different entry at index ${e.index} term ${e.term}`);
    if (seen.prevTerm !== prevTerm) {
      this.fail(`log matching: node ${id} has term ${prevTerm} before (${e.index}, ${e.term}); another log has ${seen.prevTerm}`);
    }
  }

  /** A node persisted commit index `commit` while in `term`; log is its (persisted) log. */
  onCommit(id: bigint, term: number, commit: number, log: LogView): void {
    const prev = this.maxCommitAtTerm.get(term) ?? 0;
    if (commit > prev) this.maxCommitAtTerm.set(term, commit);
    for (let i = this.maxCommitted + 1; i <= commit; i++) {
      const t = log.term(i);
      if (t === undefined) this.fail(`node ${id} committed ${commit} but cannot tell the term of ${i}`);
      this.committedTerm[i] = t;
    }
    // Spot-check the latest commit against what was recorded before (cheap agreement check).
    const t = log.term(commit);
    const recorded = this.committedTerm[commit];
    if (t !== undefined && recorded !== undefined && t !== recorded) {
      this.fail(`committed entry changed: node ${id} has term ${t} at committed index ${commit}, recorded ${recorded}`);
    }
    if (commit > this.maxCommitted) this.maxCommitted = commit;
  }

  /** A node applied entry e and its state hash is now `hash`. */
  onApplied(id: bigint, e: Entry, hash: number): void {
    this.appliedEntries++;
    const sig = `${e.term}:${entrySignature(e)}`;
    const seen = this.appliedSig[e.index];
    if (seen === undefined) {
      this.appliedSig[e.index] = sig;
      this.appliedHash[e.index] = hash;
      return;
    }
    if (seen !== sig) this.fail(`state machine safety: node ${id} applied a different entry at index ${e.index}`);
    if (this.appliedHash[e.index] !== hash) this.fail(`state machine safety: node ${id} reached a different state at index ${e.index}`);
    const committed = this.committedTerm[e.index];
    if (committed !== undefined && committed !== e.term) this.fail(`node ${id} applied an uncommitted entry at ${e.index}`);
  }

  /** A node installed a snapshot claiming state `hash` at `index`. */
  onSnapshotInstalled(id: bigint, index: number, hash: number): void {
    const known = this.appliedHash[index];
    if (known === undefined) this.fail(`node ${id} installed a snapshot at ${index} that no node ever applied`);
    if (known !== hash) this.fail(`state machine safety: snapshot at ${index} installed on ${id} has a different state`);
  }

  onPersistedHardState(id: bigint, prev: { term: number; commit: number }, next: { term: number; commit: number }): void {
    if (next.term < prev.term) this.fail(`node ${id} persisted term ${next.term} after ${prev.term}`);
    if (next.commit < prev.commit) this.fail(`node ${id} persisted commit ${next.commit} after ${prev.commit}`);
  }

  onReadState(id: bigint, readIndex: number, minIndex: number): void {
    if (readIndex < minIndex) this.fail(`linearizable read: node ${id} got read index ${readIndex} < ${minIndex} committed before the read`);
  }
}
