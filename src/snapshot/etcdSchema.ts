// etcd's backend layout in a bbolt file (spec snapshot-format.md §3): the ten buckets of a 3.4/3.5 db
// and how their entries are encoded. Turns plain records into the bucket map writeBolt takes.
import type { KeyValue, LeaseId } from '../mvcc/types.js';
import type { BoltEntries } from './bbolt/index.js';
import { encodeKeyValue, encodeLease as encodeMvccLease, encodeLeaseKey } from '../mvcc/keyValueCodec.js';
import { encodeRevisionKey } from './revisionKey.js';

export const EtcdBucket = {
  alarm: 'alarm',
  auth: 'auth',
  authRoles: 'authRoles',
  authUsers: 'authUsers',
  cluster: 'cluster',
  key: 'key',
  lease: 'lease',
  members: 'members',
  membersRemoved: 'members_removed',
  meta: 'meta',
} as const;

export const ETCD_BUCKET_NAMES: readonly string[] = Object.values(EtcdBucket);

/** One entry of the key bucket: a put (kv) or a tombstone (kv holds just the key). */
export interface RevisionRecord {
  main: number;
  sub: number;
  tombstone: boolean;
  kv: KeyValue;
}

export interface EtcdLeaseRecord {
  id: LeaseId;
  ttl: bigint;
}

export interface EtcdBackendContent {
  /** In revision order. */
  revisions: readonly RevisionRecord[];
  leases?: readonly EtcdLeaseRecord[];
  consistentIndex: bigint;
  term: bigint;
  /** Member ids for meta/confState (3.5+). Empty leaves confState out. */
  voters?: readonly bigint[];
  /** Written as both scheduled and finished compaction revision when set. */
  compactRevision?: number;
  clusterVersion?: string;
}

function be64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

/** leasepb.Lease{ID=1, TTL=2} as gogoproto writes it (mvcc's codec; zero fields omitted). */
export function encodeLease(l: EtcdLeaseRecord): Buffer {
  const ttl = Number(l.ttl);
  if (!Number.isSafeInteger(ttl)) throw new Error(`lease ${l.id} TTL ${l.ttl} does not fit a safe integer`);
  return encodeMvccLease({ id: l.id, ttl, remainingTtl: 0 });
}

/**
 * raftpb.ConfState JSON as etcd stores it: empty lists omitted, auto_leave always present; uint64 ids
 * written as raw numbers (they exceed 2^53).
 */
export function confStateJson(voters: readonly bigint[], learners: readonly bigint[] = []): string {
  const list = (ids: readonly bigint[]) => `[${ids.map((v) => BigInt.asUintN(64, v).toString()).join(',')}]`;
  let out = '{';
  if (voters.length > 0) out += `"voters":${list(voters)},`;
  if (learners.length > 0) out += `"learners":${list(learners)},`;
  return `${out}"auto_leave":false}`;
}

function sorted(entries: [Buffer, Buffer][]): [Buffer, Buffer][] {
  return entries.sort((a, b) => Buffer.compare(a[0], b[0]));
}

export function etcdBackendBuckets(content: EtcdBackendContent): Map<string, BoltEntries> {
  let prev: RevisionRecord | null = null;
  const keyEntries: [Buffer, Buffer][] = content.revisions.map((r) => {
    if (prev !== null && (r.main < prev.main || (r.main === prev.main && r.sub <= prev.sub))) {
      throw new Error(`revisions out of order: ${r.main}_${r.sub} after ${prev.main}_${prev.sub}`);
    }
    prev = r;
    const key = encodeRevisionKey({ main: BigInt(r.main), sub: BigInt(r.sub), tombstone: r.tombstone });
    return [key, encodeKeyValue(r.kv)];
  });
  const meta: [Buffer, Buffer][] = [
    [Buffer.from('consistent_index'), be64(content.consistentIndex)],
    [Buffer.from('term'), be64(content.term)],
  ];
  if (content.voters !== undefined && content.voters.length > 0) {
    meta.push([Buffer.from('confState'), Buffer.from(confStateJson(content.voters))]);
  }
  if (content.compactRevision !== undefined) {
    const rev = encodeRevisionKey({ main: BigInt(content.compactRevision), sub: 0n, tombstone: false });
    meta.push([Buffer.from('scheduledCompactRev'), rev], [Buffer.from('finishedCompactRev'), rev]);
  }
  const leases: [Buffer, Buffer][] = (content.leases ?? []).map((l) => [encodeLeaseKey(l.id), encodeLease(l)]);
  const cluster: [Buffer, Buffer][] =
    content.clusterVersion === undefined ? [] : [[Buffer.from('clusterVersion'), Buffer.from(content.clusterVersion)]];
  return new Map<string, BoltEntries>([
    [EtcdBucket.alarm, []],
    [EtcdBucket.auth, sorted([[Buffer.from('authEnabled'), Buffer.from([0])], [Buffer.from('authRevision'), be64(1n)]])],
    [EtcdBucket.authRoles, []],
    [EtcdBucket.authUsers, []],
    [EtcdBucket.cluster, cluster],
    [EtcdBucket.key, keyEntries],
    [EtcdBucket.lease, sorted(leases)],
    [EtcdBucket.members, []],
    [EtcdBucket.membersRemoved, []],
    [EtcdBucket.meta, sorted(meta)],
  ]);
}
