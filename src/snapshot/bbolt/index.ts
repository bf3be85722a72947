export { openBolt, type BoltDb } from './reader.js';
export type { BoltBucket, BoltItem } from './bucket.js';
export { writeBolt, type BoltWriteInput, type BoltEntries, type BoltValueInput, type NestedBucketInput } from './writer.js';
export { BoltFormatError, BoltIntegrityError, BoltWriteError } from './errors.js';
export { PGID_NO_FREELIST } from './layout.js';
