// One seeded schedule: a random cluster shape and fault mix, a chaos phase (drops, duplicates,
// delays, partitions, crashes, restarts, membership changes, leader transfers, reads, proposals)
// with safety checked after every step, then a calm phase in which the cluster must elect a leader
// and commit a new entry on every member within bounded virtual time.
import { ConfChangeType, SeededRng, StateType } from '../../../src/raft/index.js';
import { type ClusterParams, SimCluster, type SimNode } from './cluster.js';
import { CALM, type NetworkConditions } from './network.js';

export interface ScheduleResult {
  seed: number;
  initialNodes: number;
  finalMembers: number;
  virtualTime: number;
  leadersElected: number;
  committed: number;
  appliedEntries: number;
  messagesDelivered: number;
}

export function replayCommand(seed: number): string {
  return `SIM_SEED=${seed} npx vitest run test/simulation/replay.test.ts`;
}

export class SimulationFailure extends Error {
  constructor(readonly seed: number, message: string) {
    super(message);
    this.name = 'SimulationFailure';
  }
}

const MAX_NODES = 9;

function randomConditions(rng: SeededRng): NetworkConditions {
  return {
    dropRate: rng.pick([0, 0.01, 0.05, 0.2]),
    dupRate: rng.pick([0, 0.02, 0.1]),
    minDelay: 1,
    maxDelay: rng.pick([3, 10, 30, 80]),
  };
}

function shuffled<T>(rng: SeededRng, items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.intn(i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export function runSchedule(seed: number, opts: { trace?: boolean } = {}): ScheduleResult {
  const rng = new SeededRng(seed);
  const params: ClusterParams = {
    initialNodes: rng.pick([1, 3, 3, 3, 5, 5]),
    preVote: rng.chance(0.5),
    checkQuorum: rng.chance(0.5),
    electionTick: 10,
    heartbeatTick: rng.pick([1, 1, 2, 3]),
    maxInflightMsgs: rng.pick([1, 2, 4, 16, 256]),
    maxSizePerMsg: rng.pick([1, 64, 512, 1 << 20]),
    tickUnits: 10,
    leaderSendsFirst: rng.chance(0.5),
  };
  const cluster = new SimCluster(rng, params, randomConditions(rng), opts.trace ?? false);
  const chaosUnits = (100 + rng.intn(150)) * params.tickUnits;
  const opRate = rng.pick([0.02, 0.05, 0.1]);
  const restartAt = new Map<bigint, number>();
  let healPartitionAt = -1;
  let seq = 0;

  const fail = (msg: string): never => {
    const tail = cluster.trace.length > 0 ? `\n--- last events ---\n${cluster.trace.slice(-60).join('\n')}` : '';
    throw new SimulationFailure(
      seed,
      `simulation seed ${seed} failed at virtual time ${cluster.now}: ${msg}\n` +
        `params: ${JSON.stringify(params)} net: ${JSON.stringify(cluster.net.conditions)}\n` +
        `replay: ${replayCommand(seed)}${tail}`,
    );
  };

  const members = (sn: SimNode): bigint[] => [...sn.app.confState.voters, ...sn.app.confState.learners];

  const chaosOp = (): void => {
    const alive = cluster.alive();
    const r = rng.float();
    if (r < 0.45) {
      if (alive.length > 0) cluster.propose(rng.pick(alive), new TextEncoder().encode(`p${seq++}`));
    } else if (r < 0.55) {
      if (alive.length === 0) return;
      // Leaders are the interesting victims: their crashes leave divergent log tails behind.
      const victim = rng.chance(0.5) ? (cluster.leader() ?? rng.pick(alive)) : rng.pick(alive);
      if (rng.chance(0.25)) cluster.crashAfterPersist.add(victim.id);
      else cluster.crash(victim.id);
    } else if (r < 0.62) {
      let ids = shuffled(rng, [...cluster.nodes.keys()]);
      let cut = 1 + rng.intn(Math.max(1, ids.length - 1));
      const leader = cluster.leader();
      if (leader && rng.chance(0.4)) {
        // Cut the leader off alone, mid-replication.
        ids = [leader.id, ...ids.filter((id) => id !== leader.id)];
        cut = 1;
      }
      cluster.net.setPartition([ids.slice(0, cut), ids.slice(cut)]);
      healPartitionAt = cluster.now + 50 + rng.intn(600);
      cluster.log(`partition ${ids.slice(0, cut).join(',')} | ${ids.slice(cut).join(',')}`);
    } else if (r < 0.68) {
      cluster.net.conditions = randomConditions(rng);
    } else if (r < 0.78) {
      const leader = cluster.leader();
      if (!leader) return;
      const cs = leader.app.confState;
      const k = rng.float();
      if (k < 0.3 && cluster.nodes.size < MAX_NODES) {
        const id = cluster.spawn();
        cluster.proposeConfChange(leader, rng.chance(0.5) ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, id);
      } else if (k < 0.5 && cs.learners.length > 0) {
        cluster.proposeConfChange(leader, ConfChangeType.AddNode, rng.pick(cs.learners));
      } else if (k < 0.85 && cs.voters.length > 1) {
        cluster.proposeConfChange(leader, ConfChangeType.RemoveNode, rng.pick(members(leader)));
      } else if (cs.voters.length > 1) {
        cluster.proposeConfChange(leader, ConfChangeType.RemoveNode, leader.id);
      }
    } else if (r < 0.85) {
      const leader = cluster.leader();
      if (leader && leader.app.confState.voters.length > 1) cluster.transfer(leader, rng.pick(leader.app.confState.voters));
    } else if (r < 0.95) {
      if (alive.length > 0) cluster.readIndex(rng.pick(alive));
    }
  };

  const restartDue = (): void => {
    for (const sn of cluster.nodes.values()) {
      if (sn.node || sn.removed) continue;
      const at = restartAt.get(sn.id);
      if (at === undefined) restartAt.set(sn.id, cluster.now + 20 + rng.intn(400));
      else if (at <= cluster.now) {
        restartAt.delete(sn.id);
        cluster.restart(sn.id);
      }
    }
  };

  try {
    // Chaos.
    while (cluster.now < chaosUnits) {
      cluster.stepTime();
      if (cluster.now % 8 === 0) restartDue();
      if (healPartitionAt >= 0 && cluster.now >= healPartitionAt) {
        cluster.net.heal();
        healPartitionAt = -1;
        cluster.log('partition healed');
      }
      if (rng.chance(opRate)) chaosOp();
    }

    // Calm: heal everything, restart everyone, and demand progress.
    cluster.log('--- heal ---');
    cluster.net.heal();
    cluster.net.conditions = CALM;
    cluster.crashAfterPersist.clear();
    for (const sn of cluster.nodes.values()) if (!sn.node && !sn.removed) cluster.restart(sn.id);
    const deadline = cluster.now + 400 * params.tickUnits;
    const probes = new Map<string, true>();
    let done = false;
    while (cluster.now < deadline && !done) {
      cluster.stepTime();
      if (cluster.now % (5 * params.tickUnits) === 0) {
        const leader = cluster.leader();
        if (leader) {
          const data = `probe${probes.size}`;
          if (cluster.propose(leader, new TextEncoder().encode(data))) probes.set(data, true);
        }
      }
      done = progressed(cluster);
    }
    if (!done) {
      const states = [...cluster.nodes.values()]
        .map((n) => `${n.id}:${n.removed ? 'removed' : n.node ? StateType[n.node.raft.state] + '@' + n.node.raft.term + ' applied ' + n.app.applied + ' commit ' + n.node.raft.raftLog.committed + ' last ' + n.node.raft.raftLog.lastIndex() + '/' + n.node.raft.raftLog.lastTerm() + ' conf ' + n.node.raft.trk.confState().voters.join(',') + (n.node.raft.trk.learners.size ? ' learners ' + [...n.node.raft.trk.learners].join(',') : '') : 'down'}`)
        .join('; ');
      const lead = cluster.leader()?.node?.status();
      const progress = lead?.progress
        ? [...lead.progress].map(([id, p]) => `${id}:${p.state} match ${p.match} next ${p.next} active ${p.recentActive}`).join('; ')
        : 'no leader';
      fail(`liveness: no leader committed a new entry on every member within 400 calm ticks (${states}) leader progress: ${progress} commit ${lead?.committed} last ${lead?.lastIndex}`);
    }
  } catch (e) {
    if (e instanceof SimulationFailure) throw e;
    fail(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }

  const leader = cluster.leader();
  return {
    seed,
    initialNodes: params.initialNodes,
    finalMembers: leader ? members(leader).length : 0,
    virtualTime: cluster.now,
    leadersElected: cluster.checker.leadersElected,
    committed: cluster.checker.maxCommitted,
    appliedEntries: cluster.checker.appliedEntries,
    messagesDelivered: cluster.net.delivered,
  };
}

/**
 * The leader of the highest term has its latest probe entry applied on every member of its
 * configuration. (A removed node cut off from the cluster may still believe it leads an older
 * term; without check-quorum nothing tells it otherwise, as in etcd. It cannot commit anything.)
 */
function progressed(cluster: SimCluster): boolean {
  const leader = cluster.leader();
  if (!leader) return false;
  const probeIndex = lastProbeIndex(cluster, leader);
  if (probeIndex === 0) return false;
  for (const id of [...leader.app.confState.voters, ...leader.app.confState.learners]) {
    const sn = cluster.nodes.get(id);
    if (!sn || !sn.node || sn.app.applied < probeIndex) return false;
  }
  return true;
}

function lastProbeIndex(cluster: SimCluster, leader: SimNode): number {
  return cluster.probeApplied.get(leader.id) ?? 0;
}
