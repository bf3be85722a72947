import { performance } from 'node:perf_hooks';

/** The one monotonic clock every client, watcher and fault of a run reads: milliseconds since the run began. */
export class RunClock {
  private readonly origin = performance.now();
  now(): number {
    return performance.now() - this.origin;
  }
}
