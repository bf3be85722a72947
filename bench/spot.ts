import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBenchCluster } from './cluster/benchCluster.js';
import type { LatencySummary, SystemName, WorkloadName } from './model.js';
import { runBenchmark } from './tools/etcdBenchmark.js';
import { warmStep, warmUp } from './warmUp.js';

/*
 * The quick before/after check for performance work: `node dist/bench/spot.js [--members=3]
 * [--rounds=3] [--systems=etcd,capstan] [--scale=1] [--baseline=/other/checkout/dist/src/server/main.js]
 * [--cold] [--steps=put,watch]`. Each fresh cluster gets warmUp.ts's load first, and each step one
 * unmeasured run of itself, unless --cold;
 * --steps keeps the steps whose label starts with one of its words.
 * A fresh cluster per system per round, systems alternating, so a noisy neighbour hurts all alike;
 * etcd's benchmark tool; medians over rounds and each capstan build's ratio to etcd. `--baseline`
 * adds another capstan build (say, before a change) as a third contender in the same rounds.
 */

interface Contender {
  label: string;
  system: SystemName;
  /** For capstan: the main.js to run (CAPSTAN_MAIN), or undefined for this checkout's build. */
  main?: string;
}

interface Step {
  label: string;
  workload: WorkloadName;
  clients: number;
  conns: number;
  total: number;
}

const STEPS: readonly Step[] = [
  { label: 'put 1 client', workload: 'put', clients: 1, conns: 1, total: 1500 },
  { label: 'put 16 clients', workload: 'put', clients: 16, conns: 16, total: 5000 },
  { label: 'put 256 clients', workload: 'put', clients: 256, conns: 16, total: 20000 },
  { label: 'range-l 256 clients', workload: 'range-l', clients: 256, conns: 16, total: 20000 },
  { label: 'range-s 256 clients', workload: 'range-s', clients: 256, conns: 16, total: 20000 },
  // 300 puts at 100/s, each delivered to 100 watchers; the rate is fixed, so compare the latencies.
  { label: 'watch 100 watchers', workload: 'watch', clients: 100, conns: 16, total: 300 },
];

function flag(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const members = Number(flag('members', '3'));
  const rounds = Number(flag('rounds', '3'));
  const scale = Number(flag('scale', '1'));
  const systems = flag('systems', 'etcd,capstan').split(',') as SystemName[];
  const contenders: Contender[] = systems.map((system) => ({ label: system, system }));
  const stepWords = flag('steps', '').split(',').filter((w) => w !== '');
  const steps = STEPS.filter((s) => stepWords.length === 0 || stepWords.some((w) => s.label.startsWith(w)));
  const baseline = flag('baseline', '');
  if (baseline !== '') contenders.push({ label: 'baseline', system: 'capstan', main: baseline });
  if (!(members >= 1 && members <= 7 && rounds >= 1 && rounds <= 20 && scale > 0 && scale <= 10 && steps.length > 0)) {
    throw new Error('spot: --members 1..7, --rounds 1..20, --scale (0, 10], --steps naming at least one step');
  }
  const results = new Map<string, LatencySummary[]>();
  for (let round = 0; round < rounds; round++) {
    for (const { label, system, main } of contenders) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `capstan-spot-${label}-`));
      const previousMain = process.env.CAPSTAN_MAIN;
      if (main !== undefined) process.env.CAPSTAN_MAIN = main;
      let cluster: Awaited<ReturnType<typeof startBenchCluster>>;
      try {
        cluster = await startBenchCluster(system, members, dir);
      } finally {
        if (previousMain === undefined) delete process.env.CAPSTAN_MAIN;
        else process.env.CAPSTAN_MAIN = previousMain;
      }
      try {
        const common = { endpoints: cluster.endpoints, leader: cluster.leader, readKey: 'spot', keySize: 8, valueSize: 256, watchPutRate: 100, maxSeconds: 120 };
        if (!process.argv.includes('--cold')) await warmUp(common, runBenchmark, scale);
        for (const step of steps) {
          const run = {
            ...common,
            workload: step.workload,
            clients: step.clients,
            conns: step.conns,
            total: Math.max(step.clients, Math.round(step.total * scale)),
          };
          if (!process.argv.includes('--cold')) await warmStep(run, runBenchmark, Math.round(2000 * scale));
          const { summary } = await runBenchmark(run);
          const key = `${label}\t${step.label}`;
          results.set(key, [...(results.get(key) ?? []), summary]);
          console.error(`round ${round + 1} ${label} ${step.label}: ${summary.throughput.toFixed(0)}/s p50 ${summary.p50Ms.toFixed(2)} ms p99 ${summary.p99Ms.toFixed(2)} ms errors ${summary.errors}`);
        }
      } finally {
        await cluster.stop();
      }
    }
  }
  const labels = contenders.map((c) => c.label);
  const rated = labels.filter((l) => l !== 'etcd' && labels.includes('etcd'));
  console.log(`| ${members} members, medians of ${rounds} | ${labels.map((l) => `${l} /s, p50, p99`).join(' | ')} |${rated.map((l) => ` ${l}/etcd /s, p50 |`).join('')}`);
  console.log(`| --- | ${labels.map(() => '---').join(' | ')} |${rated.map(() => ' --- |').join('')}`);
  for (const step of steps) {
    const cells = new Map(labels.map((l) => {
      const runs = results.get(`${l}\t${step.label}`) ?? [];
      return [l, { rate: median(runs.map((r) => r.throughput)), p50: median(runs.map((r) => r.p50Ms)), p99: median(runs.map((r) => r.p99Ms)) }];
    }));
    const etcd = cells.get('etcd');
    const ratios = rated.map((l) => {
      const c = cells.get(l)!;
      return etcd ? ` ×${(c.rate / etcd.rate).toFixed(2)}, ×${(c.p50 / etcd.p50).toFixed(2)} |` : ' |';
    });
    console.log(`| ${step.label} | ${labels.map((l) => cells.get(l)!).map((c) => `${c.rate.toFixed(0)}, ${c.p50.toFixed(2)} ms, ${c.p99.toFixed(2)} ms`).join(' | ')} |${ratios.join('')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
