// The replicated log: drives the pure Raft core with real time, the WAL and the peer transport, as
// etcd's raftNode does. Each Ready is handled in order: the leader sends first (its own fsync runs in
// parallel with replication; the core counts the leader's entries only once they are persisted), the
// WAL makes entries and hard state durable with one fsync, followers answer after it, and committed
// entries go to the apply chain, which applies them strictly in index order.
import {
  type ConfChange,
  type ConfState,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  MemoryStorage,
  type NodeId,
  ProposalDroppedError,
  RaftNode,
  type SnapshotMetadata,
  SeededRng,
  StateType,
} from '../../raft/index.js';
import { EtcdError, GrpcCode } from '../../mvcc/errors.js';
import type { Logger } from '../logger.js';
import type { Wal, WalRecord } from '../wal/index.js';
import type { CommittedEntry, ConsensusLog } from './consensusLog.js';
import { entryRecord, hardStateRecord, replayRecords, snapshotRecord } from './entryRecord.js';
import { checkStoreWithinLog } from './startupChecks.js';
import { purgeableSegments, WalPositions } from './walRetention.js';
import { failpoint, failpointsSet } from '../failpoints.js';

export const raftErrors = {
  noLeader: () => new EtcdError(GrpcCode.UNAVAILABLE, 'etcdserver: no leader'),
  leaderChanged: () => new EtcdError(GrpcCode.UNAVAILABLE, 'etcdserver: leader changed'),
  timeout: () => new EtcdError(GrpcCode.UNAVAILABLE, 'etcdserver: request timed out'),
  tooManyRequests: () => new EtcdError(GrpcCode.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),
  stopped: () => new EtcdError(GrpcCode.UNAVAILABLE, 'etcdserver: server stopped'),
} as const;

/** Where the raft loop sends messages; the peer transport implements it. */
export interface MessageSender {
  send(messages: readonly Message[]): void;
  sendSnapshot(message: Message, data: Uint8Array, done: (ok: boolean) => void): void;
}

/** The state machine's side of snapshots: a point-in-time export, and installing one received. */
export interface SnapshotSource {
  /** The store's whole state at its applied index, called between applies. */
  exportState(): Promise<{ data: Uint8Array; index: number; term: number }>;
  /** Replaces the store's state with one received from the leader; resolves once it is durable. */
  installState(data: Uint8Array, metadata: SnapshotMetadata): Promise<void>;
  appliedIndex(): number;
  /** Makes everything the store has applied durable (a synced write), before WAL records are purged. */
  persist(): Promise<void>;
}

export interface RaftLogOptions {
  id: NodeId;
  wal: Wal;
  walRecords: readonly WalRecord[];
  /** The record seq of walRecords[0]. */
  walFirstRecordSeq: number;
  /** etcd's --max-wals: segment files to keep at most, when older ones are no longer needed (0: all). */
  maxWals: number;
  /** The store's applied (consistent) index and term at start. */
  storeApplied: number;
  storeTerm: number;
  /** Conf-change entries that found a new cluster; written only when the log is empty. */
  bootstrap: Entry[] | null;
  heartbeatMs: number;
  electionTimeoutMs: number;
  preVote: boolean;
  snapshotCount: number;
  snapshotCatchupEntries: number;
  requestTimeoutMs: number;
  sender: MessageSender;
  snapshots: SnapshotSource;
  logger: Logger;
  onFatal(error: Error): void;
  onLeaderChange?(leader: NodeId, term: number): void;
}

interface ReadRound {
  /** Every context the round was asked under: a retry asks again under a fresh one. */
  ctxs: string[];
  /** The reads waiting on this round. */
  waiters: Array<{ resolve: (index: number) => void; reject: (error: Error) => void }>;
  timer: NodeJS.Timeout;
  retry: NodeJS.Timeout | null;
  settled: boolean;
}

/** etcd's readIndexRetryTime: how long a ReadIndex round waits for its answer before asking again. */
const READ_INDEX_RETRY_MS = 500;

export class RaftLog implements ConsensusLog {
  private readonly node: RaftNode;
  private readonly storage: MemoryStorage;
  private confState: ConfState;
  private ticker: NodeJS.Timeout | null = null;
  private scheduled = false;
  private processing = false;
  private applyChain: Promise<void> = Promise.resolve();
  private apply: ((entries: CommittedEntry[]) => Promise<void>) | null = null;
  private readonly pendingReads = new Map<string, ReadRound>();
  /** The round reads join until it is asked. */
  private nextRead: ReadRound | null = null;
  /** The round asked and not yet answered. */
  private readInFlight: ReadRound | null = null;
  private readSeq = 0;
  private lead: NodeId = 0n;
  private stopped = false;
  private lastSnapshotIndex: number;
  private readonly walPositions = new WalPositions();
  /** Record seq of the newest hard state handed to the WAL (synced or not). */
  private hardStateWrittenSeq: number | null = null;
  /** The first WAL record a restart needs, as of the newest snapshot marker the store durably reached. */
  private walKeepFrom = 0;
  /** The newest snapshot received for install: raft only learns of it once the store holds it. */
  private installingIndex = 0;
  /** The snapshot the queued install job will install: only the newest waits, never a backlog. */
  private nextInstall: { message: Message; data: Uint8Array } | null = null;

  constructor(private readonly opts: RaftLogOptions) {
    this.storage = new MemoryStorage();
    const replayed = replayRecords(opts.walRecords, opts.storeApplied, opts.walFirstRecordSeq);
    for (let i = 0; i < replayed.entries.length; i++) this.walPositions.noteEntries(replayed.entries[i]!.index, replayed.entrySeqs[i]!, 1);
    if (replayed.hardStateSeq !== null) this.walPositions.noteDurableHardState(replayed.hardStateSeq);
    this.hardStateWrittenSeq = replayed.hardStateSeq;
    const logLast = replayed.entries.at(-1)?.index ?? replayed.snapshot?.index ?? 0;
    checkStoreWithinLog({ applied: opts.storeApplied, term: opts.storeTerm }, logLast, replayed.hardState);
    if (replayed.snapshot) {
      this.storage.applySnapshot({ data: new Uint8Array(0), metadata: replayed.snapshot });
    }
    if (replayed.entries.length > 0) this.storage.append(replayed.entries);
    if (replayed.hardState) {
      // Committed entries are applied while the hard state naming their commit may still be unsynced,
      // so a crash can leave the store ahead of the recorded commit index; what it applied was committed.
      const commit = Math.max(replayed.hardState.commit, opts.storeApplied);
      this.storage.setHardState({ ...replayed.hardState, commit });
    }
    this.confState = replayed.snapshot?.confState ?? { voters: [], learners: [] };
    this.lastSnapshotIndex = replayed.snapshot?.index ?? 0;
    const freshLog = replayed.entries.length === 0 && !replayed.snapshot && !replayed.hardState;
    if (freshLog && opts.bootstrap && opts.bootstrap.length > 0) {
      // A founding member: the initial members go into the log as committed conf changes (etcd).
      this.storage.append(opts.bootstrap);
      this.storage.setHardState({ term: 1, vote: 0n, commit: opts.bootstrap.length });
      this.bootstrapRecords = [...opts.bootstrap.map(entryRecord), hardStateRecord({ term: 1, vote: 0n, commit: opts.bootstrap.length })];
    }
    const electionTick = Math.max(2, Math.round(opts.electionTimeoutMs / opts.heartbeatMs));
    this.node = new RaftNode({
      id: opts.id,
      storage: this.storage,
      electionTick,
      heartbeatTick: 1,
      preVote: opts.preVote,
      checkQuorum: true,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 4096 / 8,
      maxUncommittedEntriesSize: 1 << 30,
      rng: new SeededRng(Number(opts.id & 0xffffffffn) ^ Date.now()),
      applied: Math.max(opts.storeApplied, this.lastSnapshotIndex),
    });
  }

  private bootstrapRecords: WalRecord[] | null = null;

  get isLeader(): boolean {
    return this.node.raft.state === StateType.Leader;
  }

  get leaderId(): bigint {
    return this.lead;
  }

  get term(): number {
    return this.node.raft.term;
  }

  get committedIndex(): number {
    return this.node.raft.raftLog.committed;
  }

  get firstIndex(): number {
    return this.storage.firstIndex();
  }

  /** Raft's view of one peer's progress (leader only): how far its log matches ours. */
  progressOf(id: NodeId): { match: number } | undefined {
    return this.node.status().progress?.get(id);
  }

  async start(apply: (entries: CommittedEntry[]) => Promise<void>): Promise<void> {
    if (this.bootstrapRecords) {
      const firstSeq = this.opts.wal.nextRecordSeq;
      const entries = this.bootstrapRecords.length - 1;
      await this.opts.wal.append(this.bootstrapRecords);
      this.walPositions.noteEntries(1, firstSeq, entries);
      this.hardStateWrittenSeq = firstSeq + entries;
      this.walPositions.noteDurableHardState(this.hardStateWrittenSeq);
      this.bootstrapRecords = null;
    }
    this.apply = apply;
    this.ticker = setInterval(() => {
      this.node.tick();
      this.schedule();
    }, this.opts.heartbeatMs);
    // A member that is the only voter need not wait out an election timeout (etcd campaigns at once).
    const voters = this.node.status().confState.voters;
    if (voters.length === 1 && voters[0] === this.opts.id) this.node.campaign();
    this.schedule();
  }

  // ---- inputs ----

  propose(data: Uint8Array): Promise<void> {
    if (this.stopped) return Promise.reject(raftErrors.stopped());
    try {
      this.node.propose(data);
    } catch (error) {
      return Promise.reject(this.proposalError(error));
    }
    this.schedule(true);
    return Promise.resolve();
  }

  proposeConfChange(cc: ConfChange): void {
    if (this.stopped) throw raftErrors.stopped();
    try {
      this.node.proposeConfChange(cc);
    } catch (error) {
      throw this.proposalError(error);
    }
    this.schedule();
  }

  private proposalError(error: unknown): Error {
    if (!(error instanceof ProposalDroppedError)) return error as Error;
    if (this.lead === 0n) return raftErrors.noLeader();
    if (/uncommitted/.test(error.message)) return raftErrors.tooManyRequests();
    return raftErrors.timeout();
  }

  /** A message from a peer; a snapshot message comes with the state it describes. */
  step(message: Message, snapshotData: Uint8Array | null): void {
    // The transport delivers from the moment it listens; before start() nothing can apply what
    // raft would commit, so drop the message (the sender retries, as after any loss).
    if (this.stopped || this.apply === null) return;
    if (message.type === MessageType.MsgSnap && message.snapshot) {
      this.receiveSnapshot(message, snapshotData);
      return;
    }
    this.node.step(message);
    this.schedule(message.type === MessageType.MsgProp);
  }

  private receiveSnapshot(message: Message, data: Uint8Array | null): void {
    const meta = message.snapshot!.metadata;
    if (meta.index > this.committedIndex && meta.index <= this.installingIndex) {
      // The leader resends while we install (raft here has not seen the first copy yet, so it still
      // looks behind): the install under way answers for this one. Queueing each copy held the whole
      // store in memory once per resend and kept a slow installer behind for good (etcd #18055).
      return;
    }
    const useful = meta.index > this.committedIndex && meta.index > this.opts.snapshots.appliedIndex();
    if (!useful || data === null) {
      // Raft answers a stale snapshot with its own progress; nothing to install.
      this.node.step(message);
      this.schedule();
      return;
    }
    this.installingIndex = meta.index;
    // A newer snapshot replaces one still waiting: while writes go on, the leader sends a newer one on
    // every probe, and installing each in turn never ends when installs are slow.
    const jobQueued = this.nextInstall !== null;
    this.nextInstall = { message, data };
    if (jobQueued) return;
    this.enqueue(async () => {
      const next = this.nextInstall;
      this.nextInstall = null;
      if (next === null) throw new Error('invariant: a snapshot install job without a snapshot');
      const m = next.message.snapshot!.metadata;
      this.opts.logger.info('installing snapshot from leader', { index: m.index, term: m.term, bytes: next.data.length });
      if (failpointsSet) await failpoint('raftBeforeApplySnap');
      await this.opts.snapshots.installState(next.data, m);
      if (failpointsSet) await failpoint('raftAfterApplySnap');
      if (this.stopped) return;
      this.node.step(next.message);
      this.schedule();
    });
  }

  transferLeader(target: NodeId): void {
    this.node.transferLeader(target);
    this.schedule();
  }

  reportUnreachable(peer: NodeId): void {
    this.node.reportUnreachable(peer);
  }

  applyConfChange(cc: ConfChange): ConfState {
    this.confState = this.node.applyConfChange(cc);
    this.schedule();
    return this.confState;
  }

  async readIndex(): Promise<number> {
    if (this.stopped) throw raftErrors.stopped();
    // Reads that arrive together share one ReadIndex round (one heartbeat quorum).
    let round = this.nextRead;
    if (round === null) {
      const fresh: ReadRound = {
        ctxs: [],
        waiters: [],
        timer: setTimeout(() => this.settleRead(fresh, raftErrors.timeout()), this.opts.requestTimeoutMs),
        retry: null,
        settled: false,
      };
      round = fresh;
      this.nextRead = fresh;
    }
    const waiters = round.waiters;
    const promise = new Promise<number>((resolve, reject) => waiters.push({ resolve, reject }));
    if (waiters.length > 1) return promise;
    if (this.readInFlight === null) setImmediate(() => this.startNextRead());
    return promise;
  }

  /**
   * Asks the queued round, if no round is in flight. One round at a time, as etcd's
   * linearizableReadLoop: reads that arrive while a round is out wait for the next one, so under
   * load every heartbeat round answers many reads instead of a round starting on every loop turn.
   */
  private startNextRead(): void {
    const round = this.nextRead;
    if (round === null || this.readInFlight !== null || this.stopped) return;
    this.nextRead = null;
    this.readInFlight = round;
    this.askReadIndex(round);
  }

  private askReadIndex(round: ReadRound): void {
    if (round.settled || this.stopped) return;
    // The leader tracks pending reads by context: it must be unique across members, as etcd's request IDs are.
    const ctx = `${this.opts.id.toString(16)}/${++this.readSeq}`;
    round.ctxs.push(ctx);
    this.pendingReads.set(ctx, round);
    try {
      this.node.readIndex(Buffer.from(ctx));
    } catch (error) {
      // No leader to confirm the read with (etcd answers such reads with "no leader" too).
      this.settleRead(round, error instanceof ProposalDroppedError ? raftErrors.noLeader() : (error as Error));
      return;
    }
    // A lost request or answer (a full peer queue, a dropped connection) would otherwise hold these
    // reads until the request timeout. Any answer, to this context or an earlier one, is a valid read
    // index for every read in the round: each was asked after they all arrived.
    round.retry = setTimeout(() => this.askReadIndex(round), READ_INDEX_RETRY_MS);
    this.schedule();
  }

  private settleRead(round: ReadRound, outcome: number | Error): void {
    if (round.settled) return;
    round.settled = true;
    for (const ctx of round.ctxs) this.pendingReads.delete(ctx);
    clearTimeout(round.timer);
    if (round.retry !== null) clearTimeout(round.retry);
    if (this.nextRead === round) this.nextRead = null;
    if (this.readInFlight === round) {
      this.readInFlight = null;
      if (this.nextRead !== null) setImmediate(() => this.startNextRead());
    }
    for (const w of round.waiters) {
      if (typeof outcome === 'number') w.resolve(outcome);
      else w.reject(outcome);
    }
  }

  private failAllReads(error: Error): void {
    for (const round of new Set(this.pendingReads.values())) this.settleRead(round, error);
    if (this.nextRead !== null) this.settleRead(this.nextRead, error);
  }

  // ---- the Ready loop ----

  /** `proposal`: a client's write is waiting, which other writes may join. */
  private schedule(proposal = false): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      void this.processReadies();
    };
    // A leader syncs inline (handleReady), so the proposals that queue up meanwhile arrive as separate
    // I/O callbacks: only a Ready built after all of them (setImmediate) makes them one batch. With
    // process.nextTick each got a Ready and an fsync of its own (16 clients: 4,547 -> 1,635 writes/s).
    // Anything else (acknowledgements, read index rounds, a follower's Readies) is handled as soon as
    // the current callback is done, without waiting out the rest of the loop's turn: with setImmediate
    // for every Ready on a leader, one client's linearizable reads ran 7–21% slower (paired runs).
    if (proposal && this.isLeader) setImmediate(run);
    else process.nextTick(run);
  }

  private async processReadies(): Promise<void> {
    if (this.processing || this.stopped) return;
    this.processing = true;
    try {
      for (let rounds = 0; rounds < 10_000 && this.node.hasReady() && !this.stopped; rounds++) {
        await this.handleReady();
      }
    } catch (error) {
      this.opts.onFatal(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.processing = false;
    }
    if (this.node.hasReady()) this.schedule();
  }

  private async handleReady(): Promise<void> {
    const rd = this.node.ready();
    if (rd.softState) this.onSoftState(rd.softState.lead, rd.softState.raftState);
    const leader = this.isLeader;
    if (failpointsSet && leader && rd.messages.length > 0) await failpoint('raftBeforeLeaderSend');
    // Followers hear of a commit before the leader applies it: their appliers (and the watchers and
    // reads they serve) then keep pace with the leader's. Holding the notices back until the leader
    // had answered its own writes saved two ~40 µs socket writes per one-client write, but watchers on
    // followers saw writes 1–1.3 ms later (p50, 100 watchers, a put every 10 ms).
    if (leader) this.sendAll(rd.messages);
    // Committed entries already in the WAL can be applied while this Ready is written (etcd applies
    // in parallel with its WAL save); those arriving in this very Ready wait for it.
    const durableLast = rd.entries.length > 0 ? Math.min(this.storage.lastIndex(), rd.entries[0]!.index - 1) : this.storage.lastIndex();
    const firstLate = rd.committedEntries.findIndex((e) => e.index > durableLast);
    const early = firstLate === -1 ? rd.committedEntries : rd.committedEntries.slice(0, firstLate);
    const late = firstLate === -1 ? [] : rd.committedEntries.slice(firstLate);
    if (early.length > 0) this.enqueueApply(early);
    const records: WalRecord[] = [];
    if (rd.snapshot) records.push(snapshotRecord(rd.snapshot.metadata));
    for (const e of rd.entries) records.push(entryRecord(e));
    if (rd.hardState) records.push(hardStateRecord(rd.hardState));
    if (failpointsSet && records.length > 0) await failpoint('raftBeforeSave');
    if (failpointsSet && rd.snapshot) await failpoint('raftBeforeSaveSnap');
    // Seqs are assigned when append() is called, in call order.
    const firstSeq = this.opts.wal.nextRecordSeq;
    // A hard state whose only change is the commit index need not be synced: a crash that loses it
    // is recovered from the leader (etcd's MustSync).
    const sync = rd.mustSync || rd.snapshot !== undefined;
    if (rd.snapshot) this.walPositions.forgetThrough(rd.snapshot.metadata.index);
    if (rd.entries.length > 0) this.walPositions.noteEntries(rd.entries[0]!.index, firstSeq + (rd.snapshot ? 1 : 0), rd.entries.length);
    if (rd.hardState) this.hardStateWrittenSeq = firstSeq + records.length - 1;
    const durableHardState = this.hardStateWrittenSeq;
    // Synced on the event loop while the disk is fast (the WAL's gate), not in the thread pool: a
    // follower's acknowledgement and a leader's own vote for its entries wait for this sync and
    // nothing else, and the pool's round trip (queue, wake a worker, post back, wake the loop) was
    // 130–200 µs of it. On two busy cores, 5–6% of a leader's syncs took over 1 ms through the pool
    // and 1–2% inline (one client, 3 members). A leader has sent its messages first (above), so its
    // followers sync meanwhile. Paired runs, 3 members, a leader syncing in the pool against inline:
    // one client +5–10%/s and p99 -7%; 16 and 256 clients and linearizable reads within noise. A
    // member alone: 16 clients +17–21%, one client's p99 3.9 -> 3.0–3.4 ms.
    if (records.length > 0) await this.opts.wal.append(records, { sync, inlineSync: true });
    if (failpointsSet && records.length > 0) await failpoint('raftAfterSave');
    if (failpointsSet && rd.snapshot) await failpoint('raftAfterSaveSnap');
    // A synced append makes every record before it durable too, an unsynced hard state included.
    if (sync && durableHardState !== null) this.walPositions.noteDurableHardState(durableHardState);
    if (rd.snapshot) {
      this.storage.applySnapshot({ data: new Uint8Array(0), metadata: rd.snapshot.metadata });
      this.confState = rd.snapshot.metadata.confState;
      this.lastSnapshotIndex = rd.snapshot.metadata.index;
    }
    if (rd.entries.length > 0) this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    if (failpointsSet && !leader && rd.messages.length > 0) await failpoint('raftBeforeFollowerSend');
    if (!leader) this.sendAll(rd.messages);
    for (const rs of rd.readStates) {
      const ctx = Buffer.from(rs.requestCtx).toString();
      const round = this.pendingReads.get(ctx);
      if (round) this.settleRead(round, rs.index);
    }
    if (late.length > 0) this.enqueueApply(late);
    this.node.advance();
  }

  private enqueueApply(entries: readonly Entry[]): void {
    const batch = entries.map((e) => toCommitted(e));
    this.enqueue(async () => {
      if (!this.apply) throw new Error('invariant: entries committed before the log was started');
      if (failpointsSet) await failpoint('raftAfterSaveBeforeApply');
      await this.apply(batch);
      await this.maybeCompact();
      await this.maybePurgeWal();
    });
  }

  private onSoftState(lead: NodeId, state: StateType): void {
    if (lead !== this.lead) {
      const previous = this.lead;
      this.lead = lead;
      this.opts.logger.info(lead === 0n ? 'raft lost its leader' : 'raft elected a leader', {
        leader: lead.toString(16),
        term: this.term,
        previous: previous.toString(16),
        'local-is-leader': state === StateType.Leader,
      });
      // Reads waiting on the old leader's confirmation can no longer be trusted to arrive.
      for (const round of new Set(this.pendingReads.values())) this.settleRead(round, raftErrors.leaderChanged());
      this.opts.onLeaderChange?.(lead, this.term);
    }
  }

  private sendAll(messages: readonly Message[]): void {
    const plain: Message[] = [];
    for (const m of messages) {
      if (m.type === MessageType.MsgSnap) this.sendSnapshot(m);
      else plain.push(m);
    }
    if (plain.length > 0) this.opts.sender.send(plain);
  }

  /**
   * The core asks for a snapshot at its last compaction point; we send the store as it is now, with
   * the metadata moved to the applied index it reflects (etcd's merged snapshot message).
   */
  private sendSnapshot(m: Message): void {
    this.enqueue(async () => {
      const state = await this.opts.snapshots.exportState();
      const message: Message = {
        ...m,
        snapshot: { data: new Uint8Array(0), metadata: { index: state.index, term: state.term, confState: this.confState } },
      };
      this.opts.logger.info('sending snapshot to follower', { to: m.to.toString(16), index: state.index, bytes: state.data.length });
      this.opts.sender.sendSnapshot(message, state.data, (ok) => {
        this.node.reportSnapshot(m.to, ok ? 'finish' : 'failure');
        this.schedule();
      });
    });
  }

  /** Runs work on the apply chain: applies, snapshot exports and installs never interleave. */
  private enqueue(work: () => Promise<void>): void {
    this.applyChain = this.applyChain.then(work).catch((error: unknown) => {
      this.opts.onFatal(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /** Every --snapshot-count applied entries, mark a snapshot and let raft forget older entries. */
  private async maybeCompact(): Promise<void> {
    const applied = this.opts.snapshots.appliedIndex();
    if (applied - this.lastSnapshotIndex < this.opts.snapshotCount) return;
    // Right after a snapshot install the store is ahead of raft's storage until raft restores it.
    if (applied > this.storage.lastIndex() || applied < this.storage.firstIndex()) return;
    const term = this.storage.term(applied);
    this.storage.createSnapshot(applied, this.confState, new Uint8Array(0));
    if (failpointsSet) await failpoint('raftBeforeSaveSnap');
    const markerSeq = this.opts.wal.nextRecordSeq;
    const durableHardState = this.hardStateWrittenSeq;
    await this.opts.wal.append([snapshotRecord({ index: applied, term, confState: this.confState })]);
    if (durableHardState !== null) this.walPositions.noteDurableHardState(durableHardState);
    if (failpointsSet) await failpoint('raftAfterSaveSnap');
    this.lastSnapshotIndex = applied;
    const compactTo = applied - this.opts.snapshotCatchupEntries;
    if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
    this.opts.logger.info('compacted raft log', { index: applied, 'compact-index': Math.max(compactTo, 0) });
    if (this.opts.maxWals > 0) {
      // The marker is durable; the store must be too before anything below the marker may go
      // (its LevelDB batches are not synced one by one). One synced write per --snapshot-count entries.
      await this.opts.snapshots.persist();
      if (this.opts.snapshots.appliedIndex() < applied) throw new Error(`invariant: the store went back below the snapshot at ${applied}`);
      this.walKeepFrom = Math.max(this.walKeepFrom, this.walPositions.keepFrom(applied, markerSeq));
    }
    this.walPositions.forgetThrough(applied);
  }

  /** etcd's WAL purge: deletes old segment files no restart needs, beyond --max-wals. */
  private async maybePurgeWal(): Promise<void> {
    const segments = this.opts.wal.segments();
    if (this.opts.maxWals === 0 || segments.length <= this.opts.maxWals) return;
    const victims = purgeableSegments(segments, this.walKeepFrom, this.opts.maxWals);
    if (victims.length === 0) return;
    const deleted = await this.opts.wal.releaseBefore(victims[victims.length - 1]!.seq + 1);
    if (deleted !== victims.length) throw new Error(`invariant: purged ${deleted} WAL segments, expected ${victims.length}`);
    for (const v of victims) this.opts.logger.info('purged', { path: v.path });
  }

  /** Waits for every queued apply (tests and shutdown). */
  async drained(): Promise<void> {
    await this.applyChain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.failAllReads(raftErrors.stopped());
    await this.applyChain.catch(() => undefined);
  }
}

function toCommitted(e: Entry): CommittedEntry {
  return { index: e.index, term: e.term, data: e.data, confChange: e.type === EntryType.EntryConfChange };
}
