// The point-in-time bbolt image Maintenance.Snapshot streams: capstan's backend laid out exactly as
// etcd's (the ten buckets, revision keys, gogoproto KeyValue bytes, meta, leases, members, alarms), so
// etcdctl/etcdutl and a real etcd accept it.
//
// Point in time: every bucket's scan cursor is opened in one synchronous step, together with the
// in-memory consistent index, alarms and members. Backend.scan pins a LevelDB snapshot plus a copy of
// the staged writes at that instant, so writes applied while the image is read do not leak in.
import { BUCKETS, type BucketName } from '../mvcc/backend.js';
import type { MvccStore } from '../mvcc/store.js';
import type { BoltEntries } from '../snapshot/bbolt/index.js';
import { writeBolt } from '../snapshot/bbolt/index.js';
import { confStateJson } from '../snapshot/etcdSchema.js';
import { alarmKey, encodeU64, memberJson, memberKey } from '../snapshot/etcdRecords.js';
import type { Alarms } from './alarms.js';
import type { MemberInfo } from './grpc/context.js';

export interface SnapshotSource {
  readonly store: MvccStore;
  readonly alarms: Alarms;
  members(): MemberInfo[];
}

/** Entries per cursor read while draining a bucket. */
const SCAN_CHUNK = 1000;
/** What a fresh etcd 3.5 writes to cluster/clusterVersion once the cluster has decided its version. */
const CLUSTER_VERSION = '3.5.0';

const META = {
  consistentIndex: Buffer.from('consistent_index'),
  term: Buffer.from('term'),
  confState: Buffer.from('confState'),
} as const;

type Entry = [Buffer, Buffer];

function byKey(a: Entry, b: Entry): number {
  return Buffer.compare(a[0], b[0]);
}

/** Replaces or adds entries of a sorted list, keeping it sorted. */
function withEntries(entries: readonly Entry[], replace: readonly Entry[]): Entry[] {
  const drop = new Set(replace.map(([k]) => k.toString('latin1')));
  return [...entries.filter(([k]) => !drop.has(k.toString('latin1'))), ...replace].sort(byKey);
}

function withDefault(entries: readonly Entry[], key: string, value: Buffer): Entry[] {
  const k = Buffer.from(key);
  return entries.some(([e]) => e.equals(k)) ? [...entries] : withEntries(entries, [[k, value]]);
}

/** Builds the bbolt image (without the sha256 trailer) of the source's state at the moment of the call. */
export async function captureSnapshotImage(src: SnapshotSource): Promise<Buffer> {
  // Let committed compactions finish their physical pass first, so the image is not full of history
  // etcd would only delete again on start. Not required for correctness: a half-done pass is recorded
  // as scheduledCompactRev > finishedCompactRev, which etcd (and capstan) redo on start.
  await src.store.compactionSettled();

  // ---- one synchronous step: everything below describes the same instant ----
  const backend = src.store.backend;
  const cursors = BUCKETS.map((bucket) => ({ bucket, cursor: backend.scan(bucket, Buffer.alloc(0), null) }));
  const consistentIndex = src.store.consistentIndex;
  const term = src.store.consistentTerm;
  const alarms = src.alarms.list();
  const members = src.members();
  // ---- end of the synchronous step ----

  const raw = new Map<BucketName, Entry[]>();
  try {
    for (const { bucket, cursor } of cursors) {
      const entries: Entry[] = [];
      for (let batch = await cursor.next(SCAN_CHUNK); batch.length > 0; batch = await cursor.next(SCAN_CHUNK)) {
        for (const e of batch) entries.push([e.key, e.value]);
      }
      raw.set(bucket, entries);
    }
  } finally {
    await Promise.all(cursors.map(({ cursor }) => cursor.close()));
  }
  const get = (b: BucketName): Entry[] => {
    const entries = raw.get(b);
    if (entries === undefined) throw new Error(`invariant: bucket ${b} was not scanned`);
    return entries;
  };

  const voters = members.filter((m) => !m.isLearner).map((m) => m.id);
  const learners = members.filter((m) => m.isLearner).map((m) => m.id);
  const meta = withEntries(get('meta'), [
    [META.consistentIndex, encodeU64(consistentIndex)],
    [META.term, encodeU64(term)],
    [META.confState, Buffer.from(confStateJson(voters, learners))],
  ]);
  const memberEntries: Entry[] = members
    .map((m): Entry => [memberKey(m.id), Buffer.from(memberJson(m))])
    .sort(byKey);
  // capstan keeps alarms under its own key layout; etcd's key is a marshalled AlarmMember.
  const alarmEntries: Entry[] = alarms.map((a): Entry => [alarmKey(a), Buffer.alloc(0)]).sort(byKey);

  const buckets = new Map<string, BoltEntries>([
    ['alarm', alarmEntries],
    // A fresh etcd's auth store records revision 1 at start.
    ['auth', withDefault(get('auth'), 'authRevision', encodeU64(1))],
    ['authRoles', get('authRoles')],
    ['authUsers', get('authUsers')],
    ['cluster', withDefault(get('cluster'), 'clusterVersion', Buffer.from(CLUSTER_VERSION))],
    ['key', get('key')],
    ['lease', get('lease')],
    ['members', memberEntries],
    // capstan keys removed members by 8-byte id; etcd by hex text (etcdutl restore parses it as hex).
    ['members_removed', get('members_removed').map(([k, v]): Entry => [memberKey(k.readBigUInt64BE(0)), v]).sort(byKey)],
    ['meta', meta],
  ]);
  if (buckets.size !== BUCKETS.length) throw new Error('invariant: the image must hold exactly etcd\'s ten buckets');
  return writeBolt({ buckets });
}
