// The bounded window of MsgApp messages sent to one follower and not yet acknowledged. Each slot is
// the last index the message carried and its payload bytes; acknowledging index i frees slots <= i.
import { invariant } from './types.js';

export class Inflights {
  private start = 0;
  private count = 0;
  private bytes = 0;
  // The ring grows on demand up to capacity: most followers never have many messages in flight,
  // and a Progress is rebuilt on every election.
  private indexes: number[] = [];
  private sizes: number[] = [];

  constructor(readonly capacity: number, readonly maxBytes: number) {
    invariant(capacity > 0, 'inflights capacity must be positive');
  }

  private grow(): void {
    const size = Math.min(this.capacity, Math.max(4, this.indexes.length * 2));
    const indexes: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % this.indexes.length;
      indexes.push(this.indexes[slot] as number);
      sizes.push(this.sizes[slot] as number);
    }
    for (let i = this.count; i < size; i++) {
      indexes.push(0);
      sizes.push(0);
    }
    this.indexes = indexes;
    this.sizes = sizes;
    this.start = 0;
  }

  add(index: number, bytes: number): void {
    invariant(!this.full(), 'cannot add into a full inflights');
    if (this.count === this.indexes.length) this.grow();
    const ring = this.indexes.length;
    if (this.count > 0) {
      const lastSlot = (this.start + this.count - 1) % ring;
      invariant((this.indexes[lastSlot] as number) < index, 'inflight indexes must increase');
    }
    const slot = (this.start + this.count) % ring;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  freeLE(to: number): void {
    while (this.count > 0 && (this.indexes[this.start] as number) <= to) {
      this.bytes -= this.sizes[this.start] as number;
      this.start = (this.start + 1) % this.indexes.length;
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
