import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import type { FaultCluster } from '../harness/faultCluster.js';
import { expectFailpointExit, failpointEnv, readAll, Recorder, sleep, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #14370 (fixed in 3.5.5): a one-member cluster acknowledged writes before their WAL entries were
// fsynced (the same entries were unstable and committed in one Ready) and lost them in a crash. Here
// the only member crashes at the WAL save, under concurrent writes, and after a restart every
// acknowledged write must be there, at the revision it was acknowledged with.
describeWithReference([], () => {
  stopClustersAfterEach();

  const CLIENTS = 4;
  const MAX_PUTS = 400;

  /** Concurrent unique puts until the member is gone (or MAX_PUTS each); returns the recorder. */
  async function writeUntilDown(cluster: FaultCluster, stopAfterMs: number): Promise<Recorder> {
    const rec = new Recorder();
    const m = cluster.members[0]!;
    const until = Date.now() + stopAfterMs;
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; n < MAX_PUTS && m.process.isRunning() && Date.now() < until; n++) {
        await rec.run(m.client, { type: 'put', key: `/a/${c}/${n}`, value: `v${c}-${n}` }, c);
      }
    }));
    return rec;
  }

  async function expectEveryAckedPutAfterRestart(cluster: FaultCluster, rec: Recorder): Promise<void> {
    const m = cluster.members[0]!;
    const acked = rec.ackedPuts();
    expect(acked.length, 'some writes were acknowledged before the crash').toBeGreaterThan(10);
    await cluster.restart(m, {});
    await m.process.waitReady();
    const after = await readAll(m.client, '/a/', '/a0');
    const lost = acked.filter((p) => after.kvs.get(p.key) !== p.value);
    expect(lost.map((p) => `${p.key}@${p.revision}`), 'acknowledged writes missing after the restart').toEqual([]);
    expect(after.revision).toBeGreaterThanOrEqual(Math.max(...acked.map((p) => p.revision)));
  }

  for (const name of ['raftBeforeSave', 'raftAfterSave'] as const) {
    it(`a crash at ${name} loses no acknowledged write`, async () => {
      const cluster = await startFaultCluster(1, { envFor: () => failpointEnv(`${name}=60*panic`) });
      const rec = await writeUntilDown(cluster, 60_000);
      await expectFailpointExit(cluster.members[0]!, name);
      await expectEveryAckedPutAfterRestart(cluster, rec);
    }, 120_000);
  }

  it('kill -9 while WAL saves are slow loses no acknowledged write', async () => {
    // A slow save widens the window in which an entry is committed in memory but not yet on disk.
    const cluster = await startFaultCluster(1, { envFor: () => failpointEnv('raftBeforeSave=sleep(150)') });
    const m = cluster.members[0]!;
    const writing = writeUntilDown(cluster, 60_000);
    await sleep(3_000);
    await cluster.kill(m);
    const rec = await writing;
    await expectEveryAckedPutAfterRestart(cluster, rec);
  }, 120_000);
});
