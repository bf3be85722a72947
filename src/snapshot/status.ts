// `etcdutl snapshot status` figures for a bbolt image, computed as etcd 3.4/3.5 compute them
// (etcdutl/snapshot/v3_snapshot.go Status): CRC-32C over every bucket name, key and value in byte
// order, the last revision in the `key` bucket, the count of all entries, and tx.Size().
import { BoltIntegrityError, openBolt, type BoltDb } from './bbolt/index.js';
import { Crc32c } from '../mvcc/crc32c.js';
import { decodeRevisionKey } from './revisionKey.js';

export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

const EMPTY = Buffer.alloc(0);

/** Opens the image (a trailing sha256 is ignored, as bbolt ignores bytes past pgid*pageSize). */
export function snapshotStatus(image: Buffer): SnapshotStatus {
  let db: BoltDb;
  try {
    db = openBolt(image);
  } catch (e) {
    // etcd collects every tx.Check error; we stop at the first, so the count is 1.
    if (e instanceof BoltIntegrityError) throw new Error(`snapshot file integrity check failed. 1 errors found.\n${e.message}`);
    throw e;
  }
  return statusOf(db);
}

export function statusOf(db: BoltDb): SnapshotStatus {
  const h = new Crc32c();
  let revision = 0n;
  let totalKey = 0;
  for (const top of db.root.items()) {
    const name = top.key;
    const bucket = top.value === null ? db.bucket(name) : undefined;
    if (bucket === undefined) throw new Error(`cannot get hash of bucket ${name.toString('utf8')}`);
    h.update(name);
    const isKeyBucket = name.equals(KEY_BUCKET);
    for (const item of bucket.items()) {
      h.update(item.key);
      h.update(item.value ?? EMPTY);
      if (isKeyBucket) revision = decodeRevisionKey(item.key).main;
      totalKey++;
    }
  }
  if (revision > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`revision ${revision} does not fit a safe integer`);
  return { hash: h.digest(), revision: Number(revision), totalKey, totalSize: db.size };
}

const KEY_BUCKET = Buffer.from('key');
