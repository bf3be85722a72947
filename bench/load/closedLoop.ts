import type { LatencySummary } from '../model.js';
import type { Connection } from './connections.js';
import { LatencyRecorder } from './latencyRecorder.js';

export interface ClosedLoopPlan {
  clients: number;
  /** Requests in all; each client takes the next index until they are used up. */
  total: number;
  /** Hard wall-clock bound: clients stop issuing after it. */
  maxSeconds: number;
}

/** One request; resolves when it completes, rejects on error. */
export type Operation = (connection: Connection, index: number) => Promise<unknown>;

/**
 * `clients` sequential callers sharing `connections` round-robin (client i uses connection i mod n),
 * as etcd's benchmark does, each issuing its next request as soon as the last one returns.
 */
export async function runClosedLoop(
  connections: readonly Connection[],
  plan: ClosedLoopPlan,
  operation: Operation,
): Promise<{ summary: LatencySummary; timedOut: boolean }> {
  if (connections.length === 0) throw new Error('runClosedLoop: no connections');
  const recorder = new LatencyRecorder(plan.total);
  const started = performance.now();
  const deadline = started + plan.maxSeconds * 1000;
  let next = 0;
  let timedOut = false;
  let firstError: unknown = null;

  const client = async (id: number): Promise<void> => {
    const connection = connections[id % connections.length] as Connection;
    // Bounded by total (each iteration consumes an index) and by the deadline.
    while (next < plan.total) {
      if (performance.now() > deadline) {
        timedOut = true;
        return;
      }
      const index = next++;
      const t0 = performance.now();
      try {
        await operation(connection, index);
        recorder.record(performance.now() - t0);
      } catch (err) {
        recorder.errors++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: plan.clients }, (_, i) => client(i)));
  const seconds = (performance.now() - started) / 1000;
  if (recorder.errors > 0 && recorder.count === 0) {
    throw new Error(`every request failed; first error: ${String((firstError as Error | null)?.message ?? firstError)}`);
  }
  return { summary: recorder.summary(seconds), timedOut };
}
