import type { LatencySummary } from '../model.js';
import { targetsLeader, type WorkloadRun } from '../workloadRun.js';
import { runClosedLoop } from './closedLoop.js';
import { closeConnections, openConnections, waitConnected } from './connections.js';
import { encodeRange, put, range, rangeCount, sequentialKey } from './kvCalls.js';
import { runWatchLatency } from './watchLatency.js';

/*
 * capstan's own load generator: the same workloads as etcd's benchmark tool, for machines without Go.
 * Runs in this process, so at high client counts it competes with the members for CPU just as the
 * benchmark tool does.
 */

const CONNECT_TIMEOUT_MS = 10_000;
const REQUEST_DEADLINE_MS = 30_000;

export async function runTsLoad(run: WorkloadRun): Promise<{ summary: LatencySummary; note?: string }> {
  const endpoints = targetsLeader(run) ? [run.leader] : run.endpoints;
  const connections = openConnections(endpoints, run.conns);
  try {
    await waitConnected(connections, CONNECT_TIMEOUT_MS);
    let outcome: { summary: LatencySummary; timedOut: boolean };
    switch (run.workload) {
      case 'put': {
        const value = Buffer.alloc(run.valueSize, 0x61);
        outcome = await runClosedLoop(connections, { clients: run.clients, total: run.total, maxSeconds: run.maxSeconds },
          (c, i) => put(c.client, sequentialKey(i, run.keySize), value, REQUEST_DEADLINE_MS));
        break;
      }
      case 'range-l':
      case 'range-s': {
        const request = encodeRange(Buffer.from(run.readKey), run.workload === 'range-s');
        const first = connections[0];
        if (first === undefined) throw new Error('invariant: no connection');
        if (rangeCount(await range(first.client, request, REQUEST_DEADLINE_MS)) !== 1) {
          throw new Error(`ts-load: read key ${run.readKey} is missing; the run reads an existing key`);
        }
        outcome = await runClosedLoop(connections, { clients: run.clients, total: run.total, maxSeconds: run.maxSeconds },
          (c) => range(c.client, request, REQUEST_DEADLINE_MS));
        break;
      }
      case 'watch':
        outcome = await runWatchLatency(connections, {
          watchers: run.clients, puts: run.total, putsPerSecond: run.watchPutRate, maxSeconds: run.maxSeconds,
        });
        break;
    }
    const notes: string[] = [];
    if (outcome.timedOut) notes.push(`stopped at the ${run.maxSeconds} s limit`);
    if (outcome.summary.errors > 0) notes.push(`${outcome.summary.errors} errors`);
    return notes.length > 0 ? { summary: outcome.summary, note: notes.join('; ') } : { summary: outcome.summary };
  } finally {
    closeConnections(connections);
  }
}
