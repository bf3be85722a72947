// Randomness is injected so that a run is a function of its seed. SeededRng is a small, fast PRNG
// (splitmix32-style mixing) good enough for election jitter and simulation schedules.

export interface Rng {
  /** A uniformly distributed integer in [0, n). */
  intn(n: number): number;
}

export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  intn(n: number): number {
    if (!(n > 0)) throw new RangeError(`intn(${n}): n must be positive`);
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.intn(items.length)] as T;
  }
}
