// Runs a range of simulation seeds and reports failures with the command that replays the first.
import { SimulationFailure, runSchedule } from './schedule.js';

/** Seeds run by the simulation suite: shard k of SHARDS covers [k * PER_SHARD, (k + 1) * PER_SHARD). */
export const SHARDS = 8;
export const PER_SHARD = 1250;
/** Seeds per test case, so each case stays far below the per-test timeout. */
export const PER_CASE = 250;

/** SIM_BASE shifts every seed, to explore fresh schedules: SIM_BASE=100000 npx vitest run test/simulation */
export const SEED_BASE = Number(process.env['SIM_BASE'] ?? '0');

export function runSeeds(from: number, count: number): { ran: number; committed: number } {
  const failures: SimulationFailure[] = [];
  let committed = 0;
  for (let seed = SEED_BASE + from; seed < SEED_BASE + from + count; seed++) {
    try {
      committed += runSchedule(seed).committed;
    } catch (e) {
      if (e instanceof SimulationFailure) failures.push(e);
      else throw e;
    }
  }
  const first = failures[0];
  if (first) {
    const others = failures.slice(1).map((f) => f.seed);
    throw new Error(`${failures.length} of ${count} schedules failed${others.length ? ` (also seeds ${others.join(', ')})` : ''}\n${first.message}`);
  }
  return { ran: count, committed };
}
