import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import type { FaultMember } from '../harness/faultCluster.js';
import { expectFailpointExit, failpointEnv, hashesAt, readAll, Recorder, sleep, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #13766 (3.5.0-3.5.2, the v3.5 data inconsistency postmortem): the consistent index was saved
// apart from the data it vouches for, so a member killed under load skipped entries on restart and
// the members diverged. capstan writes the applied index in the same LevelDB batch as the data.
// Here members crash between an apply and its batch write (failpoints) and are killed with -9 under
// load; afterwards every member's HashKV at one revision must be the same.
describeWithReference([], () => {
  stopClustersAfterEach();

  it('members crashed mid-apply and killed under load agree on HashKV at the same revision', async () => {
    const env: Record<string, string> = {
      f2: 'applyBeforeBackendCommit=40*panic',
      f3: 'applyAfterBackendCommit=60*panic',
    };
    const cluster = await startFaultCluster(3, { envFor: (name) => (env[name] ? failpointEnv(env[name]) : undefined) });
    const rec = new Recorder();
    let writing = true;
    const clients = cluster.members.map(async (m, c) => {
      for (let n = 0; n < 5_000 && writing; n++) {
        const key = `/h/${(n * 7 + c) % 16}`;
        const r = n % 5 === 4
          ? await rec.run(m.client, { type: 'delete', key }, c)
          : n % 5 === 3
            ? await rec.run(m.client, { type: 'txn', compare: [], success: [{ type: 'put', key, value: `t${c}-${n}` }, { type: 'put', key: `${key}x`, value: `u${c}-${n}` }], failure: [] }, c)
            : await rec.run(m.client, { type: 'put', key, value: `p${c}-${n}` }, c);
        if (r.status !== 'ok') await sleep(50);
      }
    });
    try {
      const crashed = async (m: FaultMember, name: string): Promise<void> => {
        await expectFailpointExit(m, name, 60_000);
        await cluster.restart(m, {});
      };
      await Promise.all([crashed(cluster.member('f2'), 'applyBeforeBackendCommit'), crashed(cluster.member('f3'), 'applyAfterBackendCommit')]);
      // Then kill -9 whoever leads, twice, with writes still running.
      for (let k = 0; k < 2; k++) {
        await cluster.recoverAll();
        const leader = await cluster.waitForLeader();
        await sleep(700);
        await cluster.kill(leader);
        await sleep(500);
      }
      await cluster.recoverAll();
      // Enough acknowledged writes for the comparison to mean something, however slow the machine.
      for (let n = 0; n < 600 && rec.ackedPuts().length < 150; n++) await sleep(100);
    } finally {
      writing = false;
      await Promise.all(clients);
    }
    await cluster.recoverAll();
    const leader = await cluster.waitForLeader();
    const end = await readAll(leader.client, '/h/', '/h0');
    expect(rec.ackedPuts().length).toBeGreaterThan(100);
    const hashes = await hashesAt(cluster.members, end.revision);
    expect(hashes.every((h) => h !== null), `every member answers HashKV at ${end.revision}`).toBe(true);
    expect(new Set(hashes).size, `HashKV at ${end.revision}: ${hashes.join(' / ')}`).toBe(1);
  }, 180_000);
});
