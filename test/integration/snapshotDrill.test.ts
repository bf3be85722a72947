import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, expectSuccess, type MemberProcess, planCluster, startCapstan, startCluster, tempDir } from '../support/processes.js';
import { capstanSnapshot, dumpKeys, hashKv } from '../compat/snapshotSupport.js';

// The operations guide's restore drill, on three capstan members: save a snapshot, keep writing, stop
// every member, restore each one from the same file into a new directory, start them, and check that
// what was written before the snapshot is there, what came after is gone, and the new cluster works.

/** Members serve Status before an election is won; writes need a leader every member agrees on. */
async function waitForLeader(members: readonly MemberProcess[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let attempt = 0; attempt < 150 && Date.now() < deadline; attempt++) {
    const out = await etcdctl(members, ['endpoint', 'status', '-w', 'json'], { commandTimeout: '2s' });
    if (out.code === 0) {
      const leaders = [...out.stdout.matchAll(/"leader":\s*(\d+)/g)].map((m) => m[1]);
      if (leaders.length === members.length && leaders[0] !== '0' && leaders.every((l) => l === leaders[0])) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no leader elected within 30 s');
}

describeWithReference(['etcdctl'], () => {
  // Found by the drill: a write proposed while the cluster had no leader yet killed the member (an
  // unhandled rejection of the waiter's promise) instead of failing with etcd's error.
  it('a write while there is no leader fails with etcd\'s error and the member lives on', async () => {
    const base = tempDir('snapshot-drill-noleader');
    const [lone] = await planCluster({ baseDir: base, size: 3 });
    const member = await startCapstan({ ...lone!, wait: true });
    const put = await etcdctl(member, ['put', 'k', 'v'], { commandTimeout: '3s' });
    expect(put.code).not.toBe(0);
    expect(put.stderr).toMatch(/no leader|timed out|deadline/);
    expect(member.isRunning()).toBe(true);
    expect(await etcdctl(member, ['endpoint', 'status'])).toMatchObject({ code: expect.any(Number) });
    expect(member.isRunning()).toBe(true);
  });

  it('3 members: stop all, restore each from one file into new dirs, start, verify', async () => {
    const base = tempDir('snapshot-drill');
    mkdirSync(path.join(base, 'old'));
    mkdirSync(path.join(base, 'new'));
    const plan = await planCluster({ baseDir: path.join(base, 'old'), size: 3, initialClusterToken: 'drill-old' });
    const old = await startCluster('capstan', plan);
    await waitForLeader(old);
    const first = old[0]!;

    for (let i = 0; i < 40; i++) expectSuccess(await etcdctl(first, ['put', `before/${i}`, `v${i}`]), 'put before');
    const lease = expectSuccess(await etcdctl(first, ['lease', 'grant', '3600']), 'lease grant').split(' ')[1]!;
    expectSuccess(await etcdctl(first, ['put', 'before/leased', 'x', `--lease=${lease}`]), 'leased put');
    expectSuccess(await etcdctl(first, ['del', 'before/0']), 'delete before');

    const file = path.join(base, 'drill.snap');
    expect((await capstanSnapshot(['save', file, `--endpoints=${old[1]!.endpoint}`])).stdout).toBe(`Snapshot saved at ${file}\n`);
    const status = JSON.parse(expectSuccess(await capstanSnapshot(['status', file, '-w', 'json']), 'status')) as { revision: number };
    const atSnapshot = await dumpKeys(old[1]!, status.revision);
    const hashAtSnapshot = await hashKv(old[1]!, status.revision);

    for (let i = 0; i < 10; i++) expectSuccess(await etcdctl(first, ['put', `after/${i}`, 'lost']), 'put after');
    expectSuccess(await etcdctl(first, ['put', 'before/1', 'overwritten-after']), 'overwrite after');
    for (const m of old) await m.stop();

    const fresh = await planCluster({ baseDir: path.join(base, 'new'), size: 3, initialClusterToken: 'drill-new' });
    for (const m of fresh) {
      expect(existsSync(m.dataDir)).toBe(false);
      expectSuccess(
        await capstanSnapshot([
          'restore',
          file,
          `--name=${m.name}`,
          `--data-dir=${m.dataDir}`,
          `--initial-cluster=${m.initialCluster!}`,
          `--initial-cluster-token=${m.initialClusterToken!}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${m.peerPort}`,
        ]),
        `restore ${m.name}`,
      );
    }
    const restored = await startCluster('capstan', fresh);
    await waitForLeader(restored);

    for (const m of restored) {
      const got = await dumpKeys(m);
      expect({ member: m.name, revision: got.revision }).toEqual({ member: m.name, revision: status.revision });
      expect(got.kvs).toEqual(atSnapshot.kvs);
      expect(got.kvs.some((kv) => Buffer.from(kv.key, 'base64').toString().startsWith('after/'))).toBe(false);
      expect((await hashKv(m)).hash).toBe(hashAtSnapshot.hash);
    }
    const members = expectSuccess(await etcdctl(restored[0]!, ['member', 'list', '-w', 'json']), 'member list');
    expect((JSON.parse(members.replace(/(":\s*)(\d{16,})/g, '$1"$2"')) as { members: unknown[] }).members.length).toBe(3);
    expectSuccess(await etcdctl(restored[0]!, ['lease', 'timetolive', lease]), 'lease survives').includes('granted with TTL(3600s)');

    // The restored cluster is a working cluster: a write through one member is read on every member.
    expectSuccess(await etcdctl(restored[2]!, ['put', 'after-restore', 'ok']), 'put after restore');
    for (const m of restored) {
      expect(expectSuccess(await etcdctl(m, ['get', 'after-restore', '--print-value-only']), 'get after restore')).toBe('ok\n');
    }
  });
});
