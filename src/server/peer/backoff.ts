// Reconnect delays: exponential from `minMs` to `maxMs`, each drawn from [d/2, d] so members that
// lost a peer at the same moment do not all redial it in lockstep.

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Uniform in [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    if (!(opts.minMs > 0 && opts.maxMs >= opts.minMs)) throw new Error(`invalid backoff ${opts.minMs}..${opts.maxMs} ms`);
    this.random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt; each call doubles the ceiling up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
