import { expect, it } from 'vitest';
import { waitForLeader } from '../support/clusterStatus.js';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, expectSuccess, planCluster, startCluster, tempDir } from '../support/processes.js';

// With etcd's lease checkpoints on, a lease keeps its remaining TTL across a leader change instead of
// starting over with its full TTL.
async function ttlAfterLeaderKill(checkpoints: boolean): Promise<number> {
  const plan = await planCluster({
    baseDir: tempDir('checkpoint'),
    size: 3,
    extraArgs: checkpoints ? ['--experimental-enable-lease-checkpoint'] : [],
  });
  for (const p of plan) p.env = { CAPSTAN_LEASE_CHECKPOINT_INTERVAL_MS: '500' };
  const members = await startCluster('capstan', plan);
  const leader = await waitForLeader(members);
  const granted = expectSuccess(await etcdctl(leader, ['lease', 'grant', '60']), 'lease grant');
  const id = /lease ([0-9a-f]+) granted/.exec(granted)![1]!;
  // Let the lease age, and checkpoints (when on) record it.
  await new Promise((r) => setTimeout(r, 6_000));
  await leader.kill('SIGKILL');
  const others = members.filter((m) => m !== leader);
  await waitForLeader(others);
  const out = expectSuccess(await etcdctl(others, ['lease', 'timetolive', id]), 'timetolive');
  return Number(/remaining\((-?\d+)s\)/.exec(out)![1]);
}

describeWithReference(['etcdctl'], () => {
  it('keeps a lease\'s remaining TTL across a leader change when checkpoints are on', async () => {
    const withCheckpoints = await ttlAfterLeaderKill(true);
    expect(withCheckpoints).toBeLessThanOrEqual(56);
    expect(withCheckpoints).toBeGreaterThan(30);
  }, 120_000);

  it('without checkpoints a new leader grants the full TTL again, as etcd 3.5 does by default', async () => {
    expect(await ttlAfterLeaderKill(false)).toBeGreaterThanOrEqual(58);
  }, 120_000);
});
