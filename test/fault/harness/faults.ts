import { rng } from '../linearizability/simulatedHistory.js';
import type { RunClock } from './clock.js';
import type { FaultCluster, FaultMember } from './faultCluster.js';

/*
 * The faults a run injects, one at a time: inject, hold, recover, wait until the cluster serves again,
 * rest, next. Which fault, on whom, and for how long all come from the run's seed.
 */

export type FaultKind =
  | 'kill-leader'
  | 'kill-follower'
  | 'kill-majority'
  | 'kill-all'
  | 'pause-leader'
  | 'pause-follower'
  | 'partition-leader'
  | 'partition-follower'
  | 'delay-peers';

export const SINGLE_MEMBER_FAULTS: readonly FaultKind[] = ['kill-leader', 'pause-leader'];
export const CLUSTER_FAULTS: readonly FaultKind[] = [
  'kill-leader', 'kill-follower', 'kill-majority', 'kill-all', 'pause-leader', 'pause-follower', 'partition-leader', 'partition-follower', 'delay-peers',
];

export interface FaultRecord {
  kind: FaultKind;
  targets: string[];
  injectedAt: number;
  recoveredAt: number | null;
  /** Why it was skipped or what went wrong recovering, if anything. */
  note?: string;
}

export interface FaultScheduleOptions {
  seed: number;
  kinds: readonly FaultKind[];
  clock: RunClock;
  endAt: number;
  /** Time between faults and how long a fault holds, in ms: [min, max). */
  restMs: [number, number];
  holdMs: [number, number];
  log: (line: string) => void;
}

const MAX_FAULTS = 200;

export async function runFaults(cluster: FaultCluster, o: FaultScheduleOptions): Promise<FaultRecord[]> {
  const random = rng(o.seed * 104_729 + 17);
  const between = ([lo, hi]: [number, number]): number => lo + random() * (hi - lo);
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const records: FaultRecord[] = [];
  for (let n = 0; n < MAX_FAULTS; n++) {
    await sleep(between(o.restMs));
    const hold = between(o.holdMs);
    if (o.clock.now() + hold > o.endAt) break;
    const kind = o.kinds[Math.floor(random() * o.kinds.length)]!;
    const leader = await cluster.leader();
    const followers = cluster.members.filter((m) => m !== leader);
    const pickFollower = (): FaultMember | undefined => followers[Math.floor(random() * followers.length)];
    let targets: FaultMember[];
    switch (kind) {
      case 'kill-leader': case 'pause-leader': case 'partition-leader':
        targets = leader === null ? [] : [leader];
        break;
      case 'kill-follower': case 'pause-follower': case 'partition-follower': {
        const f = pickFollower();
        targets = f === undefined ? [] : [f];
        break;
      }
      case 'kill-majority': {
        const shuffled = [...cluster.members].sort(() => random() - 0.5);
        targets = shuffled.slice(0, Math.floor(cluster.members.length / 2) + 1);
        break;
      }
      case 'kill-all':
        targets = [...cluster.members];
        break;
      case 'delay-peers':
        targets = cluster.members.filter((m) => m.proxy !== null);
        break;
    }
    const record: FaultRecord = { kind, targets: targets.map((t) => t.name), injectedAt: o.clock.now(), recoveredAt: null };
    records.push(record);
    if (targets.length === 0) {
      record.note = 'no target (no leader known)';
      continue;
    }
    o.log(`${record.injectedAt.toFixed(0)} ms: ${kind} ${record.targets.join(',')} for ${hold.toFixed(0)} ms`);
    if (kind.startsWith('kill')) await Promise.all(targets.map((t) => cluster.kill(t)));
    else if (kind.startsWith('pause')) for (const t of targets) cluster.pause(t);
    else if (kind.startsWith('partition')) for (const t of targets) cluster.isolate(t);
    else for (const t of targets) t.proxy?.setMode({ kind: 'delay', delayMs: Math.round(between([20, 200])) });
    await sleep(hold);
    try {
      await cluster.recoverAll();
      record.recoveredAt = o.clock.now();
    } catch (err) {
      record.note = `recovery failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      throw Object.assign(new Error(`fault ${kind} on ${record.targets.join(',')}: ${record.note}`), { records });
    }
  }
  return records;
}
