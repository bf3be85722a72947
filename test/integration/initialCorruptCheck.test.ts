import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { decodeKeyValue, encodeKeyValue } from '../../src/mvcc/keyValueCodec.js';
import { endpointStatuses, waitForLeader } from '../support/clusterStatus.js';
import { bucketEntries, latestRunLog, openBackendDb } from '../support/dataDirSurgery.js';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, expectSuccess, type ExitStatus, type MemberProcess, planCluster, startCluster, tempDir } from '../support/processes.js';

// etcd's --experimental-initial-corrupt-check: before serving, a restarting member compares its HashKV
// at its own revision with its peers'. A member whose LevelDB was altered (same revisions, another
// value) refuses to start; an unaltered one starts. Started without the check, the altered member is
// caught by the leader's periodic check (--experimental-corrupt-check-time), which raises CORRUPT.

// Every member also runs the leader's periodic check, which must stay quiet while all agree.
const TIMINGS = ['--heartbeat-interval=100', '--election-timeout=1000', '--experimental-corrupt-check-time=2s'];
const CHECK = '--experimental-initial-corrupt-check';

async function waitSameRevision(members: readonly MemberProcess[], timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const revisions = (await endpointStatuses(members)).map((s) => s.revision);
    seen = revisions.join(',');
    if (revisions.length === members.length && new Set(revisions).size === 1) return revisions[0]!;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`members did not reach one revision within ${timeoutMs} ms: ${seen}`);
}

describeWithReference(['etcdctl'], () => {
  it('refuses to start a member whose data differs from its peers, and starts an unaltered one', async () => {
    const plan = await planCluster({ baseDir: tempDir('initial-corrupt-check'), size: 3, extraArgs: TIMINGS });
    const members = await startCluster('capstan', plan);
    await waitForLeader(members);
    const client = new Etcd3({ hosts: members.map((m) => m.endpoint), dialTimeout: 5_000 });
    try {
      for (let i = 0; i < 10; i++) await client.put(`key${i}`).value(`value${i}`).exec();
    } finally {
      client.close();
    }
    const revision = await waitSameRevision(members);
    const [m1, m2, m3] = members as [MemberProcess, MemberProcess, MemberProcess];

    // An unaltered member passes the check and serves.
    const m2again = await m2.restart({ extraArgs: [...TIMINGS, CHECK] });
    const passed = latestRunLog(m2again.logs());
    expect(passed).toContain('starting initial corruption check');
    expect(passed).toContain('initial corruption checking passed; no corruption');
    expect(passed).not.toContain('failed hash kv request');
    await waitSameRevision([m1, m2again, m3]);

    // Alter one value in m3's LevelDB, keeping every revision as it was.
    await m3.stop();
    const db = await openBackendDb(m3.dataDir);
    try {
      const entries = await bucketEntries(db, 'key');
      const [k, v] = entries.find(([, value]) => decodeKeyValue(value).key.toString() === 'key5')!;
      const kv = decodeKeyValue(v);
      await db.put(k, encodeKeyValue({ ...kv, value: Buffer.from('tampered') }));
    } finally {
      await db.close();
    }
    const m3again = await m3.restart({ extraArgs: [...TIMINGS, CHECK], wait: false });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      m3again.exited,
      new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 60_000))),
    ]);
    clearTimeout(timer);
    const refused = latestRunLog(m3again.logs());
    expect(outcome, refused).not.toBe('still running');
    expect((outcome as ExitStatus).code, refused).not.toBe(0);
    expect(refused).toContain('found different hash values from remote peer');
    expect(refused).toMatch(/[0-9a-f]+ found data inconsistency with peers/);
    expect(refused).not.toContain('ready to serve client requests');

    // The others still serve, with the untampered value.
    const get = expectSuccess(await etcdctl(m1, ['get', 'key5', '--print-value-only']), 'get key5');
    expect(get).toBe('value5\n');
    expect((await endpointStatuses([m1, m2again]))[0]!.revision).toBeGreaterThanOrEqual(revision);
    // No false alarm from the periodic checks so far.
    expect(expectSuccess(await etcdctl(m1, ['alarm', 'list']), 'alarm list')).toBe('');

    // Without the initial check the altered member starts; the leader's periodic check catches it.
    const m3served = await m3again.restart({ extraArgs: TIMINGS });
    const m3id = (await endpointStatuses([m3served]))[0]!.memberId;
    const deadline = Date.now() + 60_000;
    let alarms = '';
    while (Date.now() < deadline && !alarms.includes('CORRUPT')) {
      alarms = expectSuccess(await etcdctl(m1, ['alarm', 'list']), 'alarm list');
      if (!alarms.includes('CORRUPT')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(alarms).toBe(`memberID:${m3id} alarm:CORRUPT \n`);
  }, 240_000);
});
