// Copies of long-lived small byte strings, packed into slabs that hold nothing else. A Uint8Array
// carved from node's shared Buffer pool keeps the pool's whole 8 KiB slab alive, slab and all the
// short-lived bytes around it: the in-memory raft log held 30-37 MiB of slabs for a few MiB of entry
// data (heap snapshot after the bench's load). Data kept in arrival order and dropped in that order
// (the raft log) frees its slabs as it goes; the MVCC store keeps its keys and latest values here too.

const LARGE_FRACTION = 4;
const EMPTY = new Uint8Array(0);

export class ByteArena {
  private slab = new Uint8Array(0);
  private used = 0;

  constructor(private readonly slabBytes = 64 * 1024) {
    if (!(slabBytes > 0)) throw new Error(`invariant: arena slab of ${slabBytes} bytes`);
  }

  /** Whether `copy` packs `n` bytes into a shared slab (larger data gets a buffer of its own). */
  packs(n: number): boolean {
    return n > 0 && n <= this.slabBytes / LARGE_FRACTION;
  }

  /** `copy` as a Buffer (a view of the same bytes). */
  copyBuffer(data: Uint8Array): Buffer {
    const out = this.copy(data);
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  }

  /** A copy of `data` that shares memory with nothing but other arena copies (callers must not write to it). */
  copy(data: Uint8Array): Uint8Array {
    const n = data.length;
    if (n === 0) return EMPTY;
    if (!this.packs(n)) {
      // Large: a buffer of its own (not data.slice(), which on a Buffer is a view).
      const own = new Uint8Array(n);
      own.set(data);
      return own;
    }
    if (this.slab.length - this.used < n) {
      this.slab = new Uint8Array(this.slabBytes);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + n);
    out.set(data);
    this.used += n;
    return out;
  }
}
