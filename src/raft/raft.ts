// The Raft state machine (in the manner of etcd-io/raft's raft.go): it consumes messages and ticks
// and produces messages and log changes. It performs no I/O and reads no clock; all randomness
// comes from the injected Rng.
import { RaftLog } from './log.js';
import { Progress, ProgressState } from './progress.js';
import { decodeConfChange } from './codec.js';
import { ConfigHistory, applyToConfig, toConfState } from './config-history.js';
import { ReadOnly, keyBytes } from './read-only.js';
import type { Rng } from './rng.js';
import { ErrCompacted, ErrSnapshotTemporarilyUnavailable, ErrUnavailable, type Storage } from './storage.js';
import { ProgressTracker, VoteResult } from './tracker.js';
import {
  type ConfChange,
  type ConfState,
  EMPTY_BYTES,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  NONE,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
  StateType,
  bytesEqual,
  invariant,
  isEmptyHardState,
  makeMessage,
  payloadSize,
} from './types.js';

export class ProposalDroppedError extends Error {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

// Sentinels, as etcd's ErrProposalDropped: dropping is routine (no leader yet, a transfer under
// way) and building a fresh Error with a stack trace each time is measurably slow.
export const DROPPED = {
  removed: new ProposalDroppedError('leader was removed from the configuration'),
  transferring: new ProposalDroppedError('leadership transfer in progress'),
  tooManyUncommitted: new ProposalDroppedError('too many uncommitted entries'),
  noLeader: new ProposalDroppedError('no leader'),
  forwardingDisabled: new ProposalDroppedError('not leader (forwarding disabled)'),
  noLeaderForRead: new ProposalDroppedError('no leader for read index'),
} as const;

export interface RaftConfig {
  id: NodeId;
  storage: Storage;
  /** Ticks a follower waits without hearing from a leader before campaigning (randomized in [e, 2e)). */
  electionTick: number;
  /** Ticks between leader heartbeats. */
  heartbeatTick: number;
  rng: Rng;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Byte limit of one MsgApp (always at least one entry). Default 1 MiB as etcd. */
  maxSizePerMsg?: number;
  /** MsgApps in flight to one follower in Replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Byte limit of the in-flight window (0 = none). */
  maxInflightBytes?: number;
  /** Payload bytes the leader accepts beyond the commit index before dropping proposals (0 = none). */
  maxUncommittedEntriesSize?: number;
  /** Byte limit of committedEntries in one Ready. Default: maxSizePerMsg. */
  maxCommittedSizePerReady?: number;
  /** The application's applied index when restarting. */
  applied?: number;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
}

const CAMPAIGN_TRANSFER = keyBytes('CampaignTransfer');

type CampaignType = 'pre-election' | 'election' | 'transfer';

function voteRespType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.MsgVote:
      return MessageType.MsgVoteResp;
    case MessageType.MsgPreVote:
      return MessageType.MsgPreVoteResp;
    default:
      throw new Error(`not a vote message: ${MessageType[t]}`);
  }
}

export function isLocalMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgHup ||
    t === MessageType.MsgBeat ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgSnapStatus ||
    t === MessageType.MsgCheckQuorum
  );
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  state: StateType = StateType.Follower;
  lead: NodeId = NONE;
  isLearner = false;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Set while a leadership transfer to this node is in progress. */
  leadTransferee: NodeId = NONE;
  /** Index of the latest conf change in the log; a new one is refused until it is committed. */
  pendingConfIndex = 0;
  /**
   * Membership takes effect when a conf change is appended, not when it commits (Raft thesis
   * §4.1); truncating a conf change out of the log reverts it.
   */
  private readonly configs = new ConfigHistory();
  uncommittedSize = 0;
  private readOnly = new ReadOnly();
  private pendingReadIndexMessages: Message[] = [];
  private readRoundDue = false;
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private readonly disableProposalForwarding: boolean;
  private readonly rng: Rng;

  constructor(c: RaftConfig) {
    invariant(c.id !== NONE, 'cannot use none as id');
    invariant(c.heartbeatTick > 0, 'heartbeat tick must be greater than 0');
    invariant(c.electionTick > c.heartbeatTick, 'election tick must be greater than heartbeat tick');
    this.id = c.id;
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.maxMsgSize = c.maxSizePerMsg ?? 1024 * 1024;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? 0;
    this.disableProposalForwarding = c.disableProposalForwarding ?? false;
    this.rng = c.rng;
    const maxInflight = c.maxInflightMsgs ?? 256;
    invariant(maxInflight > 0, 'max inflight messages must be greater than 0');
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady ?? this.maxMsgSize);
    this.trk = new ProgressTracker(maxInflight, c.maxInflightBytes ?? 0);

    const { hardState, confState } = c.storage.initialState();
    this.configs.reset(confState);
    // Conf changes in the stored log after the snapshot are part of the configuration.
    const snapIndex = c.storage.snapshot().metadata.index;
    invariant(c.storage.firstIndex() - 1 <= snapIndex, 'storage compacted beyond its snapshot: conf changes would be lost');
    const from = Math.max(snapIndex + 1, this.raftLog.firstIndex());
    const to = this.raftLog.lastIndex();
    for (let lo = from; lo <= to; ) {
      const ents = this.raftLog.slice(lo, to + 1, this.maxMsgSize);
      this.configs.onAppend(ents);
      lo += ents.length;
    }
    this.raftLog.onAppend = (ents) => this.onLogAppend(ents);
    this.rebuildConfig();
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  private loadState(hs: HardState): void {
    invariant(hs.commit >= this.raftLog.committed && hs.commit <= this.raftLog.lastIndex(),
      () => `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`);
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // --- sending -------------------------------------------------------------------------------

  private send(m: Message): void {
    m.from = this.id;
    if (
      m.type === MessageType.MsgVote ||
      m.type === MessageType.MsgVoteResp ||
      m.type === MessageType.MsgPreVote ||
      m.type === MessageType.MsgPreVoteResp
    ) {
      // Vote messages carry the term they are about, which is not always ours.
      invariant(m.term !== 0, `term should be set when sending ${MessageType[m.type]}`);
    } else {
      invariant(m.term === 0, `term should not be set when sending ${MessageType[m.type]} (was ${m.term})`);
      // Proposals and read requests forwarded to the leader stay term-less, as local messages.
      if (m.type !== MessageType.MsgProp && m.type !== MessageType.MsgReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends a MsgApp (or a snapshot) to `to` if flow control allows. Returns whether it sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    // With a full window in Replicate state, an empty MsgApp still goes out (at most one per
    // heartbeat response): if all in-flight messages were lost, its rejection resets the flow.
    const withEntries = pr.canSendEntries();
    if (!withEntries && !sendIfEmpty) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.term(prevIndex);
    let ents: Entry[] = [];
    let compacted = prevTerm === undefined;
    if (!compacted && withEntries) {
      try {
        ents = this.raftLog.entriesFrom(pr.next, this.maxMsgSize);
      } catch (e) {
        if (!(e instanceof ErrCompacted || e instanceof ErrUnavailable)) throw e;
        compacted = true;
      }
    }
    if (compacted) return this.maybeSendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of ents) bytes += payloadSize(e);
    this.send(makeMessage({
      type: MessageType.MsgApp,
      to,
      index: prevIndex,
      logTerm: prevTerm as number,
      entries: ents,
      commit: this.raftLog.committed,
    }));
    pr.sentEntries(ents.length, bytes);
    return true;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // Sending a snapshot to a node we have not heard from is likely wasted bytes.
    if (!pr.recentActive) return false;
    let snap: Snapshot;
    try {
      snap = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof ErrSnapshotTemporarilyUnavailable) return false;
      throw e;
    }
    invariant(snap.metadata.index !== 0, 'need non-empty snapshot');
    pr.becomeSnapshot(snap.metadata.index);
    this.send(makeMessage({ type: MessageType.MsgSnap, to, snapshot: snap }));
    return true;
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array): void {
    const pr = this.trk.progress.get(to);
    invariant(pr !== undefined, `heartbeat to unknown node ${to}`);
    // A follower may not have the leader's whole log yet; never tell it to commit past its match.
    const commit = Math.min(pr.match, this.raftLog.committed);
    this.send(makeMessage({ type: MessageType.MsgHeartbeat, to, commit, context: ctx }));
  }

  bcastAppend(): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(): void {
    const last = this.readOnly.lastPendingRequestCtx();
    this.bcastHeartbeatWithCtx(last === undefined ? EMPTY_BYTES : keyBytes(last));
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, ctx);
  }

  // --- commit and append -----------------------------------------------------------------------

  /** Advances the commit index to what a quorum has matched, if that entry is of this term. */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  private appendEntry(es: Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    // Fresh objects: the proposal's entries may be shared with a message that is delivered twice.
    const stamped: Entry[] = es.map((e, i) => ({ term: this.term, index: li + 1 + i, type: e.type, data: e.data }));
    if (!this.increaseUncommittedSize(stamped)) return false;
    // The leader acknowledges its own entries only once they are persisted (see selfAck).
    this.raftLog.append(stamped);
    return true;
  }

  /** The application persisted the log up to (index, term); the leader counts itself for it. */
  selfAck(index: number, term: number): void {
    if (this.state !== StateType.Leader || this.raftLog.term(index) !== term) return;
    const pr = this.trk.progress.get(this.id);
    if (!pr) return;
    if (pr.maybeUpdate(index) && this.maybeCommit()) this.onLeaderCommitted();
  }

  private increaseUncommittedSize(es: Entry[]): boolean {
    let s = 0;
    for (const e of es) s += payloadSize(e);
    // An empty-payload entry (like the leader's first entry) is always accepted, and so is a
    // proposal when nothing is uncommitted, so an oversized proposal cannot block forever.
    if (this.maxUncommittedSize > 0 && this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(ents: Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let s = 0;
    for (const e of ents) s += payloadSize(e);
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  // --- state transitions -----------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, pr] of this.trk.progress) {
      const fresh = new Progress(last + 1, this.trk.maxInflight, this.trk.maxInflightBytes, pr.isLearner);
      if (id === this.id) fresh.match = this.raftLog.committed;
      this.trk.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
    this.readRoundDue = false;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.rng.intn(this.electionTimeout);
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
  }

  becomeCandidate(): void {
    invariant(this.state !== StateType.Leader, 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
  }

  becomePreCandidate(): void {
    invariant(this.state !== StateType.Leader, 'invalid transition [leader -> pre-candidate]');
    // A pre-candidate changes neither term nor vote: a lost pre-election must leave no trace.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = StateType.PreCandidate;
  }

  becomeLeader(): void {
    invariant(this.state !== StateType.Follower, 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    // We may be absent from our latest configuration (our removal is not committed yet; see
    // promotable): then we lead without counting ourselves.
    const self = this.trk.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // A conf change may sit uncommitted in our log: no new one until it commits.
    this.pendingConfIndex = this.configs.lastChangeIndex();
    const empty: Entry = { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES };
    invariant(this.appendEntry([empty]), 'empty entry was dropped');
  }

  /**
   * Whether this node may campaign: it is a voter, or it was one until a conf change that has not
   * committed yet (as far as it knows). The latter matters: the members of the old configuration
   * may need this node (whose log holds the change) to lead long enough to commit its own
   * removal, or nobody could be elected. It campaigns, and counts votes, in its latest
   * configuration, exactly like a leader that removed itself.
   */
  private promotable(): boolean {
    if (this.raftLog.hasPendingSnapshot()) return false;
    const pr = this.trk.progress.get(this.id);
    if (pr !== undefined && !pr.isLearner) return true;
    if (this.configs.lastChangeIndex() <= this.raftLog.committed) return false;
    return this.configs.at(this.raftLog.committed).voters.has(this.id);
  }

  private hup(t: CampaignType): void {
    if (this.state === StateType.Leader) return;
    if (!this.promotable()) return;
    this.campaign(t);
  }

  campaign(t: CampaignType): void {
    if (!this.promotable()) return;
    let voteMsg: MessageType;
    let term: number;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      // Pre-votes ask about the term we would have, without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    this.trk.recordVote(this.id, true);
    if (this.trk.tallyVotes().result === VoteResult.Won) {
      // A single-voter configuration wins at once.
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of [...this.trk.voters].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (id === this.id) continue;
      this.send(makeMessage({
        type: voteMsg,
        to: id,
        term,
        index: lastIndex,
        logTerm: lastTerm,
        context: t === 'transfer' ? CAMPAIGN_TRANSFER : EMPTY_BYTES,
      }));
    }
  }

  // --- ticks -----------------------------------------------------------------------------------

  tick(): void {
    if (this.state === StateType.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(makeMessage({ type: MessageType.MsgHup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(makeMessage({ type: MessageType.MsgCheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateType.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(makeMessage({ type: MessageType.MsgBeat, from: this.id }));
    }
  }

  // --- step ------------------------------------------------------------------------------------

  /** Processes one message. Returns an error for a dropped proposal, never throws for one. */
  step(m: Message): Error | undefined {
    if (m.term === 0) {
      // Local message.
    } else if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // With check-quorum, a node that heard from a live leader recently ignores disruptive
        // candidates (e.g. a partitioned node rejoining with a higher term).
        if (!force && inLease) return undefined;
      }
      if (m.type === MessageType.MsgPreVote) {
        // Never change our term in response to a pre-vote.
      } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
        // The term is taken when a quorum of pre-votes is in.
      } else if (m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp) {
        // Tell a stale leader our term so it steps down (the paper's rule). etcd answers only with
        // check-quorum or pre-vote; without them a follower pushed to a higher term by a removed
        // node's vote request, and unable to campaign itself, would leave the leader stuck.
        this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from }));
      } else if (m.type === MessageType.MsgPreVote) {
        this.send(makeMessage({ type: MessageType.MsgPreVoteResp, to: m.from, term: this.term, reject: true }));
      }
      return undefined;
    }

    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.preVote ? 'pre-election' : 'election');
        return undefined;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote: {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.MsgPreVote && m.term > this.term);
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          // Grant with the message's term: for a pre-vote that is the future term.
          this.send(makeMessage({ type: voteRespType(m.type), to: m.from, term: m.term }));
          if (m.type === MessageType.MsgVote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(makeMessage({ type: voteRespType(m.type), to: m.from, term: this.term, reject: true }));
        }
        return undefined;
      }
      default:
        switch (this.state) {
          case StateType.Leader:
            return this.stepLeader(m);
          case StateType.Candidate:
          case StateType.PreCandidate:
            return this.stepCandidate(m);
          case StateType.Follower:
            return this.stepFollower(m);
        }
    }
  }

  private stepLeader(m: Message): Error | undefined {
    switch (m.type) {
      case MessageType.MsgBeat:
        this.bcastHeartbeat();
        return undefined;
      case MessageType.MsgCheckQuorum:
        if (!this.trk.quorumActive(this.id)) this.becomeFollower(this.term, NONE);
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
        return undefined;
      case MessageType.MsgProp: {
        invariant(m.entries.length > 0, `${this.id} stepped empty MsgProp`);
        if (!this.trk.progress.has(this.id)) return DROPPED.removed;
        if (this.leadTransferee !== NONE) return DROPPED.transferring;
        const entries = [...m.entries];
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i] as Entry;
          if (e.type !== EntryType.EntryConfChange) continue;
          // One change at a time, each only after the previous one and an entry of this term
          // have committed (the latter closes the single-server-change bug, thesis §4.1 errata).
          // A refused change becomes an empty normal entry, as in etcd.
          const refused =
            this.pendingConfIndex > this.raftLog.committed ||
            !this.committedEntryInCurrentTerm() ||
            this.wouldRemoveAllVoters(decodeConfChange(e.data));
          if (refused) {
            entries[i] = { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES };
          } else {
            this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
          }
        }
        if (!this.appendEntry(entries)) return DROPPED.tooManyUncommitted;
        this.bcastAppend();
        return undefined;
      }
      case MessageType.MsgReadIndex:
        // Alone in the configuration, our commit index is the cluster's. (Not so for a leader that
        // removed itself from a two-member cluster: the single voter is someone else.)
        if (this.trk.isSingleton() && this.trk.voters.has(this.id)) {
          this.respondToReadIndex(m, this.raftLog.committed);
          return undefined;
        }
        // Until an entry of this term commits, our commit index may be behind the true one.
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return undefined;
        }
        this.startReadIndexRound(m);
        return undefined;
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) return undefined;
    switch (m.type) {
      case MessageType.MsgAppResp:
        pr.recentActive = true;
        if (m.reject) {
          let nextProbeIdx = m.rejectHint;
          if (m.logTerm > 0) {
            // Skip all our entries of terms the follower cannot have (fast backtracking).
            nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
          }
          if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
            if (pr.state === ProgressState.Replicate) pr.becomeProbe();
            this.sendAppend(m.from);
          }
        } else {
          const oldPaused = pr.isPaused();
          if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe)) {
            if (pr.state === ProgressState.Probe) {
              pr.becomeReplicate();
            } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.raftLog.firstIndex()) {
              // The follower caught up past the snapshot by other means; resume replication.
              pr.becomeProbe();
              pr.becomeReplicate();
            } else if (pr.state === ProgressState.Replicate) {
              pr.inflights.freeLE(m.index);
            }
            if (this.maybeCommit()) {
              this.onLeaderCommitted();
              if (this.state !== StateType.Leader) return undefined;
            } else if (oldPaused) {
              this.sendAppend(m.from);
            }
            // Pipelining: keep sending while the window has room and there is something to send.
            for (let n = 0; n < 1024 && this.maybeSendAppend(m.from, false); n++);
            if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
              this.sendTimeoutNow(m.from);
            }
          }
        }
        return undefined;
      case MessageType.MsgHeartbeatResp: {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (pr.match < this.raftLog.lastIndex() || pr.state === ProgressState.Probe) this.sendAppend(m.from);
        if (m.context.length === 0) return undefined;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks) return undefined;
        const votes = new Map<NodeId, boolean>();
        for (const id of acks) votes.set(id, true);
        if (this.votersResult(votes) !== VoteResult.Won) return undefined;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return undefined;
      }
      case MessageType.MsgSnapStatus:
        if (pr.state !== ProgressState.Snapshot) return undefined;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat response before probing, rather than probing at once.
        pr.msgAppFlowPaused = true;
        return undefined;
      case MessageType.MsgUnreachable:
        // The transport failed to deliver: stop streaming optimistically and probe instead.
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return undefined;
      case MessageType.MsgTransferLeader: {
        if (pr.isLearner) return undefined;
        const transferee = m.from;
        if (this.leadTransferee !== NONE) {
          if (this.leadTransferee === transferee) return undefined;
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) return undefined;
        // The transfer must finish within one election timeout.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
        else this.sendAppend(transferee);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private votersResult(votes: Map<NodeId, boolean>): VoteResult {
    let granted = 0;
    for (const id of this.trk.voters) if (votes.get(id) === true) granted++;
    return granted >= Math.floor(this.trk.voters.size / 2) + 1 ? VoteResult.Won : VoteResult.Pending;
  }

  private stepCandidate(m: Message): Error | undefined {
    const myVoteResp = this.state === StateType.PreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
    switch (m.type) {
      case MessageType.MsgProp:
        return DROPPED.noLeader;
      case MessageType.MsgApp:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return undefined;
      case MessageType.MsgHeartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return undefined;
      case MessageType.MsgSnap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return undefined;
      case myVoteResp: {
        this.trk.recordVote(m.from, !m.reject);
        const { result } = this.trk.tallyVotes();
        if (result === VoteResult.Won) {
          if (this.state === StateType.PreCandidate) {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === VoteResult.Lost) {
          // Lost: wait as a follower of our (unchanged for pre-vote) term for the next timeout.
          this.becomeFollower(this.term, NONE);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private stepFollower(m: Message): Error | undefined {
    switch (m.type) {
      case MessageType.MsgProp:
        if (this.lead === NONE) return DROPPED.noLeader;
        if (this.disableProposalForwarding) return DROPPED.forwardingDisabled;
        this.send({ ...m, to: this.lead });
        return undefined;
      case MessageType.MsgApp:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return undefined;
      case MessageType.MsgHeartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return undefined;
      case MessageType.MsgSnap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return undefined;
      case MessageType.MsgTransferLeader:
        if (this.lead === NONE) return undefined;
        this.send({ ...m, to: this.lead });
        return undefined;
      case MessageType.MsgTimeoutNow:
        // The leader asks us to campaign at once, skipping pre-vote and leases.
        this.hup('transfer');
        return undefined;
      case MessageType.MsgReadIndex:
        if (this.lead === NONE) return DROPPED.noLeaderForRead;
        this.send({ ...m, to: this.lead });
        return undefined;
      case MessageType.MsgReadIndexResp: {
        const ctx = m.entries[0];
        if (m.entries.length !== 1 || ctx === undefined) return undefined;
        this.readStates.push({ index: m.index, requestCtx: ctx.data });
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: lastNew }));
      return;
    }
    // Reject with a hint: the last index at which our log could match, and its term.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    const hint = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.send(makeMessage({
      type: MessageType.MsgAppResp,
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    }));
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(makeMessage({ type: MessageType.MsgHeartbeatResp, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    invariant(s !== undefined, 'MsgSnap without snapshot');
    if (this.restore(s)) {
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot from the leader unless we already have what it contains. */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.state !== StateType.Follower) {
      // Only a leader of a higher term sends snapshots; reaching here means a bug elsewhere, so
      // step down into a fresh term rather than risk installing it.
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    // Unlike etcd, a snapshot whose configuration lacks us is installed too: it is older than the
    // conf change that added us (the leader only sends to members it knows), and the entries after
    // it, our own addition among them, follow by the log. Refusing it would leave a new member
    // stuck until the leader happened to take a newer snapshot.
    const cs = s.metadata.confState;
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // We have the snapshot's last entry: just fast-forward the commit index.
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    this.configs.reset(cs);
    this.rebuildConfig();
    return true;
  }

  // --- reads and transfers ---------------------------------------------------------------------

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.term(this.raftLog.committed) === this.term;
  }

  private startReadIndexRound(m: Message): void {
    const ctx = m.entries[0];
    invariant(ctx !== undefined, 'read index without context');
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, ctx.data);
    // Reads arriving before the application next takes a Ready share one heartbeat round (sent
    // by flushReadIndexRound): a quorum acknowledging the latest confirms every earlier one.
    this.readRoundDue = true;
  }

  hasReadRoundDue(): boolean {
    return this.readRoundDue && this.state === StateType.Leader;
  }

  /** Sends one heartbeat round for the reads that arrived since the last one. */
  flushReadIndexRound(): void {
    if (!this.hasReadRoundDue()) return;
    this.readRoundDue = false;
    const last = this.readOnly.lastPendingRequestCtx();
    if (last !== undefined) this.bcastHeartbeatWithCtx(keyBytes(last));
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.startReadIndexRound(m);
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      const ctx = req.entries[0];
      invariant(ctx !== undefined, 'read index without context');
      this.readStates.push({ index, requestCtx: ctx.data });
      return;
    }
    this.send(makeMessage({ type: MessageType.MsgReadIndexResp, to: req.from, index, entries: req.entries }));
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(makeMessage({ type: MessageType.MsgTimeoutNow, to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // --- membership ---------------------------------------------------------------------------

  private onLogAppend(ents: Entry[]): void {
    if (this.configs.onAppend(ents)) this.rebuildConfig();
  }

  private wouldRemoveAllVoters(cc: ConfChange): boolean {
    const cfg = this.configs.latest();
    applyToConfig(cfg, cc);
    return cfg.voters.size === 0;
  }

  /** Brings the tracker in line with the latest configuration in the log. */
  private rebuildConfig(): void {
    const { voters, learners } = this.configs.latest();
    const next = this.raftLog.lastIndex() + 1;
    for (const id of [...this.trk.progress.keys()]) if (!voters.has(id) && !learners.has(id)) this.trk.remove(id);
    for (const id of voters) if (!this.trk.voters.has(id)) this.trk.addVoter(id, next);
    for (const id of learners) if (!this.trk.learners.has(id)) this.trk.addLearner(id, next);
    this.afterConfigChange();
  }

  /** The configuration once the log applies up to `index` (what a snapshot there records). */
  confStateAt(index: number): ConfState {
    return toConfState(this.configs.at(index));
  }

  private afterConfigChange(): void {
    const self = this.trk.progress.get(this.id);
    this.isLearner = self !== undefined && self.isLearner;
    if (this.state !== StateType.Leader) return;
    // A leader that removed (or demoted) itself keeps leading without counting itself until the
    // change commits, then steps down (thesis §4.2.2).
    if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) this.abortLeaderTransfer();
    // A smaller quorum may commit more now; a new member needs to hear from us.
    if (this.maybeCommit()) {
      this.onLeaderCommitted();
    } else {
      for (const id of this.trk.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
  }

  /** The leader's commit index advanced. */
  private onLeaderCommitted(): void {
    this.releasePendingReadIndexMessages();
    this.bcastAppend();
    if (!this.trk.voters.has(this.id) && this.raftLog.committed >= this.pendingConfIndex) {
      // Our removal is committed and everyone was just told so: step down. Not being a voter,
      // we will not campaign again.
      this.becomeFollower(this.term, NONE);
    }
  }
}
