// The snapshot layer's public surface: bbolt images in and out, etcd's stream framing and status figures,
// and the encodings of etcd's backend schema. Server wiring (save/restore) builds on these.
export * from './bbolt/index.js';
export { snapshotStatus, statusOf, type SnapshotStatus } from './status.js';
export {
  appendSha256,
  hasSha256Trailer,
  sha256,
  snapshotMessages,
  verifySnapshotFile,
  SNAPSHOT_CHUNK_SIZE,
  type SnapshotMessage,
  type VerifiedSnapshot,
} from './stream.js';
export { decodeRevisionKey, encodeRevisionKey, type RevisionKey } from './revisionKey.js';
export {
  confStateJson,
  encodeLease,
  etcdBackendBuckets,
  EtcdBucket,
  ETCD_BUCKET_NAMES,
  type EtcdBackendContent,
  type EtcdLeaseRecord,
  type RevisionRecord,
} from './etcdSchema.js';
