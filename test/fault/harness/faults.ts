import type { FailpointName } from '../../../src/server/failpoints.js';
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
  | 'delay-peers'
  | 'failpoint-crash'
  | 'snapshot-follower'
  | 'replace-follower';

export const SINGLE_MEMBER_FAULTS: readonly FaultKind[] = ['kill-leader', 'pause-leader', 'failpoint-crash'];
export const CLUSTER_FAULTS: readonly FaultKind[] = [
  'kill-leader', 'kill-follower', 'kill-majority', 'kill-all', 'pause-leader', 'pause-follower', 'partition-leader', 'partition-follower', 'delay-peers',
  'failpoint-crash', 'snapshot-follower', 'replace-follower',
];

/** Where failpoint-crash makes a member panic (src/server/failpoints.ts); the Nth hit, N from the seed. */
export const CRASH_FAILPOINTS: readonly FailpointName[] = [
  'raftBeforeSave', 'raftAfterSave', 'raftBeforeLeaderSend', 'raftBeforeFollowerSend', 'raftAfterSaveBeforeApply',
  'applyBeforeBackendCommit', 'applyAfterBackendCommit', 'walBeforeSync', 'raftBeforeSaveSnap', 'raftAfterSaveSnap',
  'raftBeforeApplySnap', 'raftAfterApplySnap',
];

/** The member flags a run with snapshot-follower needs: a log the leader compacts within seconds. */
export const SNAPSHOT_MEMBER_ARGS: readonly string[] = ['--snapshot-count=100', '--experimental-snapshot-catchup-entries=20'];

/** How long snapshot-follower keeps the follower cut off, at most, waiting for the leader to send it a snapshot. */
const SNAPSHOT_WAIT_MS = 12_000;

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
      case 'failpoint-crash': {
        const all = cluster.members.filter((m) => m.process.isRunning());
        const t = all[Math.floor(random() * all.length)];
        targets = t === undefined ? [] : [t];
        break;
      }
      case 'kill-follower': case 'pause-follower': case 'partition-follower': case 'snapshot-follower': case 'replace-follower': {
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
    if (kind === 'failpoint-crash') {
      const name = CRASH_FAILPOINTS[Math.floor(random() * CRASH_FAILPOINTS.length)]!;
      const spec = `${name}=${1 + Math.floor(random() * 30)}*panic`;
      const crashed = await cluster.crashAt(targets[0]!, spec, hold + 2_000);
      record.note = `${spec}: ${crashed ? 'crashed there' : 'not reached, killed'}`;
      o.log(`  ${record.note}`);
    } else if (kind === 'snapshot-follower') {
      const count = (text: string): number => cluster.members.reduce((n, m) => n + m.process.logs().split(text).length - 1, 0);
      const compactions = count('compacted raft log');
      cluster.isolate(targets[0]!);
      // Cut off until the others have compacted their logs twice past it: once healed, the leader
      // can only catch it up with a snapshot.
      const deadline = Date.now() + SNAPSHOT_WAIT_MS;
      for (let n = 0; n < 100 && Date.now() < deadline && count('compacted raft log') < compactions + 2 * (cluster.members.length - 1); n++) await sleep(250);
      const sent = count('sending snapshot to follower');
      await cluster.recoverAll();
      for (let n = 0; n < 20 && count('sending snapshot to follower') === sent; n++) await sleep(250);
      record.note = count('sending snapshot to follower') > sent ? 'caught up by snapshot' : 'caught up without a snapshot (too little traffic)';
      o.log(`  ${record.note}`);
    } else if (kind === 'replace-follower') {
      const leader = await cluster.leader();
      if (leader === null || leader === targets[0]) record.note = 'skipped: no leader, or the target leads now';
      else {
        try {
          await cluster.replace(targets[0]!, leader);
        } catch (err) {
          record.note = `replace failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
          throw Object.assign(new Error(`fault ${kind} on ${record.targets.join(',')}: ${record.note}`), { records });
        }
      }
    } else if (kind.startsWith('kill')) await Promise.all(targets.map((t) => cluster.kill(t)));
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
