import { rmSync } from 'node:fs';
import { type MemberProcess, planCluster, startCluster } from '../../test/support/processes.js';
import type { SystemName } from '../model.js';
import { memberView, type MemberView } from './memberStatus.js';

/*
 * A cluster of one system on loopback, started with test/support's launcher (the same flags for etcd
 * and capstan), and checked to really be one cluster: every member agrees on one leader that is one of
 * them, and the member list has every member. A set of processes that each elected itself is refused.
 */

export interface BenchCluster {
  system: SystemName;
  members: MemberProcess[];
  /** "127.0.0.1:port" of each member, in member order. */
  endpoints: string[];
  leader: string;
  stop(): Promise<void>;
}

/** The system cannot run a cluster of this size (yet); the run records a "not supported" row. */
export class ClusterUnavailable extends Error {}

const AGREEMENT_TIMEOUT_MS = 15_000;
const AGREEMENT_POLL_MS = 200;
const READY_TIMEOUT_MS = 60_000;

function hostPort(url: string): string {
  return new URL(url).host;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function stopAll(members: readonly MemberProcess[]): Promise<void> {
  await Promise.all(members.map((m) => m.stop()));
}

/** Describes why the views are not one cluster, or null when they are. */
export function disagreement(size: number, views: readonly MemberView[]): string | null {
  const leaders = new Set(views.map((v) => v.leader));
  const ids = new Set(views.map((v) => v.memberId));
  if (ids.size !== size) return `${ids.size} distinct member ids among ${size} members`;
  if (leaders.size !== 1) return `members name ${leaders.size} different leaders`;
  const [leader] = leaders;
  if (leader === undefined || leader === '0' || !ids.has(leader)) return `no elected leader (leader id ${String(leader)})`;
  const counts = views.map((v) => v.memberCount);
  if (counts.some((c) => c !== size)) return `member lists have ${[...new Set(counts)].join('/')} members, not ${size}`;
  return null;
}

export async function startBenchCluster(
  system: SystemName,
  size: number,
  baseDir: string,
  env: Record<string, string> = {},
): Promise<BenchCluster> {
  const plan = (await planCluster({ baseDir, size, namePrefix: `${system}-`, initialClusterToken: `bench-${system}-${size}` }))
    .map((options) => ({ ...options, env, readyTimeoutMs: READY_TIMEOUT_MS }));
  let members: MemberProcess[];
  try {
    members = await startCluster(system, plan);
  } catch (err) {
    throw new ClusterUnavailable(`a ${size}-member ${system} cluster did not start: ${firstLine((err as Error).message)}`);
  }
  const endpoints = members.map((m) => hostPort(m.endpoint));
  const deadline = Date.now() + AGREEMENT_TIMEOUT_MS;
  let why: string | null = 'not checked';
  let views: MemberView[] = [];
  // Bounded by the deadline; a new cluster needs an election before all members agree.
  for (let attempt = 0; attempt < AGREEMENT_TIMEOUT_MS / AGREEMENT_POLL_MS && Date.now() < deadline; attempt++) {
    try {
      views = await Promise.all(endpoints.map((e) => memberView(e)));
      why = disagreement(size, views);
    } catch (err) {
      why = `status failed: ${(err as Error).message}`;
    }
    if (why === null) break;
    await delay(AGREEMENT_POLL_MS);
  }
  if (why !== null) {
    await stopAll(members);
    throw new ClusterUnavailable(`${size} ${system} processes started but do not form one cluster: ${why}`);
  }
  const leaderIndex = views.findIndex((v) => v.memberId === v.leader);
  const leader = endpoints[leaderIndex];
  if (leader === undefined) throw new Error('invariant: agreed leader is not among the members');
  return {
    system,
    members,
    endpoints,
    leader,
    async stop() {
      await stopAll(members);
      rmSync(baseDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
