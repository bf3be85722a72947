export { Wal, DEFAULT_SEGMENT_BYTES } from './wal.js';
export type { WalOptions, WalOpenResult, WalRepair, SegmentInfo } from './wal.js';
export type { WalRecord } from './record.js';
export { WalCorruptError, WalFailedError, WalClosedError } from './errors.js';
