import type { BenchReport, Measurement, WorkloadName } from '../model.js';
import { median } from './ratios.js';

/*
 * The human-readable report: one table per workload with both systems side by side and the
 * capstan/etcd ratios from the same run, then memory, recovery and `etcdctl check perf`.
 */

const TITLES: Record<WorkloadName, string> = {
  put: 'Writes (put, 8-byte sequential keys, 256-byte values, to the leader)',
  'range-l': 'Linearizable reads (range of one key, spread over all members)',
  'range-s': 'Serializable reads (range of one key, spread over all members)',
  watch: 'Watch delivery latency (100 watchers on one key, puts at a fixed rate; ops/s = deliveries/s)',
};

// JSON turns NaN (a figure the tool did not report) into null, so both mean "missing".
const missing = (v: number | null | undefined): v is null | undefined => v === null || v === undefined || !Number.isFinite(v);
const ms = (v: number | null): string => (missing(v) ? '–' : v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0));
const rate = (v: number | null): string => (missing(v) ? '–' : v.toFixed(0));
const ratio = (v: number | null | undefined): string => (missing(v) ? '–' : `${v.toFixed(2)}×`);
const mib = (kib: number): string => (kib / 1024).toFixed(0);

function cells(m: Measurement | undefined): string[] {
  if (m === undefined) return ['n/a', '', '', '', ''];
  if (m.count === 0) return [m.note ?? 'no data', '', '', '', ''];
  return [ms(m.p50Ms), ms(m.p90Ms), ms(m.p99Ms), ms(m.p999Ms), rate(m.throughput) + (m.note ? ` (${m.note})` : '')];
}

function workloadTable(report: BenchReport, workload: WorkloadName): string[] {
  const rows = report.measurements.filter((m) => m.workload === workload);
  if (rows.length === 0) return [];
  const keys = [...new Set(rows.map((m) => `${m.members}|${m.tool}|${m.clients}|${m.conns}`))];
  const lines = [
    `### ${TITLES[workload]}`, '',
    'Latency in ms. ×: capstan/etcd (latency: above 1 is slower; ops/s: above 1 is faster).', '',
    '| members | tool | clients/conns | etcd p50 | p90 | p99 | p99.9 | ops/s | capstan p50 | p90 | p99 | p99.9 | ops/s | p50 × | p99 × | ops/s × |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const key of keys) {
    const [members, tool, clients, conns] = key.split('|');
    const pick = (system: string): Measurement | undefined => rows.find((m) => m.system === system &&
      String(m.members) === members && m.tool === tool && String(m.clients) === clients);
    const r = report.ratios.find((x) => x.workload === workload && String(x.members) === members && x.tool === tool && String(x.clients) === clients);
    const skippedCapstan = report.skipped.find((s) => s.system === 'capstan' && String(s.members) === members);
    const capstan = pick('capstan');
    const capstanCells = capstan === undefined && skippedCapstan !== undefined ? ['not supported yet', '', '', '', ''] : cells(capstan);
    lines.push(`| ${members} | ${tool} | ${clients}/${conns} | ${cells(pick('etcd')).join(' | ')} | ${capstanCells.join(' | ')} | ` +
      `${ratio(r?.p50)} | ${ratio(r?.p99)} | ${ratio(r?.throughput)} |`);
  }
  return [...lines, ''];
}

function headline(report: BenchReport): string[] {
  const lines = ['## Headline: median capstan/etcd ratios in this run', '',
    '| workload | tool | pairs | p50 × (median) | p99 × (median) | ops/s × (median) |', '| --- | --- | ---: | ---: | ---: | ---: |'];
  const groups = [...new Set(report.ratios.map((r) => `${r.workload}|${r.tool}`))];
  for (const group of groups) {
    const [workload, tool] = group.split('|');
    const rs = report.ratios.filter((r) => r.workload === workload && r.tool === tool);
    lines.push(`| ${workload} | ${tool} | ${rs.length} | ${ratio(median(rs.map((r) => r.p50)))} | ${ratio(median(rs.map((r) => r.p99)))} | ${ratio(median(rs.map((r) => r.throughput)))} |`);
  }
  if (groups.length === 0) lines.push('| (no pair measured by both systems) | | | | | |');
  return [...lines, ''];
}

export function markdownReport(report: BenchReport, svgName: string): string {
  const { machine, versions } = report;
  const lines: string[] = [
    `# capstan vs etcd — ${report.mode} run`, '',
    `- Run: ${report.startedAt} → ${report.finishedAt}`,
    `- Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryMiB} MiB memory, ${machine.kernel}, Node ${machine.node}`,
    `- 1-minute load average: ${machine.loadAverageStart.toFixed(1)} at the start, ${machine.loadAverageEnd.toFixed(1)} at the end ` +
      `(above the core count means other work shared the CPUs with both systems)`,
    `- Versions: capstan ${versions.capstan} (commit ${versions.capstanCommit}); etcd ${versions.etcd}; benchmark ${versions.benchmark}; etcdctl ${versions.etcdctl}`,
    ...report.settings.map((s) => `- ${s}`),
    '', `![put latency against member count](${svgName})`, '',
  ];
  lines.push(...headline(report));
  if (report.skipped.length > 0) {
    lines.push('## Not measured', '');
    for (const s of report.skipped) lines.push(`- ${s.system}, ${s.members} member${s.members === 1 ? '' : 's'}: not supported yet — ${s.reason}`);
    lines.push('');
  }
  lines.push('## Latency and throughput', '');
  for (const workload of ['put', 'range-l', 'range-s', 'watch'] as const) lines.push(...workloadTable(report, workload));
  if (report.memory.length > 0) {
    lines.push('## Memory of each member after the load (RSS / peak RSS, MiB)', '', '| system | members | RSS per member | peak RSS per member | RSS total |', '| --- | ---: | --- | --- | ---: |');
    for (const m of report.memory) {
      lines.push(`| ${m.system} | ${m.members} | ${m.rssKiB.map(mib).join(', ')} | ${m.peakRssKiB.map(mib).join(', ')} | ${mib(m.rssKiB.reduce((a, b) => a + b, 0))} |`);
    }
    lines.push('');
  }
  if (report.recovery.length > 0) {
    lines.push('## Startup (recovery) time and memory, one member', '',
      '| system | keys | load time s | data dir MiB | RSS after load MiB | restart → serving s | RSS after restart MiB | note |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const r of report.recovery) {
      lines.push(`| ${r.system} | ${r.keys} | ${r.loadSeconds.toFixed(1)} | ${(r.dataDirBytes / 1048576).toFixed(1)} | ${mib(r.rssAfterLoadKiB)} | ` +
        `${r.startupSeconds.toFixed(2)} | ${mib(r.rssAfterRestartKiB)} | ${r.note ?? ''} |`);
    }
    lines.push('');
  }
  if (report.checkPerf.length > 0) {
    lines.push('## etcdctl check perf', '');
    for (const c of report.checkPerf) {
      lines.push(`- ${c.system}, ${c.members} member${c.members === 1 ? '' : 's'}, --load=${c.load}: **${c.passed ? 'PASS' : 'FAIL'}**`);
      for (const l of c.lines) lines.push(`  - ${l}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
