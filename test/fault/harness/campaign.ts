import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { killAllChildren } from '../../support/processes.js';
import { checkRecording, type Recording } from './checkRecording.js';
import type { FaultKind } from './faults.js';
import { type RunReport, runOnce, summarize } from './run.js';

/*
 * `npm run faults -- [--runs N] [--seed S] [--members 1|3|5] [--duration MS] [--clients C] [--faults a,b] [--keep]
 *   [--dir D] [--snapshot-count N]`
 * runs a campaign: N runs with seeds S, S+1, ...; prints one line per run and a summary, and exits 1 on
 * any violation. `npm run faults -- --check recording.json` checks a kept recording again, offline.
 */

interface CampaignArgs {
  runs: number;
  seed: number;
  members: number[];
  durationMs: number;
  clients: number;
  faults: FaultKind[] | undefined;
  keep: boolean;
  check: string | null;
  dir: string | undefined;
  memberArgs: string[];
}

function parseArgs(argv: readonly string[]): CampaignArgs {
  const args: CampaignArgs = {
    runs: 5, seed: Date.now() % 1_000_000, members: [1], durationMs: 20_000, clients: 6, faults: undefined, keep: false, check: null, dir: undefined, memberArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${flag}: not a non-negative integer`);
      return v;
    };
    switch (flag) {
      case '--runs': args.runs = int(); break;
      case '--seed': args.seed = int(); break;
      case '--members': args.members = value().split(',').map(Number); break;
      case '--duration': args.durationMs = int(); break;
      case '--clients': args.clients = int(); break;
      case '--faults': args.faults = value().split(',') as FaultKind[]; break;
      case '--keep': args.keep = true; break;
      case '--check': args.check = value(); break;
      case '--dir': args.dir = value(); break;
      case '--snapshot-count': args.memberArgs.push(`--snapshot-count=${int()}`); break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  if (args.members.some((m) => !Number.isInteger(m) || m < 1 || m > 7)) throw new Error('--members: 1..7, comma-separated');
  return args;
}

function checkOffline(file: string): number {
  const recording = JSON.parse(readFileSync(file, 'utf8'), (_k, v: unknown) => (v === 'Infinity' ? Infinity : v)) as Recording;
  const result = checkRecording(recording);
  process.stdout.write(`${file}: ${result.operations} ops, ${result.checkedOperations} checked, linearizable: ${result.linearizable}, ` +
    `${result.watch.violations.length} watch violations\n`);
  for (const p of result.problems) process.stdout.write(`${p}\n`);
  return result.problems.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.check !== null) return checkOffline(args.check);
  const reports: RunReport[] = [];
  let failedRuns = 0;
  for (let n = 0; n < args.runs; n++) {
    const members = args.members[n % args.members.length]!;
    const seed = args.seed + n;
    try {
      const report = await runOnce({
        seed, members, durationMs: args.durationMs, clients: args.clients, requestTimeoutMs: 1_500,
        ...(args.faults ? { faults: args.faults } : {}), keepOnSuccess: args.keep, ...(args.dir ? { baseDir: args.dir } : {}), memberArgs: args.memberArgs,
      });
      reports.push(report);
      process.stdout.write(`run ${n + 1}/${args.runs}: ${summarize(report)}\n`);
    } catch (err) {
      failedRuns++;
      process.stdout.write(`run ${n + 1}/${args.runs} (seed ${seed}, ${members} members) did not complete: ${err instanceof Error ? err.stack : String(err)}\n`);
    }
  }
  const voided = reports.filter((r) => r.check.void);
  const violations = reports.filter((r) => r.check.problems.length > 0 && !r.check.void);
  const ops = reports.reduce((s, r) => s + r.check.operations, 0);
  const faults = reports.reduce((s, r) => s + r.faults.filter((f) => f.targets.length > 0).length, 0);
  process.stdout.write(`campaign: ${reports.length} runs checked (${failedRuns} did not complete), ${faults} faults injected, ${ops} operations, ` +
    `${violations.length} runs with violations${violations.length ? `: seeds ${violations.map((r) => r.seed).join(', ')}` : ''}` +
    `${voided.length ? `, ${voided.length} void (another process wrote into the cluster): seeds ${voided.map((r) => r.seed).join(', ')}` : ''}\n`);
  return violations.length > 0 || failedRuns > 0 ? 1 : 0;
}

// The member compiled with this file (dist/ or the private .tmp/fault-dist/ `npm run faults` builds),
// so a campaign never runs a server another build is rewriting under it.
process.env.CAPSTAN_MAIN ??= fileURLToPath(new URL('../../../src/server/main.js', import.meta.url));

const exit = (code: number): void => {
  killAllChildren().finally(() => process.exit(code));
};
process.on('SIGINT', () => exit(130));
process.on('SIGTERM', () => exit(143));
main().then(exit, (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  exit(2);
});
