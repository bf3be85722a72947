// One capstan member: opens the data directory, replays the WAL into the store, and serves etcd's gRPC
// API. Every write is an internal request proposed to the log, made durable, then applied in order.
import { EtcdError, GrpcCode, mvccErrors } from '../mvcc/errors.js';
import { MvccStore } from '../mvcc/store.js';
import { Alarms } from './alarms.js';
import { Applier, type ApplyKind, type ApplyResults } from './applier.js';
import type { Config } from './config/config.js';
import { ETCD_API_VERSION } from './config/version.js';
import { type Identity, layout, prepare, readIdentity, writeIdentity } from './dataDir.js';
import type { MemberContext, MemberInfo, ServiceLimits } from './grpc/context.js';
import { internalRequest } from './internalRequest.js';
import { LeaseClock } from './lease/leaseClock.js';
import type { ConsensusLog } from './log/consensusLog.js';
import { SingleMemberLog } from './log/singleMemberLog.js';
import { computeClusterId, computeMemberId } from './membership/ids.js';
import { PendingRequests } from './pendingRequests.js';
import type { HeaderIdentity } from './proto/convert.js';
import { encodeInternalRaftRequest } from './proto/codec.js';
import type { InternalRequestBodies, ResponseHeader } from './proto/messages.js';
import { RequestIdGenerator } from './requestIds.js';
import { Wal } from './wal/index.js';


export interface MemberEvents {
  fatal(error: Error): void;
  walFsync?(seconds: number): void;
  backendCommit?(seconds: number): void;
  applied?(count: number): void;
}

const requestTimedOut = () => new EtcdError(GrpcCode.UNAVAILABLE, 'etcdserver: request timed out');
const serverStopped = () => new EtcdError(GrpcCode.UNAVAILABLE, 'etcdserver: server stopped');

export class Member implements MemberContext {
  readonly leaseClock: LeaseClock;
  readonly ids: RequestIdGenerator;
  readonly limits: ServiceLimits;
  readonly progressNotifyIntervalMs: number;
  readonly etcdVersion = ETCD_API_VERSION;
  private readonly pending = new PendingRequests<unknown>();
  private readonly applier: Applier;
  private appliedIndex = 0;
  private readonly appliedWaiters: Array<{ index: number; resolve: () => void }> = [];
  private cachedDbSize = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly revoking = new Set<bigint>();
  private stopped = false;

  private constructor(
    readonly config: Config,
    readonly store: MvccStore,
    private readonly log: ConsensusLog,
    private readonly wal: Wal,
    private readonly identityRecord: Identity,
    private readonly events: MemberEvents,
    readonly alarms: Alarms,
  ) {
    this.memberId = BigInt(identityRecord.memberId);
    this.clusterId = BigInt(identityRecord.clusterId);
    this.ids = new RequestIdGenerator(this.memberId, Date.now());
    // etcd's minimum lease TTL: 1.5 election timeouts, rounded up to whole seconds.
    this.leaseClock = new LeaseClock(() => performance.now(), Math.ceil((1.5 * config.electionTimeoutMs) / 1000));
    this.limits = {
      maxTxnOps: config.maxTxnOps,
      maxRequestBytes: config.maxRequestBytes,
      quotaBackendBytes: config.effectiveQuotaBackendBytes ?? Number.POSITIVE_INFINITY,
    };
    this.progressNotifyIntervalMs = config.watchProgressNotifyIntervalMs;
    this.applier = new Applier(store, this.alarms, this.pending, {
      leaseGranted: (lease) => this.leaseClock.start(lease),
      leaseRevoked: (id) => {
        this.leaseClock.forget(id);
        this.revoking.delete(id);
      },
      applied: (index) => this.onApplied(index),
    });
  }

  readonly memberId: bigint;
  readonly clusterId: bigint;

  static async open(config: Config, events: MemberEvents): Promise<Member> {
    const dirs = layout(config.dataDir, config.walDir);
    const restarting = await prepare(dirs);
    let identity = restarting ? await readIdentity(dirs) : null;
    if (!identity) {
      identity = bootstrapIdentity(config);
      await writeIdentity(dirs, identity);
    }
    const store = await MvccStore.open(dirs.db);
    const opened = await Wal.open(dirs.wal, events.walFsync ? { onFsync: events.walFsync } : {});
    const log = await SingleMemberLog.open(opened.wal, opened.records, BigInt(identity.memberId), events.fatal);
    const alarms = await Alarms.load(store.backend);
    const member = new Member(config, store, log, opened.wal, identity, events, alarms);
    member.appliedIndex = store.consistentIndex;
    for (const lease of store.leases()) member.leaseClock.start(lease);
    await log.start(store.consistentIndex, (entries) => member.applier.applyBatch(entries));
    member.cachedDbSize = await store.dbSize();
    member.startTimers();
    return member;
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

  async propose<K extends ApplyKind>(kind: K, body: InternalRequestBodies[K]): Promise<ApplyResults[K]> {
    if (this.stopped) throw serverStopped();
    const id = this.ids.next();
    const data = encodeInternalRaftRequest(internalRequest(kind, body, id));
    const result = this.pending.register(id);
    const timeout = setTimeout(
      () => this.pending.trigger(id, { ok: false, error: requestTimedOut() }),
      5000 + 2 * this.config.electionTimeoutMs,
    );
    try {
      await this.log.propose(data);
      return (await result) as ApplyResults[K];
    } catch (error) {
      this.pending.trigger(id, { ok: false, error: error as Error });
      throw error;
    } finally {
      clearTimeout(timeout);
    }
  }

  async linearizableBarrier(): Promise<void> {
    const index = await this.log.readIndex();
    if (this.appliedIndex >= index) return;
    await new Promise<void>((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  members(): MemberInfo[] {
    return this.identityRecord.members.map((m) => ({
      id: BigInt(m.id),
      name: m.name,
      peerUrls: m.peerUrls,
      clientUrls: m.clientUrls,
      isLearner: m.isLearner,
    }));
  }

  status() {
    return {
      leader: this.log.leaderId,
      raftIndex: this.log.committedIndex,
      raftTerm: this.log.term,
      appliedIndex: this.appliedIndex,
      isLearner: false,
    };
  }

  dbSize(): number {
    return this.cachedDbSize;
  }

  async checkQuota(cost: number): Promise<void> {
    if (this.cachedDbSize + cost <= this.limits.quotaBackendBytes) return;
    // As etcd: raise the alarm for everyone, then refuse.
    await this.propose('alarm', { action: 'ACTIVATE', memberID: this.memberId.toString(), alarm: 'NOSPACE' }).catch(
      () => undefined,
    );
    throw mvccErrors.noSpace();
  }

  async transferLeadership(target: bigint): Promise<void> {
    if (target !== this.memberId) throw new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: bad leader transferee');
  }

  // ---- internals ----

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
      const t = setInterval(() => void fn().catch((error: unknown) => this.events.fatal(error as Error)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(500, () => this.revokeExpiredLeases());
    every(1000, async () => {
      this.cachedDbSize = await this.store.dbSize();
    });
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
    this.pending.failAll(serverStopped());
    await this.store.close();
    await this.wal.close();
  }
}

function bootstrapIdentity(config: Config): Identity {
  const members = [...config.initialClusterMembers].map(([name, urls]) => {
    const peerUrls = urls.map((u) => u.text);
    return { id: computeMemberId(peerUrls, config.initialClusterToken), name, peerUrls };
  });
  const self = members.find((m) => m.name === config.name);
  if (!self) throw new Error(`couldn't find local name "${config.name}" in the initial cluster configuration`);
  return {
    clusterId: computeClusterId(members.map((m) => m.id)).toString(),
    memberId: self.id.toString(),
    members: members.map((m) => ({
      id: m.id.toString(),
      name: m.name,
      peerUrls: m.peerUrls,
      clientUrls: m.name === config.name ? config.advertiseClientUrls.map((u) => u.text) : [],
      isLearner: false,
    })),
  };
}
