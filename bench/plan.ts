import type { ToolName, WorkloadName } from './model.js';

/*
 * What a run measures. The full plan follows etcd's performance guide (8-byte keys, 256-byte values,
 * 1 client on 1 connection, then many clients over 16 connections); --quick shrinks every count so the
 * whole run fits in three minutes on a 2-core machine.
 */

export interface LoadStep {
  workload: WorkloadName;
  clients: number;
  conns: number;
  total: number;
}

export interface BenchPlan {
  mode: 'quick' | 'full';
  sizes: number[];
  tools: ToolName[];
  steps: LoadStep[];
  keySize: number;
  valueSize: number;
  watchPutRate: number;
  /** Per-step wall-clock limit. */
  maxStepSeconds: number;
  recoveryKeys: number[];
  /** etcdctl check perf loads to run (s, m, l, xl); each takes a minute per system. */
  checkPerfLoads: string[];
}

function steps(scale: (n: number) => number): LoadStep[] {
  const s = (workload: WorkloadName, clients: number, conns: number, total: number): LoadStep =>
    ({ workload, clients, conns, total: Math.max(clients, scale(total)) });
  return [
    s('put', 1, 1, 1_000),
    s('put', 16, 16, 5_000),
    s('put', 256, 16, 20_000),
    s('range-l', 1, 1, 1_000),
    s('range-l', 256, 16, 20_000),
    s('range-s', 1, 1, 1_000),
    s('range-s', 256, 16, 20_000),
    // 100 watchers (one per client) over 16 connections; total is the number of puts.
    s('watch', 100, 16, 300),
  ];
}

export function fullPlan(): BenchPlan {
  return {
    mode: 'full',
    sizes: [1, 3, 5, 7],
    tools: ['benchmark', 'ts-load'],
    steps: steps((n) => n),
    keySize: 8,
    valueSize: 256,
    watchPutRate: 100,
    maxStepSeconds: 60,
    recoveryKeys: [100_000, 1_000_000],
    checkPerfLoads: ['s', 'm'],
  };
}

export function quickPlan(): BenchPlan {
  return {
    mode: 'quick',
    sizes: [1, 3],
    tools: ['benchmark', 'ts-load'],
    steps: steps((n) => Math.ceil(n / 10)),
    keySize: 8,
    valueSize: 256,
    watchPutRate: 100,
    maxStepSeconds: 20,
    recoveryKeys: [10_000],
    checkPerfLoads: [],
  };
}
