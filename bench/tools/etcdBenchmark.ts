import { runCommand } from '../../test/support/processes.js';
import { requireReferenceBinary } from '../../test/support/referencePaths.js';
import type { LatencySummary } from '../model.js';
import { targetsLeader, type WorkloadRun } from '../workloadRun.js';
import { parseBenchmarkOutput } from './benchmarkOutput.js';

function workloadArgs(run: WorkloadRun): string[] {
  switch (run.workload) {
    case 'put':
      return ['put', `--key-size=${run.keySize}`, `--val-size=${run.valueSize}`, '--sequential-keys', `--total=${run.total}`];
    case 'range-l':
    case 'range-s':
      return ['range', run.readKey, `--consistency=${run.workload === 'range-l' ? 'l' : 's'}`, `--total=${run.total}`];
    case 'watch':
      return ['watch-latency', `--total=${run.total}`, `--put-rate=${run.watchPutRate}`,
        `--key-size=${run.keySize}`, `--val-size=${run.valueSize}`];
  }
}

/** One run of etcd's tools/benchmark with the flags of etcd's performance guide. */
export async function runBenchmark(run: WorkloadRun): Promise<{ summary: LatencySummary; note?: string }> {
  const args = [
    `--endpoints=${run.endpoints.join(',')}`,
    `--clients=${run.clients}`,
    `--conns=${run.conns}`,
    '--precise',
    ...(targetsLeader(run) ? ['--target-leader'] : []),
    ...workloadArgs(run),
  ];
  const result = await runCommand(requireReferenceBinary('benchmark'), args, { timeoutMs: run.maxSeconds * 1000 });
  const attempted = run.workload === 'watch' ? run.total * run.clients : run.total;
  if (result.timedOut) {
    throw new Error(`benchmark ${args.join(' ')} did not finish in ${run.maxSeconds} s`);
  }
  if (result.code !== 0) {
    throw new Error(`benchmark ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(-1500)}`);
  }
  const summary = parseBenchmarkOutput(result.stdout, attempted);
  return summary.errors > 0 ? { summary, note: `${summary.errors} errors` } : { summary };
}
