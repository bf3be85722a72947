import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, etcdutl, expectSuccess, freePorts, startCapstan, startEtcd, tempDir } from '../support/processes.js';
import { capstanSnapshot, dumpKeys, hashKv, leaseIds, peerUrl, randomWorkload } from './snapshotSupport.js';

// capstan → etcd: a snapshot etcdctl saves from a running capstan, while writes keep flowing, is a
// bbolt file etcdutl reads like its own, and a real etcd restored from it serves exactly what capstan
// served at the snapshot's revision.

describeWithReference(['etcd', 'etcdctl', 'etcdutl'], () => {
  it('etcdctl snapshot save from capstan under writes; etcdutl status/restore; etcd serves the same keys, leases and HashKV', async () => {
    const dir = tempDir('snapshot-to-etcd');
    const [clientPort, peerPort] = await freePorts(2);
    const capstan = await startCapstan({ name: 'cap', dataDir: path.join(dir, 'cap.data'), clientPort: clientPort!, peerPort: peerPort! });
    const seed = Number(process.env.SNAPSHOT_SEED ?? Date.now() % 100_000);
    const work = await randomWorkload(capstan, seed, 300);
    expect(work.compactedAt, `seed ${seed}`).toBeGreaterThan(0);

    // A writer keeps going while the snapshot streams: bounded in count and time.
    const writer = new Etcd3({ hosts: capstan.endpoint, dialTimeout: 5_000 });
    let stop = false;
    let written = 0;
    const writing = (async () => {
      const deadline = Date.now() + 30_000;
      for (let i = 0; i < 2000 && !stop && Date.now() < deadline; i++) {
        await writer.put(`during/${i % 50}`).value(`w${i}`);
        written++;
      }
    })();
    const file = path.join(dir, 'capstan.snap');
    let saved;
    try {
      saved = await etcdctl(capstan, ['snapshot', 'save', file], { timeoutMs: 60_000 });
    } finally {
      stop = true;
      await writing;
      writer.close();
    }
    expect(saved.stdout).toBe(`Snapshot saved at ${file}\n`);
    expect(written).toBeGreaterThan(0);

    // Both tools read the same figures from the file, in every format.
    for (const format of ['json', 'simple', 'table', 'fields']) {
      const theirs = expectSuccess(await etcdutl(['snapshot', 'status', file, '-w', format]), 'etcdutl status');
      expect((await capstanSnapshot(['status', file, '-w', format])).stdout).toBe(theirs);
    }
    const status = JSON.parse((await capstanSnapshot(['status', file, '-w', 'json'])).stdout) as { revision: number };

    // capstan's own save gives a file with the same content figures (a later point in time is fine).
    const own = path.join(dir, 'own.snap');
    expect((await capstanSnapshot(['save', own, `--endpoints=${capstan.endpoint}`])).stdout).toBe(`Snapshot saved at ${own}\n`);
    expectSuccess(await etcdutl(['snapshot', 'status', own]), 'etcdutl status of capstan save');

    // What capstan served at the snapshot's revision...
    const atSnapshot = await dumpKeys(capstan, status.revision);
    const hashAtSnapshot = await hashKv(capstan, status.revision);
    const leases = await leaseIds(capstan);
    expect(leases.length).toBe(2);

    // ...is what a real etcd restored from the file serves.
    const [eClient, ePeer] = await freePorts(2);
    const eData = path.join(dir, 'etcd.data');
    expectSuccess(
      await etcdutl([
        'snapshot',
        'restore',
        file,
        '--name=e1',
        `--data-dir=${eData}`,
        `--initial-cluster=e1=${peerUrl(ePeer!)}`,
        `--initial-advertise-peer-urls=${peerUrl(ePeer!)}`,
      ]),
      'etcdutl snapshot restore',
    );
    const etcd = await startEtcd({ name: 'e1', dataDir: eData, clientPort: eClient!, peerPort: ePeer! });
    const restored = await dumpKeys(etcd);
    expect({ seed, revision: restored.revision }).toEqual({ seed, revision: status.revision });
    expect(restored.kvs).toEqual(atSnapshot.kvs);
    expect((await hashKv(etcd)).hash).toBe(hashAtSnapshot.hash);
    expect((await hashKv(etcd)).compactRevision).toBe(hashAtSnapshot.compactRevision);
    expect(await leaseIds(etcd)).toEqual(leases);
    for (const id of leases) {
      const ttl = expectSuccess(await etcdctl(etcd, ['lease', 'timetolive', id]), 'timetolive');
      expect(ttl).toContain('granted with TTL(3600s)');
    }
    // History etcd kept is capstan's history: the oldest revision it still serves is the compaction.
    const below = await etcdctl(etcd, ['get', 'k/000', `--rev=${Number(hashAtSnapshot.compactRevision) - 1}`]);
    expect(below.stderr).toContain('required revision has been compacted');
  });

  it('capstan snapshot save authenticates with --user as etcdctl does, and fails as etcdctl does without it', async () => {
    const dir = tempDir('snapshot-save-auth');
    const [clientPort, peerPort] = await freePorts(2);
    const capstan = await startCapstan({ name: 'auth', dataDir: path.join(dir, 'auth.data'), clientPort: clientPort!, peerPort: peerPort! });
    expectSuccess(await etcdctl(capstan, ['put', 'secret', 'v']), 'put');
    expectSuccess(await etcdctl(capstan, ['user', 'add', 'root:pw']), 'user add');
    expectSuccess(await etcdctl(capstan, ['auth', 'enable']), 'auth enable');

    const lastError = (s: string) => s.split('\n').filter((l) => l.startsWith('Error: ')).pop();
    const ours = await capstanSnapshot(['save', path.join(dir, 'no.snap'), `--endpoints=${capstan.endpoint}`]);
    const theirs = await etcdctl(capstan, ['snapshot', 'save', path.join(dir, 'no-etcdctl.snap')]);
    expect({ code: ours.code, error: lastError(ours.stderr) }).toEqual({ code: theirs.code, error: lastError(theirs.stderr) });

    const file = path.join(dir, 'yes.snap');
    expect((await capstanSnapshot(['save', file, `--endpoints=${capstan.endpoint}`, '--user=root:pw'])).stdout).toBe(`Snapshot saved at ${file}\n`);
    const status = JSON.parse(expectSuccess(await etcdutl(['snapshot', 'status', file, '-w', 'json']), 'status')) as { revision: number };
    expect(status.revision).toBeGreaterThanOrEqual(2);

    // The users and the enabled auth go with the file: a real etcd restored from it asks for them.
    const [eClient, ePeer] = await freePorts(2);
    const eData = path.join(dir, 'etcd.data');
    const restore = ['snapshot', 'restore', file, '--name=ea', `--data-dir=${eData}`];
    restore.push(`--initial-cluster=ea=${peerUrl(ePeer!)}`, `--initial-advertise-peer-urls=${peerUrl(ePeer!)}`);
    expectSuccess(await etcdutl(restore), 'etcdutl restore');
    const etcd = await startEtcd({ name: 'ea', dataDir: eData, clientPort: eClient!, peerPort: ePeer! });
    expect(expectSuccess(await etcdctl(etcd, ['--user=root:pw', 'get', 'secret', '--print-value-only']), 'root get')).toBe('v\n');
    expect((await etcdctl(etcd, ['get', 'secret'])).stderr).toContain('user name is empty');
  });
});
