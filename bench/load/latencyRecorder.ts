import type { LatencySummary } from '../model.js';

/**
 * Collects latencies into a preallocated array (bounded: a run never records more than it planned)
 * and summarises them with the nearest-rank percentiles etcd's benchmark reports.
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private length = 0;
  errors = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`LatencyRecorder: bad capacity ${capacity}`);
    this.samples = new Float64Array(capacity);
  }

  get count(): number {
    return this.length;
  }

  record(ms: number): void {
    if (this.length >= this.samples.length) {
      throw new Error(`LatencyRecorder: more than ${this.samples.length} samples; the run overshot its plan`);
    }
    this.samples[this.length++] = ms;
  }

  summary(seconds: number): LatencySummary {
    return summarise(this.samples.subarray(0, this.length), this.errors, seconds);
  }
}

export function summarise(values: Float64Array, errors: number, seconds: number): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  const count = sorted.length;
  return {
    count,
    errors,
    seconds,
    throughput: seconds > 0 ? count / seconds : 0,
    avgMs: count > 0 ? total / count : 0,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
  };
}

/** Nearest rank on a sorted array; 0 for no samples. */
export function percentile(sorted: Float64Array, pct: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((pct / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}
