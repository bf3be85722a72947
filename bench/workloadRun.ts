import type { WorkloadName } from './model.js';

/** One workload run, described the same way for etcd's benchmark tool and for bench/load. */
export interface WorkloadRun {
  workload: WorkloadName;
  /** Every member's client address ("127.0.0.1:port"). */
  endpoints: readonly string[];
  /** The leader's client address, for writes (etcd's guide measures writes to the leader). */
  leader: string;
  clients: number;
  conns: number;
  /** put/range: requests; watch: puts (each delivered to every watcher, one watcher per client). */
  total: number;
  readKey: string;
  keySize: number;
  valueSize: number;
  watchPutRate: number;
  /** Hard wall-clock limit for the run. */
  maxSeconds: number;
}

/** Writes go to the leader only; reads and watches spread over every member. */
export function targetsLeader(run: WorkloadRun): boolean {
  return run.workload === 'put';
}
