/*
 * The set of linearized operations, with an incrementally maintained 64-bit hash (two 32-bit halves,
 * XOR of per-operation random words, as Zobrist hashing) so the memo table never rehashes the bitset.
 */

export class LinearizedSet {
  private readonly words: Uint32Array;
  private readonly hashLo: Uint32Array;
  private readonly hashHi: Uint32Array;
  private lo = 0;
  private hi = 0;
  private count = 0;

  constructor(readonly size: number, seed: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.hashLo = new Uint32Array(size);
    this.hashHi = new Uint32Array(size);
    let x = seed >>> 0 || 0x9e3779b9;
    const next = (): number => {
      // xorshift32: deterministic, so a failure reproduces with the same memo behaviour.
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    };
    for (let i = 0; i < size; i++) {
      this.hashLo[i] = next();
      this.hashHi[i] = next();
    }
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    if (this.has(i)) throw new Error(`invariant: operation ${i} linearized twice`);
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.toggleHash(i);
    this.count++;
  }

  remove(i: number): void {
    if (!this.has(i)) throw new Error(`invariant: operation ${i} unlinearized but not linearized`);
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.toggleHash(i);
    this.count--;
  }

  get length(): number {
    return this.count;
  }

  /** The hash the set would have with `i` toggled, without changing it. */
  hashWith(i: number): string {
    return `${(this.lo ^ this.hashLo[i]!) >>> 0}:${(this.hi ^ this.hashHi[i]!) >>> 0}`;
  }

  snapshotWith(i: number): Uint32Array {
    const copy = this.words.slice();
    copy[i >>> 5]! ^= 1 << (i & 31);
    return copy;
  }

  private toggleHash(i: number): void {
    this.lo = (this.lo ^ this.hashLo[i]!) >>> 0;
    this.hi = (this.hi ^ this.hashHi[i]!) >>> 0;
  }
}

export function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
