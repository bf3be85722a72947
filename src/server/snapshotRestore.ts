// `capstan snapshot restore`: a bbolt snapshot (from etcd or capstan) into a new capstan data directory,
// following etcdutl's restore (etcdutl/snapshot/v3_snapshot.go @v3.5.21): check the sha256, drop the old
// membership, optionally bump the revision and mark it compacted, found a new cluster from
// --initial-cluster/--initial-cluster-token, and set the consistent index to the number of members at
// term 1 (etcd's n bootstrap conf changes). The WAL gets what etcd's restore leaves in its WAL: a
// snapshot marker at that index with the new voters, and the hard state.
//
// Nothing is written unless everything succeeds: the directory is built beside the target and renamed
// into place at the end.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Backend, type BucketName } from '../mvcc/backend.js';
import { decodeKeyValue, decodeLease } from '../mvcc/keyValueCodec.js';
import { MvccStore } from '../mvcc/store.js';
import type { BoltBucket, BoltDb } from '../snapshot/bbolt/index.js';
import { BoltFormatError, openBolt } from '../snapshot/bbolt/index.js';
import { confStateJson } from '../snapshot/etcdSchema.js';
import { decodeAlarmKey, encodeU64 } from '../snapshot/etcdRecords.js';
import { decodeRevisionKey, encodeRevisionKey } from '../snapshot/revisionKey.js';
import { verifySnapshotFile } from '../snapshot/stream.js';
import { Alarms } from './alarms.js';
import { verifyBootstrap } from './config/bootstrapCheck.js';
import type { Config } from './config/config.js';
import { parseUrls, parseUrlsMap, type ParsedUrl } from './config/urls.js';
import { DATA_FORMAT_VERSION, layout, writeFileAtomic, writeIdentity } from './dataDir.js';
import { hardStateRecord, snapshotRecord } from './log/entryRecord.js';
import { ClusterMembership } from './membership/cluster.js';
import { computeClusterId, computeMemberId } from './membership/ids.js';
import { Wal } from './wal/index.js';
import { fsyncDir } from './wal/durable-fs.js';

export interface RestoreOptions {
  snapshotPath: string;
  name: string;
  /** '' means `<name>.etcd`, as etcdutl. */
  dataDir: string;
  /** '' means `<data-dir>/member/wal`. */
  walDir: string;
  initialCluster: string;
  initialClusterToken: string;
  /** Comma-separated, as the flag. */
  initialAdvertisePeerUrls: string;
  skipHashCheck: boolean;
  bumpRevision: bigint;
  markCompacted: boolean;
}

export interface RestoreResult {
  dataDir: string;
  walDir: string;
  clusterId: bigint;
  memberId: bigint;
  consistentIndex: number;
}

export type RestoreLog = (msg: string, fields: Record<string, string | number>) => void;

/** Buckets copied byte for byte: capstan's backend keeps them exactly as etcd does. */
const COPIED: readonly BucketName[] = ['auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease'];
/** meta entries restore rewrites (etcd's updateCIndex; confState follows the new voters). */
const META_REWRITTEN = new Set(['consistent_index', 'term', 'confState']);
/** Staged writes per backend commit, so a large snapshot is not held twice in memory. */
const COMMIT_EVERY = 10_000;

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function isEmptyDir(p: string): Promise<boolean> {
  try {
    return (await fs.readdir(p)).length === 0;
  } catch {
    return false;
  }
}

/** Go's os error text for a failed open, which etcdutl prints as is. */
async function readSnapshotFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`open ${file}: no such file or directory`);
    if (e.code === 'EISDIR') throw new Error(`read ${file}: is a directory`);
    if (e.code === 'EACCES') throw new Error(`open ${file}: permission denied`);
    throw error;
  }
}

function parseBump(opts: RestoreOptions): bigint {
  if ((opts.bumpRevision === 0n && opts.markCompacted) || (opts.bumpRevision > 0n && !opts.markCompacted)) {
    throw new Error('--mark-compacted required if --revision-bump > 0');
  }
  return opts.bumpRevision;
}

interface NewCluster {
  clusterId: bigint;
  memberId: bigint;
  members: { id: bigint; name: string; peerUrls: string[] }[];
}

/** etcd's VerifyBootstrap and NewClusterFromURLsMap: the new identity, the same IDs `etcd` would derive. */
function newCluster(opts: RestoreOptions): NewCluster {
  const peerUrls: ParsedUrl[] = parseUrls(opts.initialAdvertisePeerUrls);
  const initialClusterMembers = parseUrlsMap(opts.initialCluster);
  // verifyBootstrap reads only these three fields of the member config (etcdutl builds a partial
  // ServerConfig the same way); the rest of a member's config means nothing to a restore.
  const bootstrapFields: Pick<Config, 'name' | 'initialAdvertisePeerUrls' | 'initialClusterMembers'> = {
    name: opts.name,
    initialAdvertisePeerUrls: peerUrls,
    initialClusterMembers,
  };
  const cfg = bootstrapFields as unknown as Config;
  verifyBootstrap(cfg);
  const members = [...initialClusterMembers].map(([name, urls]) => {
    const urlTexts = urls.map((u) => u.text);
    return { id: computeMemberId(urlTexts, opts.initialClusterToken), name, peerUrls: urlTexts };
  });
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const self = members.find((m) => m.name === opts.name);
  if (self === undefined) throw new Error(`couldn't find local name "${opts.name}" in the initial cluster configuration`);
  return { clusterId: computeClusterId(members.map((m) => m.id)), memberId: self.id, members };
}

function openSnapshotDb(image: Buffer): BoltDb {
  try {
    return openBolt(image);
  } catch (error) {
    if (error instanceof BoltFormatError) throw new Error(`snapshot is not a valid bbolt database: ${error.message}`);
    throw error;
  }
}

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

async function writeStore(dbDir: string, db: BoltDb, cluster: NewCluster, bump: bigint, log: RestoreLog): Promise<number> {
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

async function writeWal(walDir: string, cluster: NewCluster, index: number): Promise<void> {
  const voters = cluster.members.map((m) => m.id);
  const { wal } = await Wal.open(walDir);
  try {
    await wal.append([
      snapshotRecord({ index, term: 1, confState: { voters, learners: [] } }),
      hardStateRecord({ term: 1, vote: voters[0] ?? 0n, commit: index }),
    ]);
  } finally {
    await wal.close();
  }
}

export async function restoreSnapshot(opts: RestoreOptions, log: RestoreLog): Promise<RestoreResult> {
  const bump = parseBump(opts);
  const cluster = newCluster(opts);
  const dataDir = opts.dataDir === '' ? `${opts.name}.etcd` : opts.dataDir;
  if ((await exists(dataDir)) && !(await isEmptyDir(dataDir))) throw new Error(`data-dir "${dataDir}" not empty or could not be read`);
  const separateWal = opts.walDir !== '';
  if (separateWal && (await exists(opts.walDir))) throw new Error(`wal-dir "${opts.walDir}" exists`);
  const walDir = separateWal ? opts.walDir : path.join(dataDir, 'member', 'wal');
  log('restoring snapshot', { path: opts.snapshotPath, 'wal-dir': walDir, 'data-dir': dataDir, 'snap-dir': path.join(dataDir, 'member', 'snap') });

  const file = await readSnapshotFile(opts.snapshotPath);
  const { db: image } = verifySnapshotFile(file, { skipHashCheck: opts.skipHashCheck });
  const db = openSnapshotDb(image);

  const stamp = `${process.pid}-${Date.now()}`;
  const tmpData = path.join(path.dirname(path.resolve(dataDir)), `.${path.basename(dataDir)}.restoring-${stamp}`);
  const tmpWal = separateWal ? path.join(path.dirname(path.resolve(walDir)), `.${path.basename(walDir)}.restoring-${stamp}`) : '';
  const dirs = layout(tmpData, tmpWal);
  try {
    await fs.mkdir(path.dirname(dirs.db), { recursive: true, mode: 0o700 });
    await writeFileAtomic(dirs.formatFile, `${DATA_FORMAT_VERSION}\n`);
    const consistentIndex = await writeStore(dirs.db, db, cluster, bump, log);
    await fs.mkdir(dirs.wal, { recursive: true, mode: 0o700 });
    await writeWal(dirs.wal, cluster, consistentIndex);
    await writeIdentity(dirs, { clusterId: cluster.clusterId.toString(), memberId: cluster.memberId.toString(), members: [] });
    await fsyncDir(dirs.member);
    if (separateWal) {
      await fs.mkdir(path.dirname(path.resolve(walDir)), { recursive: true });
      await fs.rename(tmpWal, walDir);
    }
    // rename() replaces an empty directory, which etcdutl also accepts as the target.
    await fs.rename(tmpData, dataDir);
    await fsyncDir(path.dirname(path.resolve(dataDir)));
    log('restored snapshot', { path: opts.snapshotPath, 'wal-dir': walDir, 'data-dir': dataDir, 'snap-dir': path.join(dataDir, 'member', 'snap') });
    return { dataDir, walDir, clusterId: cluster.clusterId, memberId: cluster.memberId, consistentIndex };
  } catch (error) {
    await fs.rm(tmpData, { recursive: true, force: true });
    if (separateWal) await fs.rm(tmpWal, { recursive: true, force: true });
    throw error;
  }
}
