import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { endpointStatuses, hashKvs, waitForLeader } from '../support/clusterStatus.js';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, planCluster, startCapstan, startCluster, tempDir } from '../support/processes.js';

// WAL purging (etcd's --max-wals) with tiny segments and a small --snapshot-count, so a few thousand
// writes cut dozens of segments: the WAL directory stays bounded, kill -9 and restart from a purged
// WAL loses nothing acknowledged, and a follower whose entries were purged catches up by snapshot.

const TIMINGS = ['--heartbeat-interval=100', '--election-timeout=1000'];
// 16 KiB segments hold ~50 of these writes; snapshots every 100 entries.
const SMALL_WAL = { CAPSTAN_WAL_SEGMENT_BYTES: String(16 * 1024) };
const PURGE_ARGS = ['--snapshot-count=100', '--experimental-snapshot-catchup-entries=20', '--max-wals=2'];
const VALUE = 'v'.repeat(200);

function walSegments(member: MemberProcess): string[] {
  const dir = path.join(member.dataDir, 'member', 'wal');
  return readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
}

/** The segment seq in a name `%016x-%016x.wal`. */
const segmentSeq = (name: string) => parseInt(name.slice(0, 16), 16);

/** Puts `count` keys from 8 writers (bounded in count and time); returns what was acknowledged. */
async function writeKeys(endpoints: string[], prefix: string, count: number, maxMs: number): Promise<Map<string, string>> {
  const client = new Etcd3({ hosts: endpoints, dialTimeout: 5_000 });
  const acked = new Map<string, string>();
  const deadline = Date.now() + maxMs;
  try {
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < count && Date.now() < deadline; i += 8) {
          const key = `${prefix}/${String(i).padStart(5, '0')}`;
          try {
            await client.put(key).value(`${VALUE}${i}`).exec();
            acked.set(key, `${VALUE}${i}`);
          } catch {
            return; // the member died under us (the kill -9 case)
          }
        }
      }),
    );
  } finally {
    client.close();
  }
  return acked;
}

async function expectAllPresent(member: MemberProcess, acked: Map<string, string>, prefix: string): Promise<void> {
  const client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
  try {
    const all = await client.getAll().prefix(`${prefix}/`).strings();
    let missing = 0;
    for (const [k, v] of acked) if (all[k] !== v) missing++;
    expect(missing, `${member.name}: acknowledged keys missing or wrong`).toBe(0);
  } finally {
    client.close();
  }
}

/** Waits (bounded) until a member serves every key under `prefix` in a serializable read. */
async function waitForCount(member: MemberProcess, prefix: string, want: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  let count = 0;
  let last = '';
  while (Date.now() < deadline) {
    const r = await etcdctl(member, ['get', `${prefix}/`, '--prefix', '--consistency=s', '--keys-only', '-w', 'json']);
    count = r.code === 0 ? Number((JSON.parse(r.stdout) as { count?: number }).count ?? 0) : 0;
    last = r.code === 0 ? `count ${count}` : r.stderr;
    if (count >= want) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (count < want) process.stderr.write(`${member.name}: ${count} of ${want} under ${prefix}/ (last: ${last.trim()})\n`);
  return count;
}

describeWithReference(['etcdctl'], () => {
  it('purges old segments beyond --max-wals; kill -9, restart from a purged WAL and catch-up by snapshot lose nothing', async () => {
    const plan = await planCluster({ baseDir: tempDir('walpurge'), size: 3, extraArgs: [...TIMINGS, ...PURGE_ARGS] });
    const members = await startCluster('capstan', plan.map((m) => ({ ...m, env: SMALL_WAL })));
    const leader = await waitForLeader(members);
    const [f1, f2] = members.filter((m) => m !== leader) as [MemberProcess, MemberProcess];
    // f2 stays down while the others write and purge: its entries are gone from every WAL.
    await f2.kill('SIGKILL');

    const first = await writeKeys([leader.endpoint], 'wp', 2_000, 90_000);
    expect(first.size).toBe(2_000);
    for (const m of [leader, f1]) {
      const segs = walSegments(m);
      // ~40 segments were cut; what is left is what a restart needs, and about --max-wals of it.
      expect(segmentSeq(segs[segs.length - 1]!), `${m.name} cut segments`).toBeGreaterThan(20);
      expect(segs.length, `${m.name} segments: ${segs.join(' ')}`).toBeLessThanOrEqual(6);
      expect(segs).not.toContain('0000000000000000-0000000000000000.wal');
      expect(m.logs()).toMatch(/"msg":"purged","path":"[^"]+\.wal"/);
    }

    // kill -9 the leader while writes are in flight, then restart it on its purged WAL.
    const inFlight = writeKeys([leader.endpoint], 'wp2', 2_000, 60_000);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !leader.logs().includes('"msg":"purged","path"')) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    await leader.kill('SIGKILL');
    const second = await inFlight;
    expect(second.size).toBeGreaterThan(0);
    const leaderAgain = await leader.restart();
    const f2Again = await f2.restart({ wait: false });
    const all = [leaderAgain, f1, f2Again];
    await waitForLeader(all);
    // More writes after everyone is back: f2 must be past the purged entries to apply them.
    const third = await writeKeys(all.map((m) => m.endpoint), 'wp3', 300, 60_000);
    expect(third.size).toBe(300);
    expect(await waitForCount(f2Again, 'wp3', 300, 30_000)).toBe(300);
    expect(f2Again.logs()).toContain('installing snapshot from leader');

    for (const m of all) {
      await expectAllPresent(m, first, 'wp');
      await expectAllPresent(m, second, 'wp2');
      await expectAllPresent(m, third, 'wp3');
    }
    const rev = Math.min(...(await endpointStatuses(all)).map((s) => s.revision));
    const hashes = await hashKvs(all, rev);
    expect(new Set(hashes).size, hashes.join(' ')).toBe(1);
  }, 300_000);

  it('keeps every segment with --max-wals=0', async () => {
    const dir = tempDir('walkeep');
    const [clientPort, peerPort] = await freePorts(2);
    const member = await startCapstan({
      name: 'k1',
      dataDir: path.join(dir, 'data'),
      clientPort: clientPort!,
      peerPort: peerPort!,
      extraArgs: ['--snapshot-count=100', '--max-wals=0'],
      env: SMALL_WAL,
    });
    const acked = await writeKeys([member.endpoint], 'keep', 600, 60_000);
    expect(acked.size).toBe(600);
    const segs = walSegments(member);
    expect(segs.length).toBeGreaterThan(5);
    expect(segs[0]).toBe('0000000000000000-0000000000000000.wal');
    expect(existsSync(path.join(member.dataDir, 'member', 'wal', segs[0]!))).toBe(true);
    expect(member.logs()).not.toContain('"msg":"purged"');
    const again = await member.restart();
    await expectAllPresent(again, acked, 'keep');
  }, 120_000);
});
