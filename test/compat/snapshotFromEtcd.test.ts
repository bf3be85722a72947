import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import {
  etcdctl,
  etcdutl,
  expectSuccess,
  freePorts,
  type MemberProcess,
  startCapstan,
  startEtcd,
  tempDir,
} from '../support/processes.js';
import { capstanSnapshot, dumpKeys, FIXTURE_DB, FIXTURE_DIR, hashKv, leaseIds, parseBigJson, peerUrl, randomWorkload } from './snapshotSupport.js';

// etcd → capstan: snapshots taken by a real etcd (3.4.23 fixture, and 3.5.21 with random data) are
// restored by `capstan snapshot restore`, and capstan then serves exactly what etcd served.


/** Restores `file` with capstan for a one-member cluster and starts capstan on it. */
async function restoreIntoCapstan(file: string, dir: string, name: string, extra: string[] = []): Promise<MemberProcess> {
  const [clientPort, peerPort] = await freePorts(2);
  const dataDir = path.join(dir, `${name}.data`);
  const restored = await capstanSnapshot([
    'restore',
    file,
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--initial-cluster=${name}=${peerUrl(peerPort!)}`,
    `--initial-advertise-peer-urls=${peerUrl(peerPort!)}`,
    ...extra,
  ]);
  expectSuccess(restored, 'capstan snapshot restore');
  return startCapstan({ name, dataDir, clientPort: clientPort!, peerPort: peerPort! });
}

async function restoreIntoEtcd(file: string, dir: string, name: string, extra: string[] = []): Promise<MemberProcess> {
  const [clientPort, peerPort] = await freePorts(2);
  const dataDir = path.join(dir, `${name}.data`);
  expectSuccess(
    await etcdutl([
      'snapshot',
      'restore',
      file,
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--initial-cluster=${name}=${peerUrl(peerPort!)}`,
      `--initial-advertise-peer-urls=${peerUrl(peerPort!)}`,
      ...extra,
    ]),
    'etcdutl snapshot restore',
  );
  return startEtcd({ name, dataDir, clientPort: clientPort!, peerPort: peerPort! });
}

describeWithReference(['etcd', 'etcdctl', 'etcdutl'], () => {
  it('status of the etcd 3.4.23 fixture: every output format byte-identical to etcdutl', async () => {
    for (const format of ['simple', 'table', 'json', 'fields']) {
      const ours = await capstanSnapshot(['status', FIXTURE_DB, '-w', format]);
      const theirs = await etcdutl(['snapshot', 'status', FIXTURE_DB, '-w', format]);
      expect(theirs.code).toBe(0);
      expect({ format, code: ours.code, out: ours.stdout }).toEqual({ format, code: 0, out: theirs.stdout });
    }
    expect(JSON.parse((await capstanSnapshot(['status', FIXTURE_DB, '-w', 'json'])).stdout)).toEqual({
      hash: 3374655006,
      revision: 2325,
      totalKey: 2331,
      totalSize: 978944,
    });
    for (const args of [['-w', 'protobuf'], ['-w', 'nope']]) {
      const ours = await capstanSnapshot(['status', FIXTURE_DB, ...args]);
      const theirs = await etcdutl(['snapshot', 'status', FIXTURE_DB, ...args]);
      expect({ code: ours.code, err: ours.stderr }).toEqual({ code: theirs.code, err: theirs.stderr });
    }
    const missing = await capstanSnapshot(['status', '/nonexistent/snap.db']);
    expect({ code: missing.code, err: missing.stderr }).toEqual({ code: 1, err: 'Error: stat /nonexistent/snap.db: no such file or directory\n' });
  });

  it('capstan restores the etcd 3.4.23 fixture and serves its keys, lease, revision, compaction and HashKV', async () => {
    const dir = tempDir('snapshot-fixture');
    const capstan = await restoreIntoCapstan(FIXTURE_DB, dir, 'fx');

    const expected = parseBigJson(readFileSync(path.join(FIXTURE_DIR, 'all.json'), 'utf8')) as {
      kvs: Array<Record<string, unknown>>;
    };
    const got = await dumpKeys(capstan);
    expect(got.revision).toBe(2325);
    const want = expected.kvs.map((kv) => ({
      key: String(kv['key'] ?? ''),
      value: String(kv['value'] ?? ''),
      create_revision: String(kv['create_revision'] ?? '0'),
      mod_revision: String(kv['mod_revision'] ?? '0'),
      version: String(kv['version'] ?? '0'),
      lease: String(kv['lease'] ?? '0'),
    }));
    // The README counts 1819 live keys; etcdctl's dump taken with the snapshot lists 1818.
    expect(want.length).toBe(1818);
    expect(got.kvs).toEqual(want);

    expect(await hashKv(capstan, 2325)).toEqual({ hash: '1451798898', compactRevision: '1500', revision: '2325' });
    expect(await hashKv(capstan)).toMatchObject({ hash: '1451798898', compactRevision: '1500' });
    const leased = want.filter((kv) => kv.lease !== '0').map((kv) => BigInt(kv.lease).toString(16));
    expect(leased.length).toBe(2);
    expect(await leaseIds(capstan)).toEqual([leased[0]]);
    const ttl = expectSuccess(await etcdctl(capstan, ['lease', 'timetolive', leased[0]!, '--keys']), 'timetolive');
    expect(ttl).toContain('granted with TTL(3600s)');
    expect(ttl).toContain('/leased/a');

    // History below the compaction is gone; above it, it is served.
    const compacted = await etcdctl(capstan, ['get', '/big/value', '--rev=1499']);
    expect(compacted.stderr).toContain('required revision has been compacted');
    expectSuccess(await etcdctl(capstan, ['get', '/big/value', '--rev=1500']), 'get at the compact revision');

    // The new cluster takes writes from the next revision on.
    expectSuccess(await etcdctl(capstan, ['put', 'after-restore', 'yes']), 'put after restore');
    expect((await dumpKeys(capstan)).revision).toBe(2326);
  });

  it('capstan restores a random etcd 3.5 snapshot (and with --bump-revision --mark-compacted) exactly as etcd does', async () => {
    const dir = tempDir('snapshot-from-etcd');
    const [clientPort, peerPort] = await freePorts(2);
    const etcd = await startEtcd({ name: 'src', dataDir: path.join(dir, 'src.data'), clientPort: clientPort!, peerPort: peerPort! });
    const seed = Number(process.env.SNAPSHOT_SEED ?? Date.now() % 100_000);
    const work = await randomWorkload(etcd, seed, 300);
    expect(work.compactedAt, `seed ${seed}`).toBeGreaterThan(0);
    const file = path.join(dir, 'etcd.snap');
    expectSuccess(await etcdctl(etcd, ['snapshot', 'save', file]), 'etcdctl snapshot save');
    const source = await dumpKeys(etcd);
    const sourceHash = await hashKv(etcd);
    const sourceLeases = await leaseIds(etcd);
    await etcd.stop();

    // The two tools agree on the file.
    const ours = await capstanSnapshot(['status', file, '-w', 'json']);
    expect(ours.stdout).toBe((await etcdutl(['snapshot', 'status', file, '-w', 'json'])).stdout);

    const capstan = await restoreIntoCapstan(file, dir, 'dst');
    const restored = await dumpKeys(capstan);
    expect({ seed, revision: restored.revision }).toEqual({ seed, revision: source.revision });
    expect(restored.kvs).toEqual(source.kvs);
    expect(await hashKv(capstan)).toEqual(sourceHash);
    expect(sourceLeases.length).toBe(2);
    expect(await leaseIds(capstan)).toEqual(sourceLeases);
    await capstan.stop();

    // Bumped restores: capstan's data dir and etcd's serve the same revision, compaction and keys.
    const bump = ['--bump-revision=1000', '--mark-compacted'];
    const bumpedEtcd = await restoreIntoEtcd(file, dir, 'bumped-etcd', bump);
    const bumpedCapstan = await restoreIntoCapstan(file, dir, 'bumped-capstan', bump);
    const e = await dumpKeys(bumpedEtcd);
    const c = await dumpKeys(bumpedCapstan);
    expect(c.revision).toBe(source.revision + 1000);
    expect(c).toEqual(e);
    const eh = await hashKv(bumpedEtcd);
    expect(eh.compactRevision).toBe(String(source.revision + 1000));
    expect(await hashKv(bumpedCapstan)).toEqual(eh);
  });

  it('users, roles and an enabled auth move from etcd to capstan with the snapshot (bcrypt hashes verify)', async () => {
    const dir = tempDir('snapshot-auth-from-etcd');
    const [clientPort, peerPort] = await freePorts(2);
    const etcd = await startEtcd({ name: 'auth-src', dataDir: path.join(dir, 'src.data'), clientPort: clientPort!, peerPort: peerPort! });
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['user', 'add', 'reader:readpw'],
      ['role', 'add', 'ro'],
      ['role', 'grant-permission', 'ro', 'read', 'app/', '--prefix'],
      ['user', 'grant-role', 'reader', 'ro'],
      ['put', 'app/x', 'visible'],
      ['put', 'private', 'hidden'],
      ['auth', 'enable'],
    ]) {
      expectSuccess(await etcdctl(etcd, args), args.join(' '));
    }
    const file = path.join(dir, 'auth.snap');
    expectSuccess(await etcdctl(etcd, ['--user=root:rootpw', 'snapshot', 'save', file]), 'snapshot save');
    await etcd.stop();

    const capstan = await restoreIntoCapstan(file, dir, 'auth-dst');
    expect(expectSuccess(await etcdctl(capstan, ['--user=reader:readpw', 'get', 'app/x', '--print-value-only']), 'reader get')).toBe('visible\n');
    expect((await etcdctl(capstan, ['--user=reader:readpw', 'get', 'private'])).stderr).toContain('permission denied');
    expect((await etcdctl(capstan, ['--user=reader:wrong', 'get', 'app/x'])).stderr).toContain('authentication failed');
    expect((await etcdctl(capstan, ['get', 'app/x'])).stderr).toContain('user name is empty');
    expect(expectSuccess(await etcdctl(capstan, ['--user=root:rootpw', 'get', 'private', '--print-value-only']), 'root get')).toBe('hidden\n');
  });
});
