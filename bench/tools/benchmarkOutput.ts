import type { LatencySummary } from '../model.js';

/*
 * Parses the report etcd's tools/benchmark prints (pkg/report, run with --precise):
 *   Summary:\n  Total:\t2.0 secs.\n  ... Requests/sec:\t1496.3\n ... Latency distribution:\n  50% in 0.0005 secs.
 *   Error distribution:\n  [12]\tsome error
 */

function secondsField(text: string, label: string): number | null {
  const match = new RegExp(`^\\s*${label}:\\s*([0-9.eE+-]+) secs\\.`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

/** NaN when the tool did not print the percentile (it leaves out 99.9% for small runs); JSON shows null. */
function percentileMs(text: string, pct: string): number {
  const match = new RegExp(`^\\s*${pct.replace('.', '\\.')}% in ([0-9.eE+-]+) secs\\.`, 'm').exec(text);
  return match ? Number(match[1]) * 1000 : Number.NaN;
}

function errorCount(text: string): number {
  const at = text.indexOf('Error distribution:');
  if (at < 0) return 0;
  let errors = 0;
  for (const match of text.slice(at).matchAll(/^\s*\[(\d+)\]\t/gm)) errors += Number(match[1]);
  return errors;
}

/** The summary of one benchmark run; `attempted` is the number of requests it was asked to make. */
export function parseBenchmarkOutput(text: string, attempted: number): LatencySummary {
  const total = secondsField(text, 'Total');
  const requestsPerSecond = /^\s*Requests\/sec:\s*([0-9.eE+-]+)/m.exec(text);
  if (total === null || requestsPerSecond === null) {
    throw new Error(`benchmark printed no summary:\n${text.slice(-2000)}`);
  }
  const errors = errorCount(text);
  return {
    count: Math.max(0, attempted - errors),
    errors,
    seconds: total,
    throughput: Number(requestsPerSecond[1]),
    avgMs: (secondsField(text, 'Average') ?? 0) * 1000,
    p50Ms: percentileMs(text, '50'),
    p90Ms: percentileMs(text, '90'),
    p99Ms: percentileMs(text, '99'),
    p999Ms: percentileMs(text, '99.9'),
  };
}
