// The store half of `capstan snapshot restore`: a bbolt image's buckets into a new LevelDB store with
// the mvcc Backend's layout, as etcdutl's restore leaves etcd's backend (v3_snapshot.go @v3.5.21):
// data buckets copied, membership replaced by the new cluster's, the consistent index set to the number
// of members at term 1, and optionally the revision bumped and marked compacted.
import { Backend, type BucketName } from '../mvcc/backend.js';
import { decodeKeyValue, decodeLease } from '../mvcc/keyValueCodec.js';
import { MvccStore } from '../mvcc/store.js';
import type { BoltBucket, BoltDb } from '../snapshot/bbolt/index.js';
import { confStateJson } from '../snapshot/etcdSchema.js';
import { decodeAlarmKey, encodeU64 } from '../snapshot/etcdRecords.js';
import { decodeRevisionKey, encodeRevisionKey } from '../snapshot/revisionKey.js';
import { Alarms } from './alarms.js';
import { ClusterMembership } from './membership/cluster.js';

export type RestoreLog = (msg: string, fields: Record<string, string | number>) => void;

/** The cluster a restore founds: IDs derived as etcd derives them, members sorted by ID. */
export interface NewCluster {
  clusterId: bigint;
  memberId: bigint;
  members: { id: bigint; name: string; peerUrls: string[] }[];
}

/** Buckets copied byte for byte: capstan's backend keeps them exactly as etcd does. */
const COPIED: readonly BucketName[] = ['auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease'];
/** meta entries restore rewrites (etcd's updateCIndex; confState follows the new voters). */
const META_REWRITTEN = new Set(['consistent_index', 'term', 'confState']);
/** Staged writes per backend commit, so a large snapshot is not held twice in memory. */
const COMMIT_EVERY = 10_000;

function topBucket(db: BoltDb, name: string): BoltBucket | null {
  for (const item of db.root.items()) {
    if (item.value !== null) {
      throw new Error(`snapshot has a top-level entry ${JSON.stringify(item.key.toString('utf8'))} that is not a bucket`);
    }
  }
  return db.bucket(name) ?? null;
}

/** The checks etcd makes when it opens the store (3.4 restore makes them up front): fail before writing. */
function checkEntry(bucket: BucketName, key: Buffer, value: Buffer): void {
  if (bucket === 'key') {
    decodeRevisionKey(key);
    if (value.length > 0) decodeKeyValue(value);
  } else if (bucket === 'lease') {
    if (key.length !== 8) throw new Error(`lease key 0x${key.toString('hex')} has ${key.length} bytes, expected 8`);
    decodeLease(value);
  }
}

class StagedWriter {
  private staged = 0;
  constructor(private readonly backend: Backend) {}

  async put(bucket: BucketName, key: Buffer, value: Buffer): Promise<void> {
    // Copies: the image buffer is dropped once restore returns, the backend may keep references.
    this.backend.put(bucket, Buffer.from(key), Buffer.from(value));
    if (++this.staged >= COMMIT_EVERY) await this.flush();
  }

  async flush(): Promise<void> {
    this.staged = 0;
    await this.backend.commit();
  }
}

/** The latest revision in the key bucket (etcd's unsafeGetLatestRevision): the last key in byte order. */
function latestRevision(key: BoltBucket | null): { main: bigint; sub: bigint } {
  let latest = { main: 0n, sub: 0n };
  if (key === null) return latest;
  for (const [k] of key.entries()) {
    const r = decodeRevisionKey(k);
    if (r.main > latest.main || (r.main === latest.main && r.sub > latest.sub)) latest = { main: r.main, sub: r.sub };
  }
  return latest;
}

export async function writeStore(dbDir: string, db: BoltDb, cluster: NewCluster, bump: bigint, log: RestoreLog): Promise<number> {
  const consistentIndex = cluster.members.length;
  const backend = await Backend.open(dbDir);
  try {
    const w = new StagedWriter(backend);
    for (const bucket of COPIED) {
      const b = topBucket(db, bucket);
      if (b === null) continue;
      for (const [k, v] of b.entries()) {
        checkEntry(bucket, k, v);
        await w.put(bucket, k, v);
      }
    }
    const meta = topBucket(db, 'meta');
    if (meta !== null) {
      for (const [k, v] of meta.entries()) if (!META_REWRITTEN.has(k.toString('latin1'))) await w.put('meta', k, v);
    }
    await w.put('meta', Buffer.from('consistent_index'), encodeU64(consistentIndex));
    await w.put('meta', Buffer.from('term'), encodeU64(1));
    await w.put('meta', Buffer.from('confState'), Buffer.from(confStateJson(cluster.members.map((m) => m.id))));
    if (bump > 0n) {
      const latest = latestRevision(topBucket(db, 'key'));
      const bumped = latest.main + bump;
      log('bumping latest revision', {
        'latest-revision': latest.main.toString(),
        'bump-amount': bump.toString(),
        'new-latest-revision': bumped.toString(),
      });
      await w.put('key', encodeRevisionKey({ main: bumped, sub: 0n, tombstone: false }), Buffer.alloc(0));
      log('marking revision compacted', { revision: bumped.toString() });
      await w.put('meta', Buffer.from('scheduledCompactRev'), encodeRevisionKey({ main: bumped, sub: 0n, tombstone: false }));
    }
    await w.flush();

    // Alarms and members go through their owners, in capstan's own key layout.
    const alarms = await Alarms.load(backend);
    for (const [k] of topBucket(db, 'alarm')?.entries() ?? []) {
      const a = decodeAlarmKey(k);
      if (a !== null) alarms.apply({ action: 'ACTIVATE', memberID: a.memberId.toString(), alarm: a.alarm });
    }
    const membership = await ClusterMembership.load(backend);
    if (membership.list().length > 0) throw new Error('invariant: a fresh store already holds members');
    for (const m of cluster.members) membership.put({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: [], isLearner: false });
    await w.flush();
  } finally {
    await backend.close();
  }
  // Open it as the member will: rebuilds the key index, redoes a scheduled compaction, and fails on
  // anything the member would fail on, while nothing is in place yet.
  const store = await MvccStore.open(dbDir);
  try {
    if (store.consistentIndex !== consistentIndex) {
      throw new Error(`invariant: restored consistent index ${store.consistentIndex}, expected ${consistentIndex}`);
    }
  } finally {
    await store.close();
  }
  return consistentIndex;
}
