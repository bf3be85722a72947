import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import { WatchRecorder } from '../harness/watchRecorder.js';
import { validateWatches } from '../watch/validate.js';
import { eventually, readAll, Recorder, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #15271 (and #8411): a watch served by a member that was cut off and then restored from the
// leader's snapshot went back in time. Here a watch runs on a follower while it is isolated until the
// leader has compacted its log past it, so the follower must install a snapshot; the watch, across
// the install, must keep every guarantee: nothing twice, nothing missing, never backwards, and no
// progress notification vouching for revisions whose events it did not deliver.
describeWithReference([], () => {
  stopClustersAfterEach();

  it('a watch on a follower restored from a snapshot neither goes back in time nor skips', async () => {
    const cluster = await startFaultCluster(3, { extraArgs: ['--snapshot-count=20', '--experimental-snapshot-catchup-entries=5'] });
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m !== leader)!;
    const rec = new Recorder();
    const start = await readAll(leader.client, '/w/', '/w0');
    const watch = new WatchRecorder({
      id: 'on-follower', key: '/w/', rangeEnd: '/w0', prevKv: true, startRevision: start.revision + 1,
      client: () => follower.client, clock: rec.clock, progressEveryMs: 300,
    });
    watch.start();
    try {
      for (let i = 0; i < 5; i++) expect((await rec.run(leader.client, { type: 'put', key: `/w/${i % 4}`, value: `before-${i}` })).status).toBe('ok');
      expect(await watch.waitFor(start.revision + 5, 10_000)).toBe(true);

      cluster.isolate(follower);
      // Far more entries than snapshot-count + catch-up entries: the leader can only send a snapshot.
      for (let i = 0; i < 80; i++) {
        const r = await rec.run(leader.client, { type: 'put', key: `/w/${i % 4}`, value: `isolated-${i}` });
        expect(r.status, `put ${i} while the follower is isolated`).toBe('ok');
      }
      await cluster.recoverAll();
      expect(await eventually(() => follower.process.logs().includes('installing snapshot from leader'), 30_000), 'the follower installs a snapshot').toBe(true);
      for (let i = 0; i < 10; i++) expect((await rec.run(leader.client, { type: 'put', key: `/w/${i % 4}`, value: `after-${i}` })).status).toBe('ok');
      const end = await readAll(leader.client, '/w/', '/w0');
      expect(await watch.waitFor(end.revision, 20_000), `the follower's watch delivers up to ${end.revision}`).toBe(true);
    } finally {
      await watch.stop();
    }
    const result = validateWatches(watch.streams, rec.history, { allWritesWithin: { key: '/w/', rangeEnd: '/w0' }, initialRevision: start.revision });
    expect(result.violations, JSON.stringify(result.violations.slice(0, 5), null, 1)).toEqual([]);
    expect(result.events).toBe(95);
  }, 150_000);
});
