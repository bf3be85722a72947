import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capstanMainPath } from '../../test/support/members.js';
import { referenceBinary } from '../../test/support/referencePaths.js';
import { type BenchCluster, ClusterUnavailable, startBenchCluster } from '../cluster/benchCluster.js';
import type { LatencySummary, ToolName } from '../model.js';
import type { BenchOptions } from '../options.js';
import { runTsLoad } from '../load/tsLoad.js';
import { log } from '../runSize.js';
import { runBenchmark } from '../tools/etcdBenchmark.js';
import type { WorkloadRun } from '../workloadRun.js';
import { profileMarkdown, summariseProfile } from './cpuProfile.js';

/*
 * `npm run bench -- --profile`: capstan under the heaviest write load of the plan (256 clients over 16
 * connections, to the leader) with V8's sampling profiler on every member (profiledMember.ts wraps the
 * member's main; src/server needs no hook), then the top self-time functions of
 * the leader and of a follower, written to <out>/profile-<mode>.md. The .cpuprofile files stay in a temp
 * directory (named in the report) for Chrome DevTools or speedscope.
 */

const PROFILE_SIZES = [3, 1];

const WRAPPER = fileURLToPath(new URL('./profiledMember.js', import.meta.url));

async function startProfiled(profileDir: string): Promise<BenchCluster> {
  const target = capstanMainPath();
  const previous = process.env.CAPSTAN_MAIN;
  // test/support starts `node $CAPSTAN_MAIN <flags>`: point it at the wrapper for these members only.
  process.env.CAPSTAN_MAIN = WRAPPER;
  try {
    for (const size of PROFILE_SIZES) {
      const baseDir = mkdtempSync(path.join(os.tmpdir(), `capstan-bench-profile-${size}-`));
      try {
        return await startBenchCluster('capstan', size, baseDir, { CAPSTAN_PROFILE_TARGET: target, CAPSTAN_PROFILE_DIR: profileDir });
      } catch (err) {
        if (!(err instanceof ClusterUnavailable)) throw err;
        log(`profile: ${err.message}; trying fewer members`);
      }
    }
  } finally {
    if (previous === undefined) delete process.env.CAPSTAN_MAIN;
    else process.env.CAPSTAN_MAIN = previous;
  }
  throw new Error('profile: capstan did not start at any size');
}

function profileFileOf(profileDir: string, pid: number): string | null {
  const file = path.join(profileDir, `CPU.${pid}.cpuprofile`);
  return existsSync(file) ? file : null;
}

export async function runProfile(options: BenchOptions): Promise<void> {
  const step = options.plan.steps.find((s) => s.workload === 'put' && s.clients === 256);
  if (step === undefined) throw new Error('profile: the plan has no 256-client put step');
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-cpuprof-'));
  const cluster = await startProfiled(profileDir);
  const tool: ToolName = referenceBinary('benchmark') === null ? 'ts-load' : 'benchmark';
  const run: WorkloadRun = {
    ...step,
    total: step.total * 2,
    endpoints: cluster.endpoints,
    leader: cluster.leader,
    readKey: '',
    keySize: options.plan.keySize,
    valueSize: options.plan.valueSize,
    watchPutRate: 1,
    maxSeconds: options.plan.maxStepSeconds * 2,
  };
  const size = cluster.members.length;
  log(`profile: ${size} capstan member(s), ${tool} put ${run.clients} clients / ${run.conns} conns × ${run.total}`);
  let summary: LatencySummary;
  let leaderPid = 0;
  try {
    summary = (tool === 'benchmark' ? await runBenchmark(run) : await runTsLoad(run)).summary;
    leaderPid = cluster.members[cluster.endpoints.indexOf(cluster.leader)]?.pid ?? 0;
  } finally {
    // SIGTERM: capstan exits through process.exit, which is when V8 writes the profile.
    await cluster.stop();
  }
  const followerPid = cluster.members.find((m) => m.pid !== leaderPid)?.pid;
  const lines = [
    `# capstan CPU profile (${options.plan.mode} plan)`, '',
    `- ${new Date().toISOString()}; ${size} member(s); ${tool} put, ${run.clients} clients over ${run.conns} connections, ` +
      `${run.total} requests of ${run.keySize}-byte keys and ${run.valueSize}-byte values to the leader.`,
    `- Under the profiler: p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms, ${summary.throughput.toFixed(0)} writes/s ` +
      '(the sampling profiler itself costs a few per cent).',
    `- Profiles: ${profileDir}`, '',
  ];
  const leaderFile = profileFileOf(profileDir, leaderPid);
  if (leaderFile === null) throw new Error(`profile: no .cpuprofile for the leader (pid ${leaderPid}) in ${profileDir}`);
  lines.push(profileMarkdown(summariseProfile(leaderFile), 'Leader'));
  const followerFile = followerPid === undefined ? null : profileFileOf(profileDir, followerPid);
  if (followerFile !== null) lines.push(profileMarkdown(summariseProfile(followerFile), 'A follower'));
  mkdirSync(options.outDir, { recursive: true });
  const out = path.join(options.outDir, `profile-${options.plan.mode}.md`);
  writeFileSync(out, `${lines.join('\n')}\n`);
  log(`wrote ${out}`);
}
