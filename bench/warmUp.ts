import type { WorkloadName } from './model.js';
import type { WorkloadRun } from './workloadRun.js';

/*
 * The same warm-up for every system on every fresh cluster, before anything is measured. capstan runs
 * on V8, which optimises its hot paths only after some thousands of calls: a fresh 3-member cluster's
 * first 400 one-client puts ran at a third of its steady rate, and it took ~3,000 puts to get there
 * (docs/bench.md, fourth round). The one-client paths (an answer written at once, a read index round
 * per read) are code that 16 clients barely run: even with the smaller tiering budget
 * (src/server/v8Tiering.ts), after 600 one-client puts the next 1,000 ran ~10% below the steady rate
 * with twice its p99, and one-client linearizable reads likewise (docs/bench.md, seventh round). So
 * each one-client workload gets 2,000 requests of its own. Watch delivery is code nothing else runs:
 * at 5 members the first 300 puts' deliveries had a p99 of 4.5–6.4 ms, the next 300's 2.8–4.2 and the
 * 300 after that 1.4–3.0 ms, so watchers get 500 puts too. etcd, compiled ahead of time, needs none
 * and gets the same load.
 */

interface WarmUpStep {
  workload: WorkloadName;
  clients: number;
  conns: number;
  total: number;
}

const WARM_UP: readonly WarmUpStep[] = [
  { workload: 'put', clients: 16, conns: 16, total: 4000 },
  { workload: 'range-s', clients: 16, conns: 16, total: 4000 },
  { workload: 'range-l', clients: 16, conns: 16, total: 2000 },
  { workload: 'put', clients: 1, conns: 1, total: 2000 },
  { workload: 'range-l', clients: 1, conns: 1, total: 2000 },
  { workload: 'range-s', clients: 1, conns: 1, total: 2000 },
  // 100 watchers over 16 connections; total is the number of puts (at the run's put rate).
  { workload: 'watch', clients: 100, conns: 16, total: 500 },
];

/**
 * Before each measured step, one unmeasured run of that same step, of at least `minTotal` requests
 * (watch steps keep their own count: their puts go at a fixed rate). V8 re-tiers what a change of
 * workload deoptimises, and the first run after one measured that: after 500 watched puts, the next
 * 1,000 one-client puts on a fresh 3-member cluster had a p99 of 3.4–3.6 ms (three clusters) against
 * 1.6–1.7 ms when the warm-up's watched puts came first; the watch step measured after 20,000 reads at
 * 256 clients had a p99 of 1.8–2.0 ms against 1.0–1.2 right after watched puts. One run of 1,000
 * one-client puts was not enough (the next 1,000: p99 2.8–3.1 ms), 2,000 were (1.5–1.6 ms; docs/bench.md,
 * seventh round). etcd gets the same run.
 */
export async function warmStep(step: WorkloadRun, run: (w: WorkloadRun) => Promise<unknown>, minTotal = 2000): Promise<void> {
  const total = step.workload === 'watch' ? step.total : Math.max(step.total, minTotal);
  try {
    await run({ ...step, total });
  } catch {
    // The measured run that follows reports what went wrong.
  }
}

/** Runs the warm-up steps with `run` (the measuring tool), `scale` shrinking every count. */
export async function warmUp(base: Omit<WorkloadRun, 'workload' | 'clients' | 'conns' | 'total'>, run: (w: WorkloadRun) => Promise<unknown>, scale = 1): Promise<void> {
  for (const step of WARM_UP) {
    await run({ ...base, ...step, total: Math.max(step.clients, Math.round(step.total * scale)) });
  }
}
