// One capstan member: opens the data directory, rebuilds raft's log from the WAL, replays what the store
// has not applied, and serves etcd's gRPC API. Every write is an internal request proposed to raft,
// made durable on a quorum, then applied in order by every member.
import { EtcdError, GrpcCode, mvccErrors } from '../mvcc/errors.js';
import { MvccStore, type MvccStoreOptions } from '../mvcc/store.js';
import {
  type ConfChange,
  ConfChangeType,
  decodeConfChange,
  encodeConfChange,
  type Entry,
  EntryType,
  type NodeId,
} from '../raft/index.js';
import { Alarms } from './alarms.js';
import { Applier, type ApplyKind, type ApplyResults } from './applier.js';
import { CorruptionMonitor, decodePeerHash, encodePeerHash } from './corruptionMonitor.js';
import type { Config } from './config/config.js';
import { ETCD_API_VERSION } from './config/version.js';
import { type DataDirLayout, type Identity, layout, prepare, readIdentity, writeIdentity } from './dataDir.js';
import type { MemberContext, MemberInfo, ServiceLimits } from './grpc/context.js';
import { internalRequest } from './internalRequest.js';
import { LeaseClock } from './lease/leaseClock.js';
import type { Logger } from './logger.js';
import type { CommittedEntry } from './log/consensusLog.js';
import { RaftLog, raftErrors } from './log/raftLog.js';
import { checkAppliedIndexRecorded, walOpenRefusal } from './log/startupChecks.js';
import {
  ClusterMembership,
  decodeConfChangeContext,
  encodeConfChangeContext,
  type MemberRecord,
} from './membership/cluster.js';
import { computeClusterId, computeMemberId } from './membership/ids.js';
import { type ClusterInfo, discoverCluster, encodeClusterInfo } from './peer/discovery.js';
import { PeerTransport } from './peer/transport.js';
import { type PeerTls, peerTlsFromConfig } from './tls/peerTls.js';
import { PendingRequests } from './pendingRequests.js';
import type { HeaderIdentity } from './proto/convert.js';
import { encodeInternalRaftRequest } from './proto/codec.js';
import type { InternalRequestBodies, ResponseHeader } from './proto/messages.js';
import { RequestIdGenerator } from './requestIds.js';
import { requestErrors } from './validation.js';
import { exportStoreState, installStoreState } from './storeSnapshot.js';
import { Wal, type WalOptions } from './wal/index.js';

export interface MemberEvents {
  fatal(error: Error): never | void;
  walFsync?(seconds: number): void;
  backendCommit?(seconds: number): void;
  applied?(count: number): void;
  leaderChanged?(leader: bigint): void;
}

const memberErrors = {
  notFound: () => new EtcdError(GrpcCode.NOT_FOUND, 'etcdserver: member not found'),
  badUrls: () => new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  peerUrlExists: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  notLearner: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  learnerNotReady: () =>
    new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'),
  tooManyLearners: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),
  notEnoughStarted: () =>
    new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members'),
  badTransferee: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  notLeader: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: not leader'),
  transferTimeout: () => new EtcdError(GrpcCode.UNAVAILABLE, 'etcdserver: request timed out, leader transfer took too long'),
} as const;

/** etcd's --max-learners default. */
const MAX_LEARNERS = 1;

export class Member implements MemberContext {
  readonly leaseClock: LeaseClock;
  readonly ids: RequestIdGenerator;
  readonly limits: ServiceLimits;
  readonly progressNotifyIntervalMs: number;
  readonly etcdVersion = ETCD_API_VERSION;
  readonly memberId: bigint;
  readonly clusterId: bigint;
  private readonly pending = new PendingRequests<unknown>();
  private applier: Applier;
  private appliedIndex: number;
  private readonly appliedWaiters: Array<{ index: number; resolve: () => void }> = [];
  private cachedDbSize = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly revoking = new Set<bigint>();
  private stopped = false;
  private log!: RaftLog;
  private transport!: PeerTransport;
  private peerTls: PeerTls | null = null;
  private published = false;
  private readonly storeListeners: Array<(store: MvccStore) => Promise<void>> = [];

  private constructor(
    readonly config: Config,
    public store: MvccStore,
    private readonly dirs: DataDirLayout,
    private readonly wal: Wal,
    identity: Identity,
    private readonly events: MemberEvents,
    public alarms: Alarms,
    private membership: ClusterMembership,
    private readonly logger: Logger,
  ) {
    this.memberId = BigInt(identity.memberId);
    this.clusterId = BigInt(identity.clusterId);
    this.appliedIndex = store.consistentIndex;
    this.ids = new RequestIdGenerator(this.memberId, Date.now());
    // etcd's minimum lease TTL: 1.5 election timeouts, rounded up to whole seconds.
    this.leaseClock = new LeaseClock(() => performance.now(), Math.ceil((1.5 * config.electionTimeoutMs) / 1000));
    this.limits = {
      maxTxnOps: config.maxTxnOps,
      maxRequestBytes: config.maxRequestBytes,
      quotaBackendBytes: config.effectiveQuotaBackendBytes ?? Number.POSITIVE_INFINITY,
    };
    this.progressNotifyIntervalMs = config.watchProgressNotifyIntervalMs;
    this.applier = this.makeApplier();
  }

  private makeApplier(): Applier {
    return new Applier(this.store, this.alarms, this.pending, {
      leaseGranted: (lease) => this.leaseClock.start(lease),
      leaseRevoked: (id) => {
        this.leaseClock.forget(id);
        this.revoking.delete(id);
      },
      applied: (index) => this.onApplied(index),
      applyConfChange: (entry) => this.applyConfChange(entry),
      memberAttributes: (id, name, clientUrls) => this.membership.setAttributes(id, name, clientUrls),
      fatal: (error) => this.events.fatal(error),
    });
  }

  static async open(config: Config, events: MemberEvents, logger: Logger): Promise<Member> {
    const dirs = layout(config.dataDir, config.walDir);
    const restarting = await prepare(dirs);
    // Before discovery, which dials the peers in --initial-cluster (https:// ones over TLS).
    const peerTls = peerTlsFromConfig(config, logger);
    let identity = restarting ? await readIdentity(dirs) : null;
    let bootstrap: Entry[] | null = null;
    let discovered: ClusterInfo | null = null;
    if (!identity) {
      if (config.initialClusterState === 'existing') {
        const joined = await joiningIdentity(config, peerTls);
        identity = joined.identity;
        discovered = joined.cluster;
      } else {
        const founded = foundingIdentity(config);
        identity = founded.identity;
        bootstrap = founded.bootstrap;
      }
      await writeIdentity(dirs, identity);
    }
    let started = performance.now();
    const store = await MvccStore.open(dirs.db, storeOptions(config, events));
    logger.info('opened backend db', { path: dirs.db, took: tookSince(started), 'consistent-index': store.consistentIndex });
    const alarms = await Alarms.load(store.backend);
    const membership = await ClusterMembership.load(store.backend);
    checkAppliedIndexRecorded({
      applied: store.consistentIndex,
      term: store.consistentTerm,
      appliedRecorded: store.consistentIndexRecorded,
      revision: store.currentRevision,
      members: membership.list().length,
    });
    started = performance.now();
    const opened = await Wal.open(dirs.wal, walOptions(events)).catch((error: unknown) => {
      throw walOpenRefusal(error);
    });
    if (opened.repaired) {
      // etcd's words: a torn tail (a write the crash cut short, never acknowledged) was cut off.
      logger.info('repaired WAL', { ...opened.repaired });
    }
    logger.info('opened WAL', {
      dir: dirs.wal,
      took: tookSince(started),
      segments: opened.wal.segments().length,
      records: opened.records.length,
    });
    const member = new Member(config, store, dirs, opened.wal, identity, events, alarms, membership, logger);
    member.peerTls = peerTls;
    if (membership.isRemoved(member.memberId)) {
      throw new Error('the member has been permanently removed from the cluster');
    }
    member.transport = new PeerTransport({
      localId: member.memberId,
      clusterId: member.clusterId,
      listenUrls: config.listenPeerUrls,
      // Sent in the handshake, so a member behind on membership can still answer us (etcd's X-PeerURLs).
      advertisePeerUrls: config.initialAdvertisePeerUrls.map((u) => u.text),
      tls: peerTls,
      logger,
      onMessage: (message, data) => member.log.step(message, data),
      onUnreachable: (peer) => member.log.reportUnreachable(peer),
      isRemoved: (peer) => member.membership.isRemoved(peer),
      onRemovedFromCluster: () => member.removedFromCluster(),
      onRequest: (from, kind, payload) => member.answerPeer(from, kind, payload),
      describeCluster: () =>
        encodeClusterInfo({
          clusterId: member.clusterId.toString(),
          members: member.membership.list().map((m) => ({
            id: m.id.toString(),
            name: m.name,
            peerURLs: m.peerUrls,
            clientURLs: m.clientUrls,
            isLearner: m.isLearner,
          })),
        }),
    });
    started = performance.now();
    member.log = new RaftLog({
      id: member.memberId,
      wal: opened.wal,
      walRecords: opened.records,
      walFirstRecordSeq: opened.firstRecordSeq,
      maxWals: config.maxWals,
      storeApplied: store.consistentIndex,
      storeTerm: store.consistentTerm,
      bootstrap,
      heartbeatMs: config.heartbeatIntervalMs,
      electionTimeoutMs: config.electionTimeoutMs,
      preVote: config.preVote,
      snapshotCount: config.snapshotCount,
      snapshotCatchupEntries: config.snapshotCatchupEntries,
      requestTimeoutMs: member.requestTimeoutMs(),
      sender: member.transport,
      snapshots: {
        exportState: () => exportStoreState(member.store),
        installState: (data, metadata) => member.installSnapshot(data, metadata.index),
        appliedIndex: () => member.appliedIndex,
        persist: () => member.store.commitDurably(),
      },
      logger,
      onFatal: (error) => events.fatal(error),
      onLeaderChange: (leader) => member.onLeaderChange(leader),
    });
    logger.info('replayed WAL', { took: tookSince(started), 'first-index': member.log.firstIndex, 'commit-index': member.log.committedIndex });
    await member.transport.start();
    member.syncPeers();
    // A joining member talks to the members it was told of until it has replayed the membership.
    for (const m of discovered?.members ?? []) {
      if (BigInt(m.id) !== member.memberId) member.transport.addPeer(BigInt(m.id), m.peerURLs);
    }
    for (const lease of store.leases()) member.leaseClock.start(lease);
    await member.log.start((entries) => member.applier.applyBatch(entries));
    member.cachedDbSize = await store.dbSize();
    member.startTimers();
    return member;
  }

  private requestTimeoutMs(): number {
    return 5000 + 2 * this.config.electionTimeoutMs;
  }

  // ---- MemberContext ----

  identity(): HeaderIdentity {
    return { clusterId: this.clusterId, memberId: this.memberId, raftTerm: this.log.term };
  }

  header(revision?: number): ResponseHeader {
    return {
      cluster_id: this.clusterId.toString(),
      member_id: this.memberId.toString(),
      revision: String(revision ?? this.store.currentRevision),
      raft_term: String(this.log.term),
    };
  }

  propose<K extends ApplyKind>(kind: K, body: InternalRequestBodies[K], opts: { maxBytes?: number } = {}): Promise<ApplyResults[K]> {
    let data: Buffer;
    const id = this.ids.next();
    try {
      data = encodeInternalRaftRequest(internalRequest(kind, body, id));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (opts.maxBytes !== undefined && data.length > opts.maxBytes) return Promise.reject(requestErrors.requestTooLarge());
    return this.awaitApplied(id, () => this.log.propose(data)) as Promise<ApplyResults[K]>;
  }

  /**
   * Registers a waiter, starts the proposal, and waits for its apply, or etcd's timeout. Not an async
   * function: on the write path every extra await is a promise and a microtask turn per request.
   */
  private awaitApplied(id: bigint, start: () => Promise<void> | void): Promise<unknown> {
    if (this.stopped) return Promise.reject(raftErrors.stopped());
    const result = this.pending.register(id, { ms: this.requestTimeoutMs(), error: raftErrors.timeout });
    // A proposal that could not start fails its own waiter, so `result` carries that error.
    const failed = (error: unknown): void => void this.pending.trigger(id, { ok: false, error: error as Error });
    try {
      const started = start();
      if (started !== undefined) started.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
    return result;
  }

  async linearizableBarrier(): Promise<void> {
    const index = await this.log.readIndex();
    if (this.appliedIndex >= index) return;
    await new Promise<void>((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  members(): MemberInfo[] {
    return this.membership.list();
  }

  status() {
    return {
      leader: this.log.leaderId,
      raftIndex: this.log.committedIndex,
      raftTerm: this.log.term,
      appliedIndex: this.appliedIndex,
      isLearner: this.membership.get(this.memberId)?.isLearner ?? false,
    };
  }

  dbSize(): number {
    return this.cachedDbSize;
  }

  checkQuota(cost: number): Promise<void> | null {
    if (this.cachedDbSize + cost <= this.limits.quotaBackendBytes) return null;
    return this.refuseOverQuota();
  }

  private async refuseOverQuota(): Promise<void> {
    // As etcd: raise the alarm for everyone, then refuse.
    await this.propose('alarm', { action: 'ACTIVATE', memberID: this.memberId.toString(), alarm: 'NOSPACE' }).catch(
      () => undefined,
    );
    throw mvccErrors.noSpace();
  }

  async transferLeadership(target: bigint): Promise<void> {
    const member = this.membership.get(target);
    if (!member || member.isLearner) throw memberErrors.badTransferee();
    if (!this.log.isLeader) throw memberErrors.notLeader();
    if (target === this.memberId) return;
    this.log.transferLeader(target);
    const deadline = Date.now() + this.requestTimeoutMs();
    while (this.log.leaderId !== target) {
      if (Date.now() > deadline) throw memberErrors.transferTimeout();
      await new Promise((r) => setTimeout(r, this.config.heartbeatIntervalMs));
    }
  }

  // ---- membership (etcdserverpb.Cluster) ----

  async addMember(peerUrls: string[], isLearner: boolean): Promise<{ member: MemberRecord; members: MemberRecord[] }> {
    if (peerUrls.length === 0 || peerUrls.some((u) => !/^(https?|unixs?):\/\/[^/]+/.test(u))) throw memberErrors.badUrls();
    const taken = new Set(this.membership.list().flatMap((m) => m.peerUrls));
    if (peerUrls.some((u) => taken.has(u))) throw memberErrors.peerUrlExists();
    if (isLearner && this.membership.list().filter((m) => m.isLearner).length >= MAX_LEARNERS) {
      throw memberErrors.tooManyLearners();
    }
    if (!isLearner && this.config.strictReconfigCheck && !this.enoughStartedAfter(+1)) throw memberErrors.notEnoughStarted();
    const id = computeMemberId(peerUrls, this.config.initialClusterToken, Date.now() / 1000);
    const member: MemberRecord = { id, name: '', peerUrls, clientUrls: [], isLearner };
    await this.proposeConfChange(isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, id, member);
    return { member, members: this.membership.list() };
  }

  async removeMember(id: bigint): Promise<MemberRecord[]> {
    const m = this.membership.get(id);
    if (!m) throw memberErrors.notFound();
    if (!m.isLearner && this.config.strictReconfigCheck && !this.enoughStartedAfter(-1, id)) throw memberErrors.notEnoughStarted();
    await this.proposeConfChange(ConfChangeType.RemoveNode, id, null);
    return this.membership.list();
  }

  async updateMember(id: bigint, peerUrls: string[]): Promise<MemberRecord[]> {
    const m = this.membership.get(id);
    if (!m) throw memberErrors.notFound();
    if (peerUrls.length === 0) throw memberErrors.badUrls();
    await this.proposeConfChange(ConfChangeType.UpdateNode, id, { ...m, peerUrls });
    return this.membership.list();
  }

  async promoteMember(id: bigint): Promise<MemberRecord[]> {
    const m = this.membership.get(id);
    if (!m) throw memberErrors.notFound();
    if (!m.isLearner) throw memberErrors.notLearner();
    if (!this.log.isLeader) {
      const leader = this.log.leaderId;
      if (leader === 0n) throw raftErrors.noLeader();
      await this.transport.request(leader, 'promote', Buffer.from(id.toString()), this.requestTimeoutMs());
      return this.membership.list();
    }
    // etcd promotes a learner only once its log is within 90% of the leader's.
    const learner = this.log.progressOf(id);
    const leaderMatch = this.log.progressOf(this.memberId)?.match ?? this.log.committedIndex;
    if (!learner || learner.match < leaderMatch * 0.9) throw memberErrors.learnerNotReady();
    await this.proposeConfChange(ConfChangeType.AddNode, id, { ...m, isLearner: false }, true);
    return this.membership.list();
  }

  /** etcd's strict reconfiguration check: after the change, the connected voters still form a quorum. */
  private enoughStartedAfter(delta: number, removing?: bigint): boolean {
    const voters = this.membership.list().filter((m) => !m.isLearner && m.id !== removing);
    const started = voters.filter((m) => m.id === this.memberId || this.transport.isActive(m.id)).length;
    const size = voters.length + (delta > 0 ? delta : 0);
    return started >= Math.floor(size / 2) + 1;
  }

  private async proposeConfChange(type: ConfChangeType, nodeId: NodeId, member: MemberRecord | null, promote = false): Promise<void> {
    const requestId = this.ids.next();
    const cc: ConfChange = { type, nodeId, context: encodeConfChangeContext(requestId, member, promote) };
    await this.awaitApplied(requestId, () => this.log.proposeConfChange(cc));
  }

  private applyConfChange(entry: CommittedEntry): void {
    const cc = decodeConfChange(entry.data);
    const ctx = decodeConfChangeContext(cc.context);
    switch (cc.type) {
      case ConfChangeType.AddNode:
      case ConfChangeType.AddLearnerNode:
      case ConfChangeType.UpdateNode: {
        const known = this.membership.get(cc.nodeId);
        const base = ctx.member ?? known;
        if (!base) throw new Error(`invariant: conf change for ${cc.nodeId.toString(16)} carries no member`);
        let merged: MemberRecord;
        if (known && cc.type === ConfChangeType.UpdateNode) merged = { ...known, peerUrls: base.peerUrls };
        else if (known && !ctx.member) merged = known;
        else merged = { ...base, isLearner: cc.type === ConfChangeType.AddLearnerNode && !ctx.promote };
        this.membership.put(merged);
        break;
      }
      case ConfChangeType.RemoveNode:
        if (this.membership.get(cc.nodeId)) this.membership.remove(cc.nodeId);
        // Dropping its connections makes it redial, and the redial is told it was removed (etcd).
        if (cc.nodeId !== this.memberId) this.transport.removePeer(cc.nodeId);
        break;
    }
    this.log.applyConfChange(cc);
    this.syncPeers();
    this.pending.trigger(ctx.requestId, { ok: true, value: undefined });
    if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === this.memberId) {
      // Give the leader a moment to learn the removal committed, as etcd does, then stop.
      setTimeout(() => this.removedFromCluster(), 2 * this.config.heartbeatIntervalMs).unref();
    }
  }

  /** The transport talks to exactly the other members we know of. */
  private syncPeers(): void {
    for (const m of this.membership.list()) {
      if (m.id !== this.memberId) this.transport.addPeer(m.id, m.peerUrls);
    }
  }

  private removedFromCluster(): void {
    this.logger.warn('the member has been permanently removed from the cluster', { 'local-member-id': this.memberId.toString(16) });
    this.events.fatal(new Error('the member has been permanently removed from the cluster'));
  }

  private async answerPeer(from: bigint, kind: string, payload: Uint8Array): Promise<Uint8Array> {
    void from;
    if (kind === 'leaseRenew') {
      const id = BigInt(Buffer.from(payload).toString());
      const ttl = this.log.isLeader ? await this.renewLease(id) : undefined;
      return Buffer.from(String(ttl ?? 0));
    }
    if (kind === 'leaseRemaining') {
      const id = BigInt(Buffer.from(payload).toString());
      return Buffer.from(String(this.leaseClock.remainingSeconds(id) ?? -1));
    }
    if (kind === 'hashKV') {
      // A peer's corruption check (etcd's /members/hashkv): our hash at its revision.
      const revision = Number(Buffer.from(payload).toString());
      if (!Number.isSafeInteger(revision) || revision < 0) throw new Error(`bad hashKV revision ${Buffer.from(payload).toString().slice(0, 40)}`);
      const h = await this.store.hashKV(revision);
      return Buffer.from(encodePeerHash({ revision: h.header.revision, hash: h.hash, compactRevision: h.compactRevision }));
    }
    if (kind === 'promote') {
      await this.promoteMember(BigInt(Buffer.from(payload).toString()));
      return Buffer.alloc(0);
    }
    throw new Error(`unknown peer request ${kind}`);
  }

  /** Keep-alives are the leader's business: a follower forwards them (etcd forwards over the peer URL). */
  async renewLease(id: bigint): Promise<number | undefined> {
    if (this.log.isLeader) {
      const lease = this.store.getLease(id);
      const ttl = lease ? this.leaseClock.renew(id) : undefined;
      // A renewed lease has its whole TTL again: clear the checkpoint so a new leader does not cut it short.
      if (ttl !== undefined && lease && lease.remainingTtl > 0) {
        void this.propose('lease_checkpoint', { checkpoints: [{ ID: id.toString(), remaining_TTL: '0' }] }).catch(() => undefined);
      }
      return ttl;
    }
    const leader = this.log.leaderId;
    if (leader === 0n) throw raftErrors.noLeader();
    const answer = await this.transport.request(leader, 'leaseRenew', Buffer.from(id.toString()), this.requestTimeoutMs());
    const ttl = Number(Buffer.from(answer).toString());
    return ttl > 0 ? ttl : undefined;
  }

  async leaseRemaining(id: bigint): Promise<number | undefined> {
    if (this.log.isLeader || this.log.leaderId === 0n) return this.leaseClock.remainingSeconds(id);
    const answer = await this.transport.request(this.log.leaderId, 'leaseRemaining', Buffer.from(id.toString()), this.requestTimeoutMs());
    const s = Number(Buffer.from(answer).toString());
    return s < 0 ? undefined : s;
  }

  // ---- corruption checks ----

  private corruptionMonitor(): CorruptionMonitor {
    return new CorruptionMonitor(
      {
        memberId: this.memberId,
        requestTimeoutMs: this.requestTimeoutMs(),
        localHash: async (revision) => {
          const h = await this.store.hashKV(revision);
          return { hash: h.hash, compactRevision: h.compactRevision, revision: h.hashRevision };
        },
        peers: () => this.membership.list().filter((m) => m.id !== this.memberId).map((m) => ({ id: m.id, urls: m.peerUrls })),
        peerHash: async (id, revision, timeoutMs) =>
          decodePeerHash(await this.transport.request(id, 'hashKV', Buffer.from(String(revision)), timeoutMs)),
        linearizableBarrier: () => this.linearizableBarrier(),
        raiseCorruptAlarm: (id) => {
          void this.propose('alarm', { action: 'ACTIVATE', memberID: id.toString(), alarm: 'CORRUPT' }).catch((error: unknown) =>
            this.logger.warn('failed to raise the CORRUPT alarm', { error: String(error) }),
          );
        },
      },
      this.logger,
    );
  }

  /** --experimental-initial-corrupt-check: compares this member's hash with its peers' before serving. */
  async checkInitialHashKV(): Promise<void> {
    await this.corruptionMonitor().initialCheck();
  }

  // ---- snapshots ----

  /** Whoever keeps state derived from the store (the auth gate) reloads it when a snapshot replaces it. */
  onStoreReplaced(listener: (store: MvccStore) => Promise<void>): void {
    this.storeListeners.push(listener);
  }

  /** Replaces the store with the leader's state (a follower too far behind), keeping everything else. */
  private async installSnapshot(data: Uint8Array, index: number): Promise<void> {
    const previous = this.store;
    // Open watches move to the new store and catch up through its history (etcd #15271).
    previous.watchable.detachAll();
    await previous.close();
    await installStoreState(this.dirs.db, data);
    this.store = await MvccStore.open(this.dirs.db, storeOptions(this.config, this.events));
    this.store.watchable.adopt(previous.watchable);
    if (this.store.consistentIndex !== index) {
      throw new Error(`invariant: snapshot for index ${index} holds a store at index ${this.store.consistentIndex}`);
    }
    this.alarms = await Alarms.load(this.store.backend);
    this.membership = await ClusterMembership.load(this.store.backend);
    this.applier = this.makeApplier();
    for (const lease of this.store.leases()) this.leaseClock.start(lease);
    for (const listener of this.storeListeners) await listener(this.store);
    this.syncPeers();
    this.onApplied(index);
  }

  // ---- internals ----

  private onLeaderChange(leader: bigint): void {
    this.events.leaderChanged?.(leader);
    if (leader === this.memberId) {
      // etcd's lessor Promote: the new leader restarts every lease clock, plus an election timeout
      // of grace, so clients get time to find the new leader before their leases expire.
      for (const lease of this.store.leases()) this.leaseClock.start(lease);
      this.leaseClock.extendAll(this.config.electionTimeoutMs);
    }
    if (leader !== 0n && !this.published) void this.publishAttributes();
  }

  /** Publishes this member's name and client URLs to the cluster (etcd's publishV3). */
  private async publishAttributes(): Promise<void> {
    const self = this.membership.get(this.memberId);
    const clientUrls = this.config.advertiseClientUrls.map((u) => u.text);
    if (self && self.name === this.config.name && sameList(self.clientUrls, clientUrls)) {
      this.published = true;
      return;
    }
    this.published = true;
    try {
      await this.propose('cluster_member_attr_set', {
        member_ID: this.memberId.toString(),
        member_attributes: { name: this.config.name, client_urls: clientUrls },
      });
    } catch (error) {
      this.published = false;
      this.logger.warn('failed to publish local member to cluster', { error: (error as Error).message });
    }
  }

  private onApplied(index: number): void {
    this.appliedIndex = index;
    this.events.applied?.(index);
    if (this.appliedWaiters.length === 0) return;
    const still: typeof this.appliedWaiters = [];
    for (const w of this.appliedWaiters) (w.index <= index ? w.resolve() : still.push(w));
    this.appliedWaiters.length = 0;
    this.appliedWaiters.push(...still);
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => void fn().catch((error: unknown) => this.logger.warn('periodic task failed', { error: String(error) })), ms);
      t.unref();
      this.timers.push(t);
    };
    every(500, () => this.revokeExpiredLeases());
    if (this.config.enableLeaseCheckpoint) every(leaseCheckpointIntervalMs(), () => this.checkpointLeases());
    if (this.config.corruptCheckTimeMs > 0) {
      const monitor = this.corruptionMonitor();
      let checking = false;
      // Only the leader checks, as in etcd: it compares every follower against itself. A pass that
      // outlasts the interval (slow peers) is not overlapped by the next one.
      every(this.config.corruptCheckTimeMs, async () => {
        if (!this.log.isLeader || this.stopped || checking) return;
        checking = true;
        try {
          await monitor.periodicCheck();
        } finally {
          checking = false;
        }
      });
    }
    every(1000, async () => {
      this.cachedDbSize = await this.store.dbSize();
      if (!this.published && this.log.leaderId !== 0n) await this.publishAttributes();
    });
  }

  /**
   * etcd's lease checkpoints (--experimental-enable-lease-checkpoint): the leader records each lease's
   * remaining TTL in the log, so a new leader resumes from it instead of granting a full TTL again.
   */
  private async checkpointLeases(): Promise<void> {
    if (!this.log.isLeader || this.stopped) return;
    const checkpoints = this.store
      .leases()
      .map((l) => ({ ID: l.id.toString(), remaining_TTL: String(this.leaseClock.remainingSeconds(l.id) ?? l.ttl) }));
    for (let i = 0; i < checkpoints.length; i += 1000) {
      await this.propose('lease_checkpoint', { checkpoints: checkpoints.slice(i, i + 1000) });
    }
  }

  /** The leader revokes expired leases through the log, at most 1000 a round, as etcd rate-limits. */
  private async revokeExpiredLeases(): Promise<void> {
    if (!this.log.isLeader || this.stopped) return;
    const expired = this.leaseClock.expired(1000).filter((id) => !this.revoking.has(id));
    await Promise.all(
      expired.map(async (id) => {
        this.revoking.add(id);
        try {
          await this.propose('lease_revoke', { ID: id.toString() });
        } catch (error) {
          if (error instanceof EtcdError && error.message === mvccErrors.leaseNotFound().message) {
            this.leaseClock.forget(id);
          }
        } finally {
          this.revoking.delete(id);
        }
      }),
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.log.stop();
    await this.transport.stop();
    this.peerTls?.stop();
    this.pending.failAll(raftErrors.stopped());
    await this.store.close();
    await this.wal.close();
  }
}

function storeOptions(config: Config, events: MemberEvents): MvccStoreOptions {
  const opts: MvccStoreOptions = { backendBatchIntervalMs: config.backendBatchIntervalMs, backendBatchLimit: config.backendBatchLimit };
  if (events.backendCommit) opts.onBackendCommit = events.backendCommit;
  return opts;
}

/** The WAL's options; CAPSTAN_WAL_SEGMENT_BYTES (tests only) makes segments small enough to purge quickly. */
function walOptions(events: MemberEvents): WalOptions {
  const opts: WalOptions = {};
  if (events.walFsync) opts.onFsync = events.walFsync;
  const segmentBytes = Number(process.env.CAPSTAN_WAL_SEGMENT_BYTES);
  if (Number.isSafeInteger(segmentBytes) && segmentBytes > 0) opts.segmentBytes = segmentBytes;
  return opts;
}

/** A duration as etcd's logs print Go durations (e.g. "1.5s", "12.3ms"). */
function tookSince(start: number): string {
  const ms = performance.now() - start;
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)}s` : `${ms.toFixed(1)}ms`;
}

/** etcd checkpoints leases every 5 minutes; tests shorten it through the environment. */
function leaseCheckpointIntervalMs(): number {
  const fromEnv = Number(process.env.CAPSTAN_LEASE_CHECKPOINT_INTERVAL_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 5 * 60 * 1000;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A founding member: the cluster's identity and the conf-change entries that found it. */
function foundingIdentity(config: Config): { identity: Identity; bootstrap: Entry[] } {
  const members = [...config.initialClusterMembers].map(([name, urls]) => {
    const peerUrls = urls.map((u) => u.text);
    return { id: computeMemberId(peerUrls, config.initialClusterToken), name, peerUrls };
  });
  const self = members.find((m) => m.name === config.name);
  if (!self) throw new Error(`couldn't find local name "${config.name}" in the initial cluster configuration`);
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const bootstrap: Entry[] = members.map((m, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.EntryConfChange,
    data: encodeConfChange({
      type: ConfChangeType.AddNode,
      nodeId: m.id,
      // Names and client URLs are published by each member once it runs (etcd does the same).
      context: encodeConfChangeContext(0n, { id: m.id, name: '', peerUrls: m.peerUrls, clientUrls: [], isLearner: false }),
    }),
  }));
  return {
    identity: {
      clusterId: computeClusterId(members.map((m) => m.id)).toString(),
      memberId: self.id.toString(),
    },
    bootstrap,
  };
}

/**
 * A member joining an existing cluster (--initial-cluster-state existing): etcd asks the peers in
 * --initial-cluster for the cluster and finds itself by its advertised peer URLs, the member that
 * `etcdctl member add` created for it. capstan does the same over the peer transport.
 */
async function joiningIdentity(config: Config, peerTls: PeerTls): Promise<{ identity: Identity; cluster: ClusterInfo }> {
  const own = new Set(config.initialAdvertisePeerUrls.map((u) => u.text));
  const others = [...config.initialClusterMembers.values()].flat().map((u) => u.text).filter((u) => !own.has(u));
  const cluster = await discoverCluster(others, 60_000, peerTls);
  const self = cluster.members.find((m) => m.peerURLs.some((u) => own.has(u)));
  if (!self) {
    throw new Error(
      `error validating peerURLs: no member of cluster ${BigInt(cluster.clusterId).toString(16)} has the peer URLs ` +
        `${[...own].join(',')}; add this member with \`etcdctl member add\` first`,
    );
  }
  return { identity: { clusterId: cluster.clusterId, memberId: self.id }, cluster };
}
