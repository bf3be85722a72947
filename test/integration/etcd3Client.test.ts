import path from 'node:path';
import { Etcd3, type IKeyValue } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';

// The etcd3 npm client against one capstan member: KV, txn, watch and lease behaviour as with etcd.
describeWithReference([], () => {
  let member: MemberProcess;
  let client: Etcd3;

  beforeAll(async () => {
    const dir = tempDir('etcd3');
    const [clientPort, peerPort] = await freePorts(2);
    member = await startCapstan({ name: 'e1', dataDir: path.join(dir, 'data'), clientPort, peerPort });
    client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
  });
  afterAll(() => client?.close());

  it('puts, gets, deletes and counts', async () => {
    await client.put('kv/a').value('1');
    await client.put('kv/b').value('2');
    await client.put('kv/c').value('3');
    expect(await client.get('kv/a').string()).toBe('1');
    expect(await client.getAll().prefix('kv/').keys()).toEqual(['kv/a', 'kv/b', 'kv/c']);
    expect(await client.getAll().prefix('kv/').count()).toBe(3);
    const limited = await client.getAll().prefix('kv/').limit(2).exec();
    expect(limited.kvs).toHaveLength(2);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe('3');
    expect(await client.delete().key('kv/b').exec()).toMatchObject({ deleted: '1' });
    expect(await client.get('kv/b').string()).toBeNull();
  });

  it('runs compare-and-swap transactions', async () => {
    const put = await client.put('cas').value('v1').exec();
    const rev = put.header.revision;
    const ok = await client.if('cas', 'Mod', '==', rev).then(client.put('cas').value('v2')).else(client.get('cas')).commit();
    expect(ok.succeeded).toBe(true);
    const stale = await client.if('cas', 'Mod', '==', rev).then(client.put('cas').value('v3')).else(client.get('cas')).commit();
    expect(stale.succeeded).toBe(false);
    expect(stale.responses[0]!.response_range!.kvs[0]!.value.toString()).toBe('v2');
  });

  it('watches from a past revision with prev_kv, then live, and cancels', async () => {
    const start = Number((await client.put('w/x').value('1').exec()).header.revision);
    await client.put('w/x').value('2');
    await client.delete().key('w/x');
    const seen: Array<{ type: string; value: string; prev: string | null }> = [];
    const watcher = await client.watch().prefix('w/').startRevision(String(start)).withPreviousKV().create();
    const record = (type: string) => (kv: IKeyValue, prev?: IKeyValue) =>
      seen.push({ type, value: kv.value.toString(), prev: prev ? prev.value.toString() : null });
    watcher.on('put', record('put'));
    watcher.on('delete', record('delete'));
    await client.put('w/y').value('live');
    const deadline = Date.now() + 10_000;
    while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([
      { type: 'put', value: '1', prev: null },
      { type: 'put', value: '2', prev: '1' },
      { type: 'delete', value: '', prev: '2' },
      { type: 'put', value: 'live', prev: null },
    ]);
    await watcher.cancel();
  });

  it('refuses a watch below the compact revision with the compact revision', async () => {
    const rev = Number((await client.put('cw').value('1').exec()).header.revision);
    await client.put('cw').value('2');
    await client.put('cw').value('3');
    await client.kv.compact({ revision: String(rev + 1) });
    // As etcd: the watch is created, then cancelled (carrying the compact revision), which the
    // etcd3 client reports as an error on the watcher.
    const watcher = await client.watch().key('cw').startRevision(String(rev)).create();
    const error = await new Promise<Error>((resolve) => watcher.on('error', resolve));
    expect(error.message).toMatch(/canceled/);
  });

  it('grants, keeps alive, reports and revokes leases; revoke deletes the attached keys', async () => {
    const lease = client.lease(30, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('leased/a').value('x');
    await lease.put('leased/b').value('y');
    const info = await lease.keepaliveOnce();
    expect(Number(info.TTL)).toBe(30);
    await lease.revoke();
    expect(await client.getAll().prefix('leased/').keys()).toEqual([]);
    expect(id).toMatch(/^[0-9a-f]+$/);
  });

  it('expires a lease and deletes its keys', async () => {
    const lease = client.lease(2, { autoKeepAlive: false });
    await lease.grant();
    await lease.put('expiring').value('soon');
    expect(await client.get('expiring').string()).toBe('soon');
    const deadline = Date.now() + 15_000;
    while ((await client.get('expiring').string()) !== null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await client.get('expiring').string()).toBeNull();
  }, 30_000);
});
