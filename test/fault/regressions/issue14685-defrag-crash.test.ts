import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import type { FaultCluster } from '../harness/faultCluster.js';
import { expectFailpointExit, failpointEnv, readAll, Recorder, sleep, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #14685 (3.5.0-3.5.5): a crash during defragmentation, between bbolt's copy into a new file
// and the rename over the old one, left a member with an inconsistent revision. capstan's defrag is
// LevelDB's compactRange (LevelDB swaps files through its manifest), so the crash points are before
// and after it, plus a kill -9 while it runs. After each, the member must start and show the same
// revision, HashKV and keys as before the defrag.
describeWithReference([], () => {
  stopClustersAfterEach();

  async function snapshotOf(cluster: FaultCluster): Promise<{ revision: number; hash: number; keys: string }> {
    const m = cluster.members[0]!;
    const all = await readAll(m.client, '/d/', '/d0');
    const hash = await m.client.hashKv(all.revision);
    return { revision: all.revision, hash, keys: JSON.stringify([...all.kvs]) };
  }

  it('a crash before, after or during defrag leaves revision, hash and keys as they were', async () => {
    const cluster = await startFaultCluster(1, { envFor: () => failpointEnv('defragBeforeCompact=panic') });
    const m = cluster.members[0]!;
    const rec = new Recorder();
    const value = 'x'.repeat(2_000);
    for (let i = 0; i < 600; i++) expect((await rec.run(m.client, { type: 'put', key: `/d/${i % 60}`, value: `${i}-${value}` })).status).toBe('ok');
    for (let i = 0; i < 20; i++) expect((await rec.run(m.client, { type: 'delete', key: `/d/${i}` })).status).toBe('ok');
    await m.client.compact(400);
    await sleep(500);
    const before = await snapshotOf(cluster);

    await expect(m.client.defragment()).rejects.toThrow();
    await expectFailpointExit(m, 'defragBeforeCompact');
    await cluster.restart(m, failpointEnv('defragAfterCompact=panic'));
    await m.process.waitReady();
    expect(await snapshotOf(cluster)).toEqual(before);

    await expect(m.client.defragment()).rejects.toThrow();
    await expectFailpointExit(m, 'defragAfterCompact');
    await cluster.restart(m, {});
    await m.process.waitReady();
    expect(await snapshotOf(cluster)).toEqual(before);

    // kill -9 while compactRange runs (it takes a while on this much history, or not: either way
    // the member must come back the same).
    const defrag = m.client.defragment().catch(() => undefined);
    await sleep(5);
    await cluster.kill(m);
    await defrag;
    await cluster.restart(m);
    await m.process.waitReady();
    expect(await snapshotOf(cluster)).toEqual(before);
    const next = await rec.run(m.client, { type: 'put', key: '/d/after', value: 'v' });
    expect(next.status === 'ok' && next.revision).toBe(before.revision + 1);
  }, 120_000);
});
