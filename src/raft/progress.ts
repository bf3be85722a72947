// The leader's view of one follower (etcd raft's tracker.Progress): how much of the log it has
// (match), what to send next (next), and the flow-control state that decides whether to send now.
import { Inflights } from './inflights.js';

export enum ProgressState {
  /** Unknown last index: send one MsgApp at a time and wait for its answer. */
  Probe = 0,
  /** Known to be in sync: stream MsgApps optimistically, bounded by the inflights window. */
  Replicate = 1,
  /** Needs a snapshot: send nothing until the snapshot is reported applied or failed. */
  Snapshot = 2,
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** Index of the snapshot being sent while in Snapshot state. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /**
   * A MsgApp was sent since the last heartbeat response. In Probe state it blocks the next probe;
   * in Replicate state with a full window it blocks the empty "probe" MsgApp that lets the leader
   * find out when every in-flight message was lost.
   */
  msgAppFlowPaused = false;
  isLearner: boolean;
  inflights: Inflights;

  constructor(next: number, maxInflight: number, maxInflightBytes: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, the follower has at least the snapshot's index.
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records that a MsgApp carrying `entries` entries (bytes of payload) was sent. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === ProgressState.Replicate && entries > 0) {
      this.next += entries;
      this.inflights.add(this.next - 1, bytes);
    }
    this.msgAppFlowPaused = true;
  }

  /** Whether flow control lets a MsgApp carrying entries go out now. */
  canSendEntries(): boolean {
    if (this.state === ProgressState.Probe) return !this.msgAppFlowPaused;
    if (this.state === ProgressState.Replicate) return !this.inflights.full();
    return false;
  }

  /** The follower acknowledged index n. Returns whether match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected a MsgApp whose previous index was `rejected`; matchHint is its guess of
   * the highest index that may match. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In Probe (or Snapshot) only the answer to the last probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.msgAppFlowPaused;
      case ProgressState.Replicate:
        return this.inflights.full() && this.msgAppFlowPaused;
      case ProgressState.Snapshot:
        return true;
    }
  }
}
