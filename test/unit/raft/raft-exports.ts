// Internals the unit tests reach into, next to the public surface.
export * from '../../../src/raft/index.js';
export { Raft } from '../../../src/raft/raft.js';
export { RaftLog } from '../../../src/raft/log.js';
export { Progress, ProgressState } from '../../../src/raft/progress.js';
export { Inflights } from '../../../src/raft/inflights.js';
export { majorityCommitted, majorityVoteResult, VoteResult } from '../../../src/raft/tracker.js';
