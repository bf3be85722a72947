// What the server needs from consensus, whatever implements it: the single-member log today, the Raft
// core once members replicate (issue 4). Handlers and the applier only ever see this interface.

export interface CommittedEntry {
  index: number;
  term: number;
  data: Uint8Array;
  /** A membership change (raft ConfChange) rather than a client request. */
  confChange: boolean;
}

export interface ConsensusLog {
  /** Hands a request to consensus; fails at once when it cannot be accepted (no leader, overload). */
  propose(data: Uint8Array): Promise<void>;
  /**
   * The index a linearizable read must wait for: every entry committed before the read began is at or
   * below it. The caller waits until its applied index reaches it, then reads locally.
   */
  readIndex(): Promise<number>;
  readonly isLeader: boolean;
  readonly leaderId: bigint;
  readonly term: number;
  readonly committedIndex: number;
  /** Starts delivering committed entries the store has not applied, in order, one batch at a time. */
  start(apply: (entries: CommittedEntry[]) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}
