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
import type { BoltDb } from '../snapshot/bbolt/index.js';
import { BoltFormatError, openBolt } from '../snapshot/bbolt/index.js';
import { verifySnapshotFile } from '../snapshot/stream.js';
import { verifyBootstrap } from './config/bootstrapCheck.js';
import type { Config } from './config/config.js';
import { parseUrls, parseUrlsMap, type ParsedUrl } from './config/urls.js';
import { DATA_FORMAT_VERSION, layout, writeFileAtomic, writeIdentity } from './dataDir.js';
import { hardStateRecord, snapshotRecord } from './log/entryRecord.js';
import { computeClusterId, computeMemberId } from './membership/ids.js';
import { Wal } from './wal/index.js';
import { fsyncDir } from './wal/durable-fs.js';
import { type NewCluster, type RestoreLog, writeStore } from './snapshotRestoreStore.js';

export type { RestoreLog } from './snapshotRestoreStore.js';

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
    await writeIdentity(dirs, { clusterId: cluster.clusterId.toString(), memberId: cluster.memberId.toString() });
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
