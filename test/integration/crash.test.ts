import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, expectSuccess, freePorts, startCapstan, tempDir } from '../support/processes.js';

// kill -9 while writes are in flight: every write that was acknowledged is there after the restart,
// and revisions continue from where they were.
describeWithReference(['etcdctl'], () => {
  it('loses no acknowledged write to kill -9, and continues its revisions', async () => {
    const dir = tempDir('crash');
    const [clientPort, peerPort] = await freePorts(2);
    const member = await startCapstan({ name: 'c1', dataDir: path.join(dir, 'data'), clientPort, peerPort });
    const client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
    const acknowledged = new Map<string, { value: string; revision: number }>();
    let stop = false;
    const writers = Array.from({ length: 16 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 2_000 && !stop; i++) {
          const key = `crash/${w}/${i % 50}`;
          const value = `${w}-${i}`;
          try {
            const res = await client.put(key).value(value).exec();
            acknowledged.set(key, { value, revision: Number(res.header.revision) });
          } catch {
            return; // the member died under us
          }
        }
      })(),
    );
    // Kill once enough writes are in (bounded: a busy machine is slow), with writers still going.
    const deadline = Date.now() + 30_000;
    while (acknowledged.size < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await member.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    client.close();
    expect(acknowledged.size).toBeGreaterThan(100);

    const again = await member.restart();
    const check = new Etcd3({ hosts: again.endpoint, dialTimeout: 5_000 });
    try {
      const all = await check.getAll().prefix('crash/').exec();
      const stored = new Map(all.kvs.map((kv) => [kv.key.toString(), kv]));
      let maxAcked = 0;
      for (const [key, ack] of acknowledged) {
        const kv = stored.get(key);
        expect(kv, key).toBeDefined();
        // A later, unacknowledged write may have landed too; never an older one.
        expect(Number(kv!.mod_revision), key).toBeGreaterThanOrEqual(ack.revision);
        maxAcked = Math.max(maxAcked, ack.revision);
      }
      const put = await check.put('after-restart').value('x').exec();
      expect(Number(put.header.revision)).toBeGreaterThan(maxAcked);
      expect(expectSuccess(await etcdctl(again, ['get', 'after-restart', '--print-value-only']), 'get')).toBe('x\n');
    } finally {
      check.close();
    }
  }, 90_000);
});
