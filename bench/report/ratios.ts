import type { Measurement, Ratio } from '../model.js';

function usable(m: Measurement): boolean {
  return m.count > 0 && m.p50Ms > 0;
}

/** capstan/etcd for every (members, tool, workload, clients) both systems measured in this run. */
export function computeRatios(measurements: readonly Measurement[]): Ratio[] {
  const ratios: Ratio[] = [];
  for (const c of measurements) {
    if (c.system !== 'capstan' || !usable(c)) continue;
    const e = measurements.find((m) => m.system === 'etcd' && m.members === c.members && m.tool === c.tool &&
      m.workload === c.workload && m.clients === c.clients && usable(m));
    if (e === undefined) continue;
    ratios.push({
      members: c.members,
      tool: c.tool,
      workload: c.workload,
      clients: c.clients,
      p50: c.p50Ms / e.p50Ms,
      p99: e.p99Ms > 0 ? c.p99Ms / e.p99Ms : 0,
      throughput: e.throughput > 0 ? c.throughput / e.throughput : 0,
    });
  }
  return ratios;
}

/** Median of a list of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
