import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import type { FaultMember } from '../harness/faultCluster.js';
import { eventually, failpointEnv, hashesAt, readAll, Recorder, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #18055 (and #20271): a member panicked when a second snapshot arrived while it was still
// applying the first. Here a follower that installs snapshots slowly (each install waits 1.5 s at
// raftBeforeApplySnap) is cut off until it needs one, then brought back while writes go on and the
// leader keeps compacting its log, so more snapshots follow the first before it is applied; then
// again. The follower must survive, install each snapshot once, newest last, and end with the same
// HashKV as the others.
describeWithReference([], () => {
  stopClustersAfterEach();

  /** The index of every snapshot the member started to install, in order. */
  const installed = (m: FaultMember): number[] =>
    [...m.process.logs().matchAll(/"msg":"installing snapshot from leader","index":(\d+)/g)].map((x) => Number(x[1]));
  const installs = (m: FaultMember): number => installed(m).length;

  async function writes(rec: Recorder, leader: FaultMember, count: number, tag: string): Promise<void> {
    for (let i = 0; i < count; i++) {
      const r = await rec.run(leader.client, { type: 'put', key: `/s/${i % 5}`, value: `${tag}-${i}` });
      if (r.status !== 'ok') throw new Error(`put ${tag}-${i} through ${leader.name}: ${JSON.stringify(r)}`);
    }
  }

  it('a follower receiving snapshots back to back survives and converges', async () => {
    const cluster = await startFaultCluster(3, {
      extraArgs: ['--snapshot-count=10', '--experimental-snapshot-catchup-entries=3'],
      envFor: (name) => (name === 'f3' ? failpointEnv('raftBeforeApplySnap=sleep(1500)') : undefined),
    });
    let leader = await cluster.waitForLeader();
    if (leader.name === 'f3') {
      await leader.client.moveLeader((await cluster.member('f1').client.status()).header!.member_id);
      leader = cluster.member('f1');
      expect(await eventually(async () => (await cluster.leader()) === leader, 15_000)).toBe(true);
    }
    const follower = cluster.member('f3');
    const rec = new Recorder();
    for (let round = 0; round < 2; round++) {
      const before = installs(follower);
      cluster.isolate(follower);
      await writes(rec, leader, 60, `cut${round}`);
      await cluster.recoverAll();
      // Writes while the follower installs slowly: the leader compacts on and may send it another.
      await writes(rec, leader, 60, `back${round}`);
      expect(await eventually(() => installs(follower) > before, 30_000), `round ${round}: the follower installs a snapshot`).toBe(true);
    }
    expect(follower.process.isRunning(), 'the follower is still running').toBe(true);
    const end = await readAll(leader.client, '/s/', '/s0');
    const hashes = await hashesAt(cluster.members, end.revision);
    expect(hashes.every((h) => h !== null), `every member reaches revision ${end.revision}`).toBe(true);
    expect(new Set(hashes).size, `HashKV at ${end.revision}: ${hashes.join(' / ')}`).toBe(1);
    // Each snapshot is installed once, each newer than the last: a snapshot the follower already has,
    // or is installing, is not queued again (a slow install once queued dozens of copies of the same
    // snapshot, each holding the whole store in memory).
    const indexes = installed(follower);
    process.stdout.write(`follower f3 installed snapshots at ${indexes.join(' ')}\n`);
    expect(indexes.filter((x, i) => i > 0 && x <= indexes[i - 1]!), `installs at ${indexes.join(' ')}`).toEqual([]);
  }, 150_000);
});
