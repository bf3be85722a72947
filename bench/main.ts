import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllChildren } from '../test/support/processes.js';
import { referenceBinary } from '../test/support/referencePaths.js';
import { runCheckPerf } from './checkPerf.js';
import { ClusterUnavailable, startBenchCluster } from './cluster/benchCluster.js';
import { machineInfo, versions } from './machine.js';
import type { BenchReport, CheckPerfResult, SystemName } from './model.js';
import { type BenchOptions, parseOptions } from './options.js';
import { runProfile } from './profile/runProfile.js';
import { markdownReport } from './report/markdown.js';
import { computeRatios } from './report/ratios.js';
import { latencyChartSvg } from './report/svgChart.js';
import { measureRecovery } from './recovery.js';
import { log, runSize } from './runSize.js';

/*
 * `npm run bench`: capstan and etcd side by side at each member count, one system at a time, then
 * recovery and `etcdctl check perf`; writes bench-<mode>.{json,md,svg} to the output directory.
 */

async function checkPerfFor(system: SystemName, sizes: readonly number[], load: string): Promise<CheckPerfResult | null> {
  for (const size of sizes) {
    const baseDir = mkdtempSync(path.join(os.tmpdir(), `capstan-bench-checkperf-${system}-`));
    try {
      const cluster = await startBenchCluster(system, size, baseDir);
      try {
        log(`check perf --load=${load} on ${size} ${system} member(s) (60 s)`);
        return await runCheckPerf(system, cluster.endpoints, load);
      } finally {
        await cluster.stop();
      }
    } catch (err) {
      if (!(err instanceof ClusterUnavailable)) throw err;
      log(`check perf: ${err.message}; trying fewer members`);
    }
  }
  return null;
}

async function runBench(options: BenchOptions): Promise<void> {
  const { plan } = options;
  const report: BenchReport = {
    mode: plan.mode,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: machineInfo(),
    versions: versions(),
    settings: [
      'Both systems run with default settings and the same etcd flags, one system at a time, every member on 127.0.0.1, data under the OS temp dir.',
      `Load tools: ${plan.tools.join(', ')} (benchmark = etcd's tools/benchmark; ts-load = capstan's bench/load on @grpc/grpc-js).`,
      `Steps: ${plan.steps.map((s) => `${s.workload} ${s.clients}c/${s.conns}conn×${s.total}`).join('; ')}; per-step limit ${plan.maxStepSeconds} s.`,
      `Every fresh cluster of either system first gets the same unmeasured warm-up (bench/warmUp.ts: puts and reads at 16 clients, then each workload at one client and 100 watchers${plan.mode === 'quick' ? ', a quarter of the counts' : ''}), and every step one unmeasured run of itself (at least 2,000 requests${plan.mode === 'quick' ? ', 500 in --quick' : ''}; watch steps their own count) just before it is measured: capstan's JIT needs a few thousand calls to reach its steady rate, and again after a change of workload.`,
    ],
    measurements: [],
    memory: [],
    skipped: [],
    recovery: [],
    checkPerf: [],
    ratios: [],
  };
  if (plan.tools.includes('benchmark') && referenceBinary('benchmark') === null) {
    plan.tools = plan.tools.filter((t) => t !== 'benchmark');
    report.settings.push('etcd\'s benchmark tool is not built here (npm run reference); only ts-load ran.');
  }
  if (plan.tools.length === 0) throw new Error('bench: no load tool available');
  let systems = options.systems;
  if (systems.includes('etcd') && referenceBinary('etcd') === null) {
    systems = systems.filter((s) => s !== 'etcd');
    for (const members of plan.sizes) report.skipped.push({ system: 'etcd', members, reason: 'etcd is not built here (npm run reference)' });
  }

  for (const size of plan.sizes) {
    for (const system of systems) {
      const result = await runSize(system, size, plan);
      report.measurements.push(...result.measurements);
      if (result.memory) report.memory.push(result.memory);
      if (result.skipped) report.skipped.push(result.skipped);
    }
  }
  for (const keys of plan.recoveryKeys) {
    for (const system of systems) {
      log(`recovery: ${system} with ${keys} keys`);
      try {
        report.recovery.push(await measureRecovery(system, keys, Math.max(300, keys / 1000)));
      } catch (err) {
        report.recovery.push({ system, keys, loadSeconds: 0, startupSeconds: 0, rssAfterLoadKiB: 0, rssAfterRestartKiB: 0,
          dataDirBytes: 0, note: `failed: ${(err as Error).message.split('\n')[0] ?? ''}` });
      }
    }
  }
  if (referenceBinary('etcdctl') !== null) {
    for (const load of plan.checkPerfLoads) {
      for (const system of systems) {
        const result = await checkPerfFor(system, [3, 1], load);
        if (result) report.checkPerf.push(result);
      }
    }
  }
  report.ratios = computeRatios(report.measurements);
  report.finishedAt = new Date().toISOString();
  report.machine.loadAverageEnd = os.loadavg()[0] ?? 0;
  writeReport(report, options.outDir);
}

function writeReport(report: BenchReport, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, `bench-${report.mode}`);
  const svgName = `${path.basename(base)}.svg`;
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.svg`, latencyChartSvg(report.measurements, [...new Set(report.measurements.map((m) => m.members))].sort((a, b) => a - b),
    `capstan vs etcd ${report.versions.etcd}: write latency by member count (${report.mode} run)`));
  writeFileSync(`${base}.md`, markdownReport(report, svgName));
  log(`wrote ${base}.md, .json and .svg`);
}

/** Rebuilds ratios, markdown and SVG from a run's JSON (after a change to the report's layout). */
function rerender(jsonFile: string, outDir: string): void {
  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchReport;
  if (!Array.isArray(report.measurements) || (report.mode !== 'quick' && report.mode !== 'full')) {
    throw new Error(`${jsonFile} is not a bench report`);
  }
  report.ratios = computeRatios(report.measurements);
  writeReport(report, outDir);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  if (options.reportFrom !== null) rerender(options.reportFrom, options.outDir);
  else if (options.profile) await runProfile(options);
  else await runBench(options);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  async () => {
    await killAllChildren();
    process.exit(0);
  },
  async (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    await killAllChildren().catch(() => undefined);
    process.exit(1);
  },
);
