import type { Measurement, Ratio } from '../model.js';

function usable(m: Measurement): boolean {
  return m.count > 0;
}

/** capstan/etcd, NaN when etcd's figure is 0 or either is missing (JSON shows null). */
function divide(capstan: number | null, etcd: number | null): number {
  if (capstan === null || etcd === null || !Number.isFinite(capstan) || !Number.isFinite(etcd) || etcd <= 0) return Number.NaN;
  return capstan / etcd;
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
      p50: divide(c.p50Ms, e.p50Ms),
      p99: divide(c.p99Ms, e.p99Ms),
      throughput: divide(c.throughput, e.throughput),
    });
  }
  return ratios;
}

/** Median of a list of numbers (NaN for none). */
export function median(values: readonly (number | null)[]): number {
  const sorted = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
