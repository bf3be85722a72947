// The raft package's public surface.
export * from './types.js';
export * from './codec.js';
export { ErrCompacted, ErrSnapOutOfDate, ErrSnapshotTemporarilyUnavailable, ErrUnavailable, MemoryStorage, StorageError, limitSize } from './storage.js';
export type { InitialState, Storage } from './storage.js';
export { type Rng, SeededRng } from './rng.js';
export { ProposalDroppedError, type RaftConfig } from './raft.js';
export { RaftNode, type RaftNodeConfig, type Ready, type Status, type ProgressStatus, type SnapshotStatus } from './raw-node.js';
