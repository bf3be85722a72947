// What the gRPC services need from the member. The services translate between the wire and this; the
// member decides how (the single-member log now, Raft later) without the services knowing.
import type { MvccStore } from '../../mvcc/store.js';
import type { Alarms } from '../alarms.js';
import type { ApplyKind, ApplyResults } from '../applier.js';
import type { LeaseClock } from '../lease/leaseClock.js';
import type { HeaderIdentity } from '../proto/convert.js';
import type { InternalRequestBodies, ResponseHeader } from '../proto/messages.js';
import type { RequestIdGenerator } from '../requestIds.js';

export interface MemberInfo {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface ServiceLimits {
  maxTxnOps: number;
  maxRequestBytes: number;
  quotaBackendBytes: number;
}

export interface MemberContext {
  readonly store: MvccStore;
  readonly alarms: Alarms;
  readonly leaseClock: LeaseClock;
  readonly ids: RequestIdGenerator;
  readonly limits: ServiceLimits;
  readonly memberId: bigint;
  readonly clusterId: bigint;
  readonly progressNotifyIntervalMs: number;
  /** The etcd API version reported by Status (a semver >= 3.5.13). */
  readonly etcdVersion: string;
  header(revision?: number): ResponseHeader;
  /** Who answers: cluster, member and term, for converters that build nested headers. */
  identity(): HeaderIdentity;
  /**
   * Proposes one request through the log and resolves with what applying it gave. With `maxBytes`,
   * an entry larger than that is refused with etcd's "request is too large" (etcd checks the
   * marshalled request against --max-request-bytes just before proposing it).
   */
  propose<K extends ApplyKind>(kind: K, body: InternalRequestBodies[K], opts?: { maxBytes?: number }): Promise<ApplyResults[K]>;
  /** Resolves when this member has applied everything committed before the call (ReadIndex). */
  linearizableBarrier(): Promise<void>;
  members(): MemberInfo[];
  status(): { leader: bigint; raftIndex: number; raftTerm: number; appliedIndex: number; isLearner: boolean };
  /** The store's size as the quota sees it (cached; refreshed after commits). */
  dbSize(): number;
  /**
   * etcd's backend quota: when a write of `cost` bytes would pass --quota-backend-bytes, raises the
   * NOSPACE alarm (through the log) and throws etcd's "database space exceeded". Null when the write
   * fits: the common case costs no promise and no turn of the microtask queue.
   */
  checkQuota(cost: number): Promise<void> | null;
  /** Membership changes (etcd's Cluster service); each resolves once the change is applied here. */
  addMember(peerUrls: string[], isLearner: boolean): Promise<{ member: MemberInfo; members: MemberInfo[] }>;
  removeMember(id: bigint): Promise<MemberInfo[]>;
  updateMember(id: bigint, peerUrls: string[]): Promise<MemberInfo[]>;
  promoteMember(id: bigint): Promise<MemberInfo[]>;
  /** Keep-alive and remaining TTL, answered by the leader's lease clock (followers forward). */
  renewLease(id: bigint): Promise<number | undefined>;
  leaseRemaining(id: bigint): Promise<number | undefined>;
  /** Makes `target` the leader and resolves once it is (MoveLeader). */
  transferLeadership(target: bigint): Promise<void>;
}
