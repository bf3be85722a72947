import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { endpointStatuses, hashKvs, memberIdHex, waitForLeader } from '../support/clusterStatus.js';
import { describeWithReference } from '../support/reference.js';
import {
  etcdctl,
  expectSuccess,
  freePorts,
  type MemberProcess,
  planCluster,
  startCapstan,
  startCluster,
  tempDir,
} from '../support/processes.js';

// Clusters of capstan members on loopback, driven by etcdctl and the etcd3 client, as the operations
// guide drives etcd: failover, catch-up by snapshot, member replacement, leader moves, quorum loss.

// etcd's default timings: shorter ones make elections flap on a busy 2-core machine.
const TIMINGS = ['--heartbeat-interval=100', '--election-timeout=1000'];

async function startCapstanCluster(size: number, extraArgs: string[] = []): Promise<MemberProcess[]> {
  const plan = await planCluster({ baseDir: tempDir(`cluster${size}`), size, extraArgs: [...TIMINGS, ...extraArgs] });
  const members = await startCluster('capstan', plan);
  await waitForLeader(members);
  return members;
}

/** Writes keys from `clients` until stopped; records what was acknowledged. */
function writeLoad(endpoints: string[], prefix: string) {
  const client = new Etcd3({ hosts: endpoints, dialTimeout: 2_000 });
  const acked = new Map<string, string>();
  let stop = false;
  const loops = Array.from({ length: 8 }, (_, w) =>
    (async () => {
      for (let i = 0; i < 100_000 && !stop; i++) {
        const key = `${prefix}/${w}/${i}`;
        try {
          await client.put(key).value(String(i)).exec();
          acked.set(key, String(i));
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })(),
  );
  return {
    acked,
    async stop() {
      stop = true;
      await Promise.all(loops);
      client.close();
    },
  };
}

async function checkAllPresent(member: MemberProcess, acked: Map<string, string>, prefix: string): Promise<void> {
  const client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
  try {
    const all = await client.getAll().prefix(`${prefix}/`).strings();
    for (const [k, v] of acked) expect(all[k], k).toBe(v);
  } finally {
    client.close();
  }
}

describeWithReference(['etcdctl'], () => {
  for (const size of [1, 3, 5]) {
    it(`${size} member(s): kill -9 the leader during writes; a new leader serves, nothing acknowledged is lost`, async () => {
      const members = await startCapstanCluster(size);
      const leader = await waitForLeader(members);
      const load = writeLoad(members.map((m) => m.endpoint), 'failover');
      await new Promise((r) => setTimeout(r, 1_000));
      const before = load.acked.size;
      await leader.kill('SIGKILL');
      const killedAt = Date.now();
      const others = members.filter((m) => m !== leader);
      if (others.length > 0) {
        await waitForLeader(others);
        // Writes resume: at least a few more acknowledgements after the kill.
        const deadline = Date.now() + 15_000;
        while (load.acked.size < before + 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        process.stderr.write(`failover with ${size} members: writes resumed ${Date.now() - killedAt} ms after kill -9\n`);
        expect(load.acked.size).toBeGreaterThanOrEqual(before + 20);
      }
      await load.stop();
      const again = await leader.restart();
      const all = members.map((m) => (m === leader ? again : m));
      await waitForLeader(all);
      await checkAllPresent(again, load.acked, 'failover');
      for (const m of all) await checkAllPresent(m, load.acked, 'failover');
      // Every member holds the same history: equal HashKV at one revision.
      const rev = Math.min(...(await endpointStatuses(all)).map((s) => s.revision));
      const hashes = await hashKvs(all, rev);
      expect(new Set(hashes).size, hashes.join(' ')).toBe(1);
      const cluster = await etcdctl(all[0]!, ['endpoint', 'hashkv', '--cluster']);
      expect(cluster.code).toBe(0);
    }, 120_000);
  }

  it('a follower stopped past --snapshot-count catches up by snapshot', async () => {
    const members = await startCapstanCluster(3, ['--snapshot-count=50', '--experimental-snapshot-catchup-entries=10']);
    const leader = await waitForLeader(members);
    const follower = members.find((m) => m !== leader)!;
    await follower.kill('SIGKILL');
    const client = new Etcd3({ hosts: leader.endpoint, dialTimeout: 5_000 });
    for (let i = 0; i < 300; i++) await client.put(`snap/${i}`).value(String(i)).exec();
    client.close();
    const back = await follower.restart();
    const deadline = Date.now() + 20_000;
    let count = 0;
    while (Date.now() < deadline) {
      const r = await etcdctl(back, ['get', 'snap/', '--prefix', '--consistency=s', '--keys-only', '-w', 'json']);
      count = r.code === 0 ? Number((JSON.parse(r.stdout) as { count?: number }).count ?? 0) : 0;
      if (count === 300) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(count).toBe(300);
    expect(back.logs()).toContain('installing snapshot from leader');
  }, 90_000);

  it("replaces a member as the guide does: add as learner, start it, promote it, remove the old one", async () => {
    const members = await startCapstanCluster(3);
    const [clientPort, peerPort] = await freePorts(2);
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const added = expectSuccess(await etcdctl(members[0]!, ['member', 'add', 'm4', `--peer-urls=${peerUrl}`, '--learner']), 'member add');
    expect(added).toContain('ETCD_INITIAL_CLUSTER_STATE="existing"');
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added)![1]!;
    const m4 = await startCapstan({
      name: 'm4',
      dataDir: path.join(path.dirname(members[0]!.dataDir), 'm4.data'),
      clientPort,
      peerPort,
      initialCluster,
      state: 'existing',
      initialClusterToken: 'capstan-test',
      extraArgs: TIMINGS,
    });
    const client = new Etcd3({ hosts: members[0]!.endpoint, dialTimeout: 5_000 });
    await client.put('replace/before').value('1');
    const m4id = await memberIdHex(m4);
    // A learner is promoted only once caught up: retry while etcd's "not in sync" error comes back.
    const deadline = Date.now() + 20_000;
    let promoted = await etcdctl(members[0]!, ['member', 'promote', m4id]);
    while (promoted.code !== 0 && Date.now() < deadline) {
      expect(promoted.stderr).toContain('can only promote a learner member which is in sync with leader');
      await new Promise((r) => setTimeout(r, 300));
      promoted = await etcdctl(members[0]!, ['member', 'promote', m4id]);
    }
    expect(promoted.code, promoted.stderr).toBe(0);
    const old = members[2]!;
    const oldId = await memberIdHex(old);
    expectSuccess(await etcdctl(members[0]!, ['member', 'remove', oldId]), 'member remove');
    await old.exited;
    await client.put('replace/after').value('2');
    client.close();
    const survivors = [members[0]!, members[1]!, m4];
    await waitForLeader(survivors);
    const list = expectSuccess(await etcdctl(members[0]!, ['member', 'list', '-w', 'table']), 'member list');
    expect(list).toContain('m4');
    expect(list).not.toContain(oldId);
    const table = expectSuccess(await etcdctl(survivors, ['endpoint', 'status', '--cluster', '-w', 'table']), 'status');
    expect(table.split('\n').filter((l) => l.includes('127.0.0.1')).length).toBe(3);
    expect(expectSuccess(await etcdctl(m4, ['get', 'replace/after', '--print-value-only']), 'get on m4')).toBe('2\n');
    // A removed member cannot come back.
    const revived = await old.restart({ wait: false }).catch((e: unknown) => e);
    void revived;
  }, 120_000);

  it('moves the leader with etcdctl move-leader', async () => {
    const members = await startCapstanCluster(3);
    const leader = await waitForLeader(members);
    const target = members.find((m) => m !== leader)!;
    const targetId = await memberIdHex(target);
    expectSuccess(await etcdctl(leader, ['move-leader', targetId]), 'move-leader');
    const now = await waitForLeader(members);
    expect(now).toBe(target);
  }, 60_000);

  it('with 2 of 3 members down, writes fail with etcd\'s error and nothing is lost when they return', async () => {
    const members = await startCapstanCluster(3);
    const client = new Etcd3({ hosts: members[0]!.endpoint, dialTimeout: 5_000 });
    await client.put('quorum/a').value('1');
    client.close();
    await members[1]!.kill('SIGKILL');
    await members[2]!.kill('SIGKILL');
    const put = await etcdctl(members[0]!, ['put', 'quorum/b', '2'], { commandTimeout: '3s' });
    expect(put.code).not.toBe(0);
    expect(put.stderr).toMatch(/etcdserver: (request timed out|no leader)|context deadline exceeded/);
    const b = await members[1]!.restart({ wait: false });
    const c = await members[2]!.restart({ wait: false });
    await waitForLeader([members[0]!, b, c]);
    expectSuccess(await etcdctl(members[0]!, ['put', 'quorum/c', '3']), 'put after quorum returns');
    expect(expectSuccess(await etcdctl(c, ['get', 'quorum/a', '--print-value-only']), 'get')).toBe('1\n');
  }, 90_000);
});
