// The application's handle on raft (etcd's RawNode): feed it ticks, messages and proposals; take a
// Ready; persist its entries, hard state and snapshot, send its messages, apply its committed
// entries; then call advance(). Everything is synchronous and deterministic.
import { encodeConfChange } from './codec.js';
import { ProgressState } from './progress.js';
import { applyToConfig, toConfState } from './config-history.js';
import { Raft, type RaftConfig, isLocalMsg } from './raft.js';
import { type MemoryStorage } from './storage.js';
import {
  type ConfChange,
  ConfChangeType,
  NONE,
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
  StateType,
  hardStateEqual,
  invariant,
  isEmptyHardState,
  makeMessage,
} from './types.js';

export type RaftNodeConfig = RaftConfig;

export const ERR_STEP_LOCAL_MSG = new Error('raft: cannot step raft local message');
export const ERR_STEP_PEER_NOT_FOUND = new Error('raft: cannot step as peer not found');

export interface Ready {
  /** Present when leader or role changed. Volatile: never persisted. */
  softState?: SoftState;
  /** Present when term, vote or commit changed: persist before sending messages. */
  hardState?: HardState;
  /** Entries to persist (after the snapshot, if any) before sending messages. */
  entries: Entry[];
  /** Committed entries to apply, in order, after persisting. */
  committedEntries: Entry[];
  /** Messages to send after persisting. */
  messages: Message[];
  /** A snapshot from the leader to persist and install. */
  snapshot?: Snapshot;
  /** Answers to readIndex requests: serve the read once applied >= index. */
  readStates: ReadState[];
  /** Whether entries/hardState must be fsynced before messages go out. */
  mustSync: boolean;
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  recentActive: boolean;
  isLearner: boolean;
  pendingSnapshot: number;
}

export interface Status {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  committed: number;
  lastIndex: number;
  leadTransferee: NodeId;
  confState: ConfState;
  /** Followers' progress; only on the leader. */
  progress?: Map<NodeId, ProgressStatus>;
}

export type SnapshotStatus = 'finish' | 'failure';

interface Handed {
  lastEntry?: { index: number; term: number };
  committedEntries: Entry[];
  snapshotIndex: number;
}

function progressStateName(s: ProgressState): ProgressStatus['state'] {
  switch (s) {
    case ProgressState.Probe:
      return 'probe';
    case ProgressState.Replicate:
      return 'replicate';
    case ProgressState.Snapshot:
      return 'snapshot';
  }
}

export class RaftNode {
  /** The state machine; exposed for tests and status, not for the application to drive. */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private handed: Handed | undefined = undefined;
  private appliedConf: ConfState;

  constructor(config: RaftNodeConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
    this.appliedConf = this.raft.confStateAt(this.raft.raftLog.applied);
  }

  /**
   * Prepares the storage of a founding member of a new cluster: the initial voters go into the log
   * as committed AddNode entries (term 1), as etcd does, so a member that joins later learns the
   * whole configuration by replaying the log. The application applies them like any conf change.
   */
  static bootstrap(storage: MemoryStorage, voters: NodeId[]): void {
    invariant(voters.length > 0, 'bootstrap needs at least one voter');
    invariant(storage.lastIndex() === 0 && isEmptyHardState(storage.initialState().hardState), 'bootstrap of a non-empty storage');
    const entries: Entry[] = voters.map((id, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.EntryConfChange,
      data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId: id, context: new Uint8Array(0) }),
    }));
    storage.append(entries);
    storage.setHardState({ term: 1, vote: NONE, commit: entries.length });
  }

  get id(): NodeId {
    return this.raft.id;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first when enabled). */
  campaign(): void {
    this.raft.step(makeMessage({ type: MessageType.MsgHup, from: this.raft.id }));
  }

  /** Proposes data to be appended; throws ProposalDroppedError when it cannot be. */
  propose(data: Uint8Array): void {
    this.proposeEntry({ term: 0, index: 0, type: EntryType.EntryNormal, data });
  }

  proposeConfChange(cc: ConfChange): void {
    this.proposeEntry({ term: 0, index: 0, type: EntryType.EntryConfChange, data: encodeConfChange(cc) });
  }

  private proposeEntry(e: Entry): void {
    const err = this.raft.step(makeMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [e] }));
    if (err) throw err;
  }

  /**
   * Steps a message received from a peer. Returns an error (never throws) when the message was
   * refused: a local-only type, a response from an unknown peer, or a forwarded proposal dropped.
   */
  step(m: Message): Error | undefined {
    if (isLocalMsg(m.type)) return ERR_STEP_LOCAL_MSG;
    const isResponse =
      m.type === MessageType.MsgAppResp ||
      m.type === MessageType.MsgVoteResp ||
      m.type === MessageType.MsgHeartbeatResp ||
      m.type === MessageType.MsgUnreachable ||
      m.type === MessageType.MsgPreVoteResp;
    if (isResponse && !this.raft.trk.progress.has(m.from)) return ERR_STEP_PEER_NOT_FOUND;
    return this.raft.step(m);
  }

  /**
   * Requests a read index; the answer arrives as a ReadState carrying the same context. Throws
   * ProposalDroppedError when there is no leader to ask.
   */
  readIndex(context: Uint8Array): void {
    const err = this.raft.step(makeMessage({
      type: MessageType.MsgReadIndex,
      entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: context }],
    }));
    if (err) throw err;
  }

  /** Asks the leader to hand leadership to `transferee` (sent to the leader from a follower). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(makeMessage({ type: MessageType.MsgTransferLeader, from: transferee }));
  }

  /**
   * Call when applying a committed conf change entry. Raft itself already switched to the new
   * configuration when the entry was appended; this returns the configuration as of the applied
   * entries, which is what a snapshot taken at the applied index must record.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const cfg = { voters: new Set(this.appliedConf.voters), learners: new Set(this.appliedConf.learners) };
    applyToConfig(cfg, cc);
    this.appliedConf = toConfState(cfg);
    return toConfState(cfg);
  }

  /** The transport could not deliver to `id`: stop pipelining to it. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  /** The snapshot sent to `id` was delivered (finish) or lost (failure). */
  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.raft.step(makeMessage({ type: MessageType.MsgSnapStatus, from: id, reject: status === 'failure' }));
  }

  hasReady(): boolean {
    if (this.handed) return false;
    const r = this.raft;
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.raftState !== this.prevSoftState.raftState) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState)) return true;
    if (r.raftLog.hasPendingSnapshot() || r.hasReadRoundDue()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstableEntries().length > 0 || r.readStates.length > 0) return true;
    return r.raftLog.hasNextCommittedEntries();
  }

  /** Takes the pending work. Must be followed by advance() before the next ready(). */
  ready(): Ready {
    invariant(this.handed === undefined, 'ready() called again before advance()');
    const r = this.raft;
    r.flushReadIndexRound();
    const entries = [...r.raftLog.unstableEntries()];
    const committedEntries = r.raftLog.nextCommittedEntries();
    const rd: Ready = {
      entries,
      committedEntries,
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: false,
    };
    r.msgs = [];
    r.readStates = [];
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.raftState !== this.prevSoftState.raftState) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) {
      rd.hardState = hs;
      rd.mustSync = hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
      this.prevHardState = hs;
    }
    if (entries.length > 0) rd.mustSync = true;
    const snap = r.raftLog.hasPendingSnapshot() ? r.raftLog.unstable.snapshot : undefined;
    if (snap) {
      rd.snapshot = snap;
      this.appliedConf = snap.metadata.confState;
    }
    const last = entries[entries.length - 1];
    this.handed = {
      committedEntries,
      snapshotIndex: snap ? snap.metadata.index : 0,
      ...(last ? { lastEntry: { index: last.index, term: last.term } } : {}),
    };
    return rd;
  }

  /** The last Ready was persisted, sent and applied. */
  advance(): void {
    const h = this.handed;
    invariant(h !== undefined, 'advance() without ready()');
    this.handed = undefined;
    const r = this.raft;
    if (h.snapshotIndex > 0) {
      r.raftLog.stableSnapTo(h.snapshotIndex);
      r.raftLog.appliedTo(Math.max(r.raftLog.applied, h.snapshotIndex));
    }
    const lastCommitted = h.committedEntries[h.committedEntries.length - 1];
    if (lastCommitted) {
      r.raftLog.appliedTo(lastCommitted.index);
      r.reduceUncommittedSize(h.committedEntries);
    }
    if (h.lastEntry) {
      r.raftLog.stableTo(h.lastEntry.index, h.lastEntry.term);
      r.selfAck(h.lastEntry.index, h.lastEntry.term);
    }
  }

  status(): Status {
    const r = this.raft;
    const s: Status = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      committed: r.raftLog.committed,
      lastIndex: r.raftLog.lastIndex(),
      leadTransferee: r.leadTransferee,
      confState: r.trk.confState(),
    };
    if (r.state === StateType.Leader) {
      const progress = new Map<NodeId, ProgressStatus>();
      for (const [id, pr] of r.trk.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: progressStateName(pr.state),
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
          pendingSnapshot: pr.pendingSnapshot,
        });
      }
      s.progress = progress;
    }
    return s;
  }
}
