// The snapshot stream etcd's Maintenance.Snapshot sends and etcdutl restore checks: the bbolt image
// followed by its sha256 (v3rpc/maintenance.go, etcdutl/snapshot/v3_snapshot.go copyAndVerifyDB).
import { createHash } from 'node:crypto';

export const SHA256_SIZE = 32;
/** etcd's chunk size for Snapshot messages (snapshotSendBufferSize). */
export const SNAPSHOT_CHUNK_SIZE = 32 * 1024;

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** etcd's hasChecksum: a saved snapshot is the db (a multiple of 512 bytes) plus a 32-byte sha. */
export function hasSha256Trailer(fileSize: number): boolean {
  return fileSize % 512 === SHA256_SIZE;
}

/** What `etcdctl snapshot save` writes: the image followed by sha256(image). */
export function appendSha256(db: Buffer): Buffer {
  return Buffer.concat([db, sha256(db)]);
}

export interface VerifiedSnapshot {
  /** The bbolt image without the trailer. */
  db: Buffer;
  hasHash: boolean;
  /** The trailer matched; false when there is none or the check was skipped and it did not match. */
  hashOk: boolean;
}

/** Go's %v of a []byte: "[1 2 255]". etcd prints the sha mismatch that way. */
function goBytes(b: Buffer): string {
  return `[${[...b].join(' ')}]`;
}

/** etcdutl's copyAndVerifyDB: strip the trailer by the size rule, compare unless skipHashCheck. */
export function verifySnapshotFile(file: Buffer, opts: { skipHashCheck?: boolean } = {}): VerifiedSnapshot {
  const skip = opts.skipHashCheck ?? false;
  const hasHash = hasSha256Trailer(file.length);
  if (!hasHash) {
    if (!skip) throw new Error('snapshot missing hash but --skip-hash-check=false');
    return { db: file, hasHash, hashOk: false };
  }
  const db = file.subarray(0, file.length - SHA256_SIZE);
  const expected = file.subarray(file.length - SHA256_SIZE);
  const actual = sha256(db);
  const hashOk = actual.equals(expected);
  if (!hashOk && !skip) throw new Error(`expected sha256 ${goBytes(expected)}, got ${goBytes(actual)}`);
  return { db, hasHash, hashOk };
}

export interface SnapshotMessage {
  remainingBytes: number;
  blob: Buffer;
}

/** The SnapshotResponse sequence etcd sends for an image: 32 KiB chunks, then one message with the sha. */
export function* snapshotMessages(db: Buffer, chunkSize = SNAPSHOT_CHUNK_SIZE): Generator<SnapshotMessage> {
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error(`invariant: chunk size ${chunkSize} must be positive`);
  const hash = createHash('sha256');
  for (let sent = 0; sent < db.length; ) {
    const blob = db.subarray(sent, Math.min(db.length, sent + chunkSize));
    sent += blob.length;
    hash.update(blob);
    yield { remainingBytes: db.length - sent, blob };
  }
  yield { remainingBytes: 0, blob: hash.digest() };
}
