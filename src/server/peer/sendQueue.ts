// Frames waiting for one peer's connection. Bounded in count and bytes: when the peer is slow or
// gone, new frames are refused rather than letting memory grow (raft resends what is lost).

/** One frame as the parts it is written from (a header and a body kept apart avoid copying the body). */
export type QueuedFrame = readonly Uint8Array[];

export function frameLength(frame: QueuedFrame): number {
  let n = 0;
  for (const part of frame) n += part.length;
  return n;
}

export interface SendQueueLimits {
  maxFrames: number;
  maxBytes: number;
}

export class SendQueue {
  private frames: QueuedFrame[] = [];
  private lengths: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: SendQueueLimits) {
    if (!(limits.maxFrames > 0 && limits.maxBytes > 0)) throw new Error('send queue limits must be positive');
  }

  get length(): number {
    return this.frames.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** False (and nothing queued) when the frame would exceed a bound. */
  offer(frame: QueuedFrame): boolean {
    const length = frameLength(frame);
    if (this.length + 1 > this.limits.maxFrames) return false;
    // A single frame larger than the byte bound still goes through an empty queue, else it could never be sent.
    if (this.length > 0 && this.bytes + length > this.limits.maxBytes) return false;
    this.frames.push(frame);
    this.lengths.push(length);
    this.bytes += length;
    return true;
  }

  /** Removes frames from the front, up to about `maxBytes` (at least one frame). */
  takeBatch(maxBytes: number): QueuedFrame[] {
    const out: QueuedFrame[] = [];
    let taken = 0;
    while (this.head < this.frames.length && (out.length === 0 || taken + this.lengths[this.head]! <= maxBytes)) {
      out.push(this.frames[this.head]!);
      taken += this.lengths[this.head]!;
      this.head++;
    }
    this.bytes -= taken;
    if (this.length === 0) {
      this.frames = [];
      this.lengths = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.lengths = this.lengths.slice(this.head);
      this.head = 0;
    }
    if (this.bytes < 0) throw new Error('invariant: send queue byte count went negative');
    return out;
  }

  clear(): number {
    const dropped = this.length;
    this.frames = [];
    this.lengths = [];
    this.head = 0;
    this.bytes = 0;
    return dropped;
  }
}
