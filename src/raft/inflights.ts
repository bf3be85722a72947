// The bounded window of MsgApp messages sent to one follower and not yet acknowledged. Each slot is
// the last index the message carried and its payload bytes; acknowledging index i frees slots <= i.
import { invariant } from './types.js';

export class Inflights {
  private start = 0;
  private count = 0;
  private bytes = 0;
  private readonly indexes: number[];
  private readonly sizes: number[];

  constructor(readonly capacity: number, readonly maxBytes: number) {
    invariant(capacity > 0, 'inflights capacity must be positive');
    this.indexes = new Array<number>(capacity).fill(0);
    this.sizes = new Array<number>(capacity).fill(0);
  }

  clone(): Inflights {
    const c = new Inflights(this.capacity, this.maxBytes);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % this.capacity;
      c.add(this.indexes[slot] as number, this.sizes[slot] as number);
    }
    return c;
  }

  add(index: number, bytes: number): void {
    invariant(!this.full(), 'cannot add into a full inflights');
    if (this.count > 0) {
      const lastSlot = (this.start + this.count - 1) % this.capacity;
      invariant((this.indexes[lastSlot] as number) < index, 'inflight indexes must increase');
    }
    const slot = (this.start + this.count) % this.capacity;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  freeLE(to: number): void {
    while (this.count > 0 && (this.indexes[this.start] as number) <= to) {
      this.bytes -= this.sizes[this.start] as number;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  size(): number {
    return this.count;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
