import path from 'node:path';
import { REPO_ROOT } from '../test/support/repoRoot.js';
import type { SystemName, ToolName } from './model.js';
import { type BenchPlan, fullPlan, quickPlan } from './plan.js';

/*
 * Command line of `npm run bench [-- flags]`:
 *   --quick                 small counts, 1 and 3 members, 10k-key recovery (under 3 minutes)
 *   --sizes=1,3,5,7         member counts        --systems=etcd,capstan   --tools=benchmark,ts-load
 *   --scale=0.5             multiply every request count (a smoke test uses a tiny one)
 *   --recovery-keys=100000  keys for the startup test (0 = skip)   --check-perf=s,m|none
 *   --out=DIR               where the report goes (default bench/results)
 *   --profile               profile capstan instead (see bench/profile/runProfile.ts)
 *   --report-from=FILE.json re-render a run's markdown and SVG (and ratios) from its JSON, measuring nothing
 */

export interface BenchOptions {
  plan: BenchPlan;
  systems: SystemName[];
  outDir: string;
  profile: boolean;
  reportFrom: string | null;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function positiveInts(flag: string, value: string, allowZero = false): number[] {
  const numbers = list(value).map(Number);
  if (numbers.some((n) => !Number.isInteger(n) || n < (allowZero ? 0 : 1))) throw new Error(`${flag}: expected integers, got ${value}`);
  return numbers;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`bench: unexpected argument ${arg}`);
    flags.set(match[1] as string, match[2] ?? 'true');
  }
  const known = new Set(['quick', 'sizes', 'systems', 'tools', 'scale', 'recovery-keys', 'check-perf', 'out', 'profile', 'report-from']);
  for (const flag of flags.keys()) if (!known.has(flag)) throw new Error(`bench: unknown flag --${flag}`);

  const plan = flags.has('quick') ? quickPlan() : fullPlan();
  const sizes = flags.get('sizes');
  if (sizes !== undefined) plan.sizes = positiveInts('--sizes', sizes);
  if (plan.sizes.some((s) => s > 9)) throw new Error('--sizes: at most 9 members');
  const tools = flags.get('tools');
  if (tools !== undefined) {
    const chosen = list(tools);
    for (const t of chosen) if (t !== 'benchmark' && t !== 'ts-load') throw new Error(`--tools: unknown tool ${t}`);
    plan.tools = chosen as ToolName[];
  }
  const scale = flags.get('scale');
  if (scale !== undefined) {
    const factor = Number(scale);
    if (!(factor > 0 && factor <= 100)) throw new Error(`--scale: expected a number in (0, 100], got ${scale}`);
    plan.steps = plan.steps.map((s) => ({ ...s, total: Math.max(s.workload === 'watch' ? 5 : s.clients, Math.ceil(s.total * factor)) }));
  }
  const recovery = flags.get('recovery-keys');
  if (recovery !== undefined) plan.recoveryKeys = positiveInts('--recovery-keys', recovery, true).filter((k) => k > 0);
  const checkPerf = flags.get('check-perf');
  if (checkPerf !== undefined) {
    const loads = checkPerf === 'none' ? [] : list(checkPerf);
    for (const l of loads) if (!['s', 'm', 'l', 'xl'].includes(l)) throw new Error(`--check-perf: s, m, l, xl or none, not ${l}`);
    plan.checkPerfLoads = loads;
  }
  const systems = list(flags.get('systems') ?? 'etcd,capstan');
  for (const s of systems) if (s !== 'etcd' && s !== 'capstan') throw new Error(`--systems: unknown system ${s}`);
  return {
    plan,
    systems: systems as SystemName[],
    outDir: path.resolve(flags.get('out') ?? (flags.has('report-from')
      ? path.dirname(flags.get('report-from') as string) : path.join(REPO_ROOT, 'bench', 'results'))),
    profile: flags.has('profile'),
    reportFrom: flags.has('report-from') ? path.resolve(flags.get('report-from') as string) : null,
  };
}
