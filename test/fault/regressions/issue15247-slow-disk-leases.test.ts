import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import { eventually, failpointEnv, Recorder, sleep, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #15247 (and #12528): a leader stuck in fdatasync lost its leadership in raft, but its lessor
// still thought it was primary: it saw every lease expire (the keep-alives went to the new leader) and
// revoked all of them when it woke up. Here f1 leads, then its disk turns slow (every WAL fsync
// sleeps 8 s, longer than the leases' TTL, from some point on) while clients keep leases alive
// through the other members; the kept leases must survive the stall and the wake-up, and a lease
// nobody keeps alive must still expire.
describeWithReference([], () => {
  stopClustersAfterEach();

  it('a leader stalled on a slow disk does not revoke leases kept alive through the new leader', async () => {
    const SLOW_FROM_FSYNC = 80;
    const cluster = await startFaultCluster(3, {
      envFor: (name) => (name === 'f1' ? failpointEnv(`walBeforeSync=${SLOW_FROM_FSYNC}*sleep(8000)`) : undefined),
    });
    const f1 = cluster.member('f1');
    const others = cluster.members.filter((m) => m !== f1);
    const f1Id = (await f1.client.status()).header!.member_id;
    const leader = await cluster.waitForLeader();
    if (leader !== f1) await leader.client.moveLeader(f1Id);
    expect(await eventually(async () => (await cluster.leader()) === f1, 15_000), 'f1 leads').toBe(true);

    const rec = new Recorder();
    const kept = [1001, 1002, 1003];
    const forgotten = 2001;
    for (const id of [...kept, forgotten]) expect((await rec.run(f1.client, { type: 'leaseGrant', id, ttl: 3 })).status).toBe('ok');
    for (const id of kept) expect((await rec.run(f1.client, { type: 'put', key: `/l/${id}`, value: 'v', lease: id })).status).toBe('ok');

    let keeping = true;
    const keepAlives = others.map(async (m) => {
      for (let n = 0; n < 400 && keeping; n++) {
        await Promise.all(kept.map((id) => m.client.keepAliveOnce(id, 1_000).catch(() => 0)));
        await sleep(400);
      }
    });
    try {
      // Writes through f1 until its disk turns slow (a write stalls), bounded.
      let stalled = false;
      for (let i = 0; i < 2 * SLOW_FROM_FSYNC && !stalled; i++) {
        const t0 = Date.now();
        await rec.run(f1.client, { type: 'put', key: '/l/load', value: `w${i}` });
        stalled = Date.now() - t0 > 2_000;
      }
      expect(stalled, "the leader's disk turned slow").toBe(true);
      expect(await eventually(async () => { const l = await cluster.leader(); return l !== null && l !== f1; }, 20_000), 'another member leads').toBe(true);
      // Several TTLs and several of f1's slow fsyncs (it keeps running, as a slow follower).
      await sleep(14_000);
      for (const id of kept) {
        const ttl = await others[0]!.client.leaseTtl(id, 3_000);
        expect(ttl, `lease ${id}, kept alive all along, after the stall`).toBeGreaterThan(0);
      }
      expect(await others[0]!.client.leaseTtl(forgotten, 3_000), 'the lease nobody kept alive expired').toBe(-1);
    } finally {
      keeping = false;
      await Promise.all(keepAlives);
    }
  }, 150_000);
});
