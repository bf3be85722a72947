import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeConnections, openConnections, waitConnected } from './load/connections.js';
import { put } from './load/kvCalls.js';
import { runTsLoad } from './load/tsLoad.js';
import { type BenchCluster, ClusterUnavailable, startBenchCluster } from './cluster/benchCluster.js';
import { processMemory } from './cluster/memory.js';
import type { LatencySummary, Measurement, MemberMemory, Skipped, SystemName, ToolName } from './model.js';
import type { BenchPlan, LoadStep } from './plan.js';
import { runBenchmark } from './tools/etcdBenchmark.js';
import { warmStep, warmUp } from './warmUp.js';
import type { WorkloadRun } from './workloadRun.js';

/** Everything measured on one (system, member count). */
export interface SizeResult {
  measurements: Measurement[];
  memory: MemberMemory | null;
  skipped: Skipped | null;
}

const READ_KEY = 'capstan-bench-read-key';
const EMPTY: LatencySummary = { count: 0, errors: 0, seconds: 0, throughput: 0, avgMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0 };

export function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function seedReadKey(cluster: BenchCluster, valueSize: number): Promise<void> {
  const [connection] = openConnections([cluster.leader], 1);
  if (connection === undefined) throw new Error('invariant: no connection');
  try {
    await waitConnected([connection], 10_000);
    await put(connection.client, Buffer.from(READ_KEY), Buffer.alloc(valueSize, 0x62), 10_000);
  } finally {
    closeConnections([connection]);
  }
}

function runFor(tool: ToolName, run: WorkloadRun): Promise<{ summary: LatencySummary; note?: string }> {
  return tool === 'benchmark' ? runBenchmark(run) : runTsLoad(run);
}

function describe(step: LoadStep): string {
  return `${step.workload} clients=${step.clients} conns=${step.conns} total=${step.total}`;
}

export async function runSize(system: SystemName, size: number, plan: BenchPlan, env: Record<string, string> = {}): Promise<SizeResult> {
  const baseDir = mkdtempSync(path.join(os.tmpdir(), `capstan-bench-${system}-${size}-`));
  let cluster: BenchCluster;
  try {
    cluster = await startBenchCluster(system, size, baseDir, env);
  } catch (err) {
    if (!(err instanceof ClusterUnavailable)) throw err;
    log(`${system} x${size}: not supported yet — ${err.message}`);
    return { measurements: [], memory: null, skipped: { system, members: size, reason: err.message } };
  }
  log(`${system} x${size}: up, leader ${cluster.leader}`);
  const measurements: Measurement[] = [];
  try {
    await seedReadKey(cluster, plan.valueSize);
    const common = {
      endpoints: cluster.endpoints,
      leader: cluster.leader,
      readKey: READ_KEY,
      keySize: plan.keySize,
      valueSize: plan.valueSize,
      watchPutRate: plan.watchPutRate,
      maxSeconds: plan.maxStepSeconds,
    };
    const warmTool = plan.tools[0]!;
    await warmUp(common, (run) => runFor(warmTool, run), plan.mode === 'quick' ? 0.25 : 1);
    log(`${system} x${size}: warmed up`);
    for (const step of plan.steps) {
      await warmStep({ ...step, ...common }, (run) => runFor(warmTool, run), plan.mode === 'quick' ? 500 : 2000);
      for (const tool of plan.tools) {
        const run: WorkloadRun = { ...step, ...common };
        const base = { system, members: size, tool, workload: step.workload, clients: step.clients, conns: step.conns };
        try {
          const { summary, note } = await runFor(tool, run);
          measurements.push(note === undefined ? { ...base, ...summary } : { ...base, ...summary, note });
          log(`${system} x${size} ${tool} ${describe(step)}: p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms, ` +
            `${summary.throughput.toFixed(0)}/s${note ? ` (${note})` : ''}`);
        } catch (err) {
          const note = `failed: ${(err as Error).message.split('\n')[0] ?? ''}`.slice(0, 300);
          measurements.push({ ...base, ...EMPTY, note });
          log(`${system} x${size} ${tool} ${describe(step)}: ${note}`);
        }
      }
    }
    const usage = cluster.members.map((m) => processMemory(m.pid));
    const memory: MemberMemory = {
      system,
      members: size,
      rssKiB: usage.map((u) => u.rssKiB),
      peakRssKiB: usage.map((u) => u.peakRssKiB),
    };
    return { measurements, memory, skipped: null };
  } finally {
    await cluster.stop();
  }
}
