// Knobs of the peer transport. Defaults follow etcd's rafthttp where it has one.

export interface PeerTiming {
  /** Give up a TCP connect after this long (etcd: 1 s + election timeout; we do not know the latter here). */
  dialTimeoutMs: number;
  /** Give up when the other side has not answered our hello after this long. */
  handshakeTimeoutMs: number;
  /**
   * A connection whose socket buffer has not drained for this long is treated as dead (etcd's 5 s
   * ConnWriteTimeout): a stopped or wedged peer must not hold a connection forever.
   */
  writeStallTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export interface PeerQueueLimits {
  /** Per-peer bound on frames waiting for the socket (etcd's stream buffer is 4096 messages). */
  maxQueuedFrames: number;
  maxQueuedBytes: number;
}

export const DEFAULT_TIMING: PeerTiming = {
  dialTimeoutMs: 2000,
  handshakeTimeoutMs: 5000,
  writeStallTimeoutMs: 5000,
  backoffMinMs: 100,
  backoffMaxMs: 2000,
};

export const DEFAULT_QUEUE_LIMITS: PeerQueueLimits = {
  maxQueuedFrames: 4096,
  maxQueuedBytes: 64 * 1024 * 1024,
};

/** How many queued bytes one socket write may coalesce. */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Snapshot data is sent in frames of this size, so backpressure works at a fine grain. */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
