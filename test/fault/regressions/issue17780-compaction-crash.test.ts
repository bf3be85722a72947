import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import type { FailpointName } from '../../../src/server/failpoints.js';
import { expectFailpointExit, failpointEnv, readAll, Recorder, sleep, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #17780: the revision went backwards after a crash during compaction. When every key's latest
// revision is a deletion, compaction removes every entry up to the compact revision, so a restart that
// derives the revision from what is left, without the scheduled compaction, goes back in time. Here
// the member crashes at each step of the physical compaction; after the restart the revision is
// where it was and the next write gets the next revision.
describeWithReference([], () => {
  stopClustersAfterEach();

  const steps: FailpointName[] = ['compactBeforeCommitBatch', 'compactAfterCommitBatch', 'compactBeforeSetFinished', 'compactAfterSetFinished'];

  it('a crash at any step of compaction keeps the revision monotonic across the restart', async () => {
    const cluster = await startFaultCluster(1, { envFor: () => failpointEnv(`${steps[0]!}=panic`) });
    const m = cluster.members[0]!;
    const rec = new Recorder();
    for (const [round, step] of steps.entries()) {
      for (let i = 0; i < 30; i++) expect((await rec.run(m.client, { type: 'put', key: `/c/${i % 6}`, value: `${round}-${i}` })).status).toBe('ok');
      for (let i = 0; i < 6; i++) expect((await rec.run(m.client, { type: 'delete', key: `/c/${i}` })).status).toBe('ok');
      const before = await readAll(m.client, '/c/', '/c0');
      expect(before.kvs.size).toBe(0);
      // The compaction is applied (and acknowledged) before its physical pass hits the failpoint.
      await m.client.compact(before.revision).catch(() => undefined);
      await expectFailpointExit(m, step);
      // Without the failpoint: the restart redoes the unfinished compaction.
      await cluster.restart(m, {});
      await m.process.waitReady();
      const after = await readAll(m.client, '/c/', '/c0');
      expect(after.revision, `revision after a crash at ${step}`).toBe(before.revision);
      await expect(m.client.rangeAt('/c/', '/c0', before.revision - 1, false)).rejects.toThrow(/compacted/);
      const put = await rec.run(m.client, { type: 'put', key: '/c/next', value: step });
      expect(put.status === 'ok' && put.revision, `the first write after a crash at ${step}`).toBe(before.revision + 1);
      expect((await rec.run(m.client, { type: 'delete', key: '/c/next' })).status).toBe('ok');
      const next = steps[round + 1];
      if (next === undefined) break;
      await sleep(200);
      await m.process.stop();
      await cluster.restart(m, failpointEnv(`${next}=panic`));
      await m.process.waitReady();
    }
  }, 120_000);
});
