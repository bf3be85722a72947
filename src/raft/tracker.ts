// Cluster configuration as the leader tracks it: the voters and learners, each one's Progress, and
// the votes of an election. Quorum arithmetic (majority commit index, vote result) lives here too.
import { Progress } from './progress.js';
import { type ConfState, type NodeId, invariant } from './types.js';

export enum VoteResult {
  Pending = 0,
  Lost = 1,
  Won = 2,
}

/** The highest index that a majority of `voters` has matched. */
export function majorityCommitted(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  const n = voters.size;
  // No voters, no quorum: nothing commits (etcd returns +inf here, which only joint configs need).
  if (n === 0) return 0;
  // Called on every append acknowledgement: an insertion sort into a reused array, because
  // Array.prototype.sort with a comparator allocated ~600 bytes per call (the largest allocation site
  // of a leader under write load, by heap sampling).
  const matches = matchScratch;
  matches.length = 0;
  for (const id of voters) {
    const m = matchOf(id);
    let i = matches.length;
    for (; i > 0 && (matches[i - 1] as number) > m; i--) matches[i] = matches[i - 1] as number;
    matches[i] = m;
  }
  // With matches sorted ascending, the entry at n - quorum is held by at least quorum voters.
  const quorum = Math.floor(n / 2) + 1;
  return matches[n - quorum] as number;
}
const matchScratch: number[] = [];

export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  // No voters, no quorum: such a node is not promotable anyway, but never let it win.
  if (voters.size === 0) return VoteResult.Lost;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return VoteResult.Won;
  if (granted + missing >= quorum) return VoteResult.Pending;
  return VoteResult.Lost;
}

export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  progress = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();

  constructor(readonly maxInflight: number, readonly maxInflightBytes: number) {}

  confState(): ConfState {
    const sort = (a: NodeId, b: NodeId): number => (a < b ? -1 : a > b ? 1 : 0);
    return { voters: [...this.voters].sort(sort), learners: [...this.learners].sort(sort) };
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  committed(): number {
    return majorityCommitted(this.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** Whether a quorum of voters was heard from recently (the leader counts itself). */
  quorumActive(selfId: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      active.set(id, id === selfId || pr.recentActive);
    }
    return majorityVoteResult(this.voters, active) === VoteResult.Won;
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: majorityVoteResult(this.voters, this.votes) };
  }

  addVoter(id: NodeId, nextIndex: number): void {
    const pr = this.progress.get(id);
    if (pr) {
      pr.isLearner = false;
      this.learners.delete(id);
    } else {
      this.progress.set(id, this.newProgress(nextIndex, false));
    }
    this.voters.add(id);
    this.checkInvariants();
  }

  addLearner(id: NodeId, nextIndex: number): void {
    const pr = this.progress.get(id);
    if (pr) {
      pr.isLearner = true;
      this.voters.delete(id);
    } else {
      this.progress.set(id, this.newProgress(nextIndex, true));
    }
    this.learners.add(id);
    this.checkInvariants();
  }

  remove(id: NodeId): void {
    this.voters.delete(id);
    this.learners.delete(id);
    this.progress.delete(id);
    this.checkInvariants();
  }

  private newProgress(nextIndex: number, isLearner: boolean): Progress {
    const pr = new Progress(Math.max(nextIndex, 1), this.maxInflight, this.maxInflightBytes, isLearner);
    // A new member counts as active so check-quorum does not depose the leader before it answers.
    pr.recentActive = true;
    return pr;
  }

  private checkInvariants(): void {
    for (const id of this.voters) invariant(!this.learners.has(id), `${id} is both voter and learner`);
    invariant(this.progress.size === this.voters.size + this.learners.size, 'progress map does not match configuration');
    for (const [id, pr] of this.progress) {
      invariant(pr.isLearner === this.learners.has(id), `progress of ${id} has the wrong learner flag`);
    }
  }
}
