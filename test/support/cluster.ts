import path from 'node:path';
import { type MemberKind, type MemberOptions, type MemberProcess, startMember } from './members.js';
import { freePort } from './ports.js';

export interface ClusterPlanOptions {
  /** Directory holding each member's data dir (`<baseDir>/<name>.data`) and log (`<baseDir>/<name>.log`). */
  baseDir: string;
  size: number;
  namePrefix?: string;
  withMetrics?: boolean;
  initialClusterToken?: string;
  extraArgs?: readonly string[];
  /** Scheme of the peer URLs; default 'http'. */
  peerScheme?: 'http' | 'https';
}

const MAX_CLUSTER_SIZE = 9;

/** Ports, names and one shared --initial-cluster for `size` loopback members. */
export async function planCluster(plan: ClusterPlanOptions): Promise<MemberOptions[]> {
  if (!Number.isInteger(plan.size) || plan.size < 1 || plan.size > MAX_CLUSTER_SIZE) {
    throw new Error(`planCluster: size must be 1..${MAX_CLUSTER_SIZE}, not ${plan.size}`);
  }
  const members: MemberOptions[] = [];
  for (let i = 0; i < plan.size; i++) {
    const name = `${plan.namePrefix ?? 'm'}${i + 1}`;
    const options: MemberOptions = {
      name,
      dataDir: path.join(plan.baseDir, `${name}.data`),
      clientPort: await freePort(),
      peerPort: await freePort(),
      state: 'new',
      initialClusterToken: plan.initialClusterToken ?? 'capstan-test',
      extraArgs: plan.extraArgs ?? [],
      peerScheme: plan.peerScheme ?? 'http',
    };
    if (plan.withMetrics) options.metricsPort = await freePort();
    members.push(options);
  }
  const scheme = plan.peerScheme ?? 'http';
  const initialCluster = members.map((m) => `${m.name}=${scheme}://127.0.0.1:${m.peerPort}`).join(',');
  return members.map((m) => ({ ...m, initialCluster }));
}

/**
 * Spawns every member first and only then waits for each: a member of a new multi-member cluster
 * serves clients only once a quorum of its peers is up.
 */
export async function startCluster(kind: MemberKind, plan: readonly MemberOptions[]): Promise<MemberProcess[]> {
  const members: MemberProcess[] = [];
  for (const options of plan) members.push(await startMember(kind, { ...options, wait: false }));
  await Promise.all(members.map((m) => m.waitReady()));
  return members;
}
