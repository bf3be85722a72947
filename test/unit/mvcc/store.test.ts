import { describe, expect, it } from 'vitest';
import type { MvccStore } from '../../../src/mvcc/store.js';
import { EtcdError } from '../../../src/mvcc/errors.js';
import { b, cmp, delReq, openStore, putReq, rangeReq, reopen, txnReq } from './support.js';

const str = (buf: Buffer) => buf.toString();

describe('MvccStore basics', () => {
  it('starts at revision 1 and bumps once per changing write', async () => {
    const { store } = await openStore();
    expect(store.currentRevision).toBe(1);
    const p = await store.applyPut(putReq('foo', 'bar'));
    expect(p.header.revision).toBe(2);
    const d = await store.applyDeleteRange(delReq('nothing'));
    expect(d).toEqual({ header: { revision: 2 }, deleted: 0, prevKvs: [] });
    expect(store.currentRevision).toBe(2);
    const r = await store.range(rangeReq('foo'));
    expect(r.kvs.map((kv) => [str(kv.key), kv.createRevision, kv.modRevision, kv.version, str(kv.value)])).toEqual([
      ['foo', 2, 2, 1, 'bar'],
    ]);
    expect(r.count).toBe(1);
    expect(r.header.revision).toBe(2);
  });

  it('versions, create revision across a delete, prev_kv', async () => {
    const { store } = await openStore();
    await store.applyPut(putReq('k', 'v1'));
    const p2 = await store.applyPut(putReq('k', 'v2', { prevKv: true }));
    expect(str(p2.prevKv!.value)).toBe('v1');
    const d = await store.applyDeleteRange(delReq('k', { prevKv: true }));
    expect(d.deleted).toBe(1);
    expect(d.header.revision).toBe(4);
    expect(str(d.prevKvs[0]!.value)).toBe('v2');
    await store.applyPut(putReq('k', 'v3'));
    const r = await store.range(rangeReq('k'));
    expect(r.kvs[0]).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
    const old = await store.range(rangeReq('k', { revision: 3 }));
    expect(old.kvs[0]).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    expect(old.header.revision).toBe(5);
    expect((await store.range(rangeReq('k', { revision: 4 }))).kvs).toEqual([]);
  });

  it('range errors, limit, count, sort', async () => {
    const { store } = await openStore();
    for (const k of ['a', 'b', 'c', 'd']) await store.applyPut(putReq(k, `v-${k}`));
    await expect(store.range(rangeReq('a', { revision: 100 }))).rejects.toThrow('required revision is a future revision');
    const all = await store.range(rangeReq('a', { rangeEnd: b('\0'), limit: 2 }));
    expect(all.kvs.map((kv) => str(kv.key))).toEqual(['a', 'b']);
    expect(all.more).toBe(true);
    expect(all.count).toBe(4);
    const desc = await store.range(rangeReq('a', { rangeEnd: b('d'), sortOrder: 'DESCEND', sortTarget: 'MOD', limit: 1 }));
    expect(desc.kvs.map((kv) => str(kv.key))).toEqual(['c']);
    expect(desc.more).toBe(true);
    expect(desc.count).toBe(3);
    const co = await store.range(rangeReq('a', { rangeEnd: b('\0'), countOnly: true }));
    expect(co.kvs).toEqual([]);
    expect(co.count).toBe(4);
    const ko = await store.range(rangeReq('a', { keysOnly: true }));
    expect(ko.kvs[0]!.value.length).toBe(0);
    await store.applyCompaction({ revision: 3, physical: false });
    await expect(store.range(rangeReq('a', { revision: 2 }))).rejects.toThrow('required revision has been compacted');
    expect((await store.range(rangeReq('a', { revision: 3 }))).kvs.length).toBe(1);
  });

  it('ignore_value / ignore_lease', async () => {
    const { store } = await openStore();
    await expect(store.applyPut(putReq('x', '', { ignoreValue: true }))).rejects.toThrow('etcdserver: key not found');
    await expect(store.applyPut(putReq('x', 'v', { ignoreValue: true }))).rejects.toThrow('etcdserver: value is provided');
    await expect(store.applyPut(putReq('x', '', { ignoreLease: true, lease: 5n }))).rejects.toThrow('etcdserver: lease is provided');
    await expect(store.applyPut(putReq('x', 'v', { lease: 5n }))).rejects.toThrow('etcdserver: requested lease not found');
    store.applyLeaseGrant(5n, 60);
    await store.applyPut(putReq('x', 'v', { lease: 5n }));
    await store.applyPut(putReq('x', 'w', { ignoreLease: true }));
    const r = await store.range(rangeReq('x'));
    expect(r.kvs[0]).toMatchObject({ lease: 5n, version: 2 });
    expect(str(r.kvs[0]!.value)).toBe('w');
    await store.applyPut(putReq('x', '', { ignoreValue: true }));
    expect(str((await store.range(rangeReq('x'))).kvs[0]!.value)).toBe('w');
    expect(store.currentRevision).toBe(4);
  });

  it('txn: compares, nested txns, failures apply nothing', async () => {
    const { store } = await openStore();
    await store.applyPut(putReq('a', '1'));
    const t = await store.applyTxn(
      txnReq({
        compare: [cmp('a', 'VALUE', 'EQUAL', '1')],
        success: [
          { put: putReq('b', '2') },
          { range: rangeReq('b') },
          { txn: txnReq({ compare: [cmp('b', 'VERSION', 'EQUAL', 0)], success: [{ put: putReq('c', '3') }] }) },
        ],
      }),
    );
    expect(t.succeeded).toBe(true);
    expect(t.header.revision).toBe(3);
    const rr = t.responses[1] as { range: { kvs: unknown[]; header: { revision: number } } };
    expect(rr.range.kvs.length).toBe(1);
    expect(rr.range.header.revision).toBe(3);
    // Nested compares see the state before the txn: b did not exist.
    const nested = t.responses[2] as { txn: { succeeded: boolean } };
    expect(nested.txn.succeeded).toBe(true);
    expect((await store.range(rangeReq('c'))).kvs[0]).toMatchObject({ modRevision: 3 });

    // A put with an unknown lease fails the whole txn before anything applies.
    await expect(
      store.applyTxn(txnReq({ success: [{ put: putReq('d', '4') }, { put: putReq('e', '5', { lease: 9n }) }] })),
    ).rejects.toThrow('requested lease not found');
    // A put that finds no key mid-txn (deleted earlier in the same txn) undoes the txn.
    await expect(
      store.applyTxn(txnReq({ success: [{ deleteRange: delReq('a') }, { put: putReq('a', '', { ignoreValue: true }) }] })),
    ).rejects.toBeInstanceOf(EtcdError);
    expect(store.currentRevision).toBe(3);
    expect((await store.range(rangeReq('a'))).kvs.length).toBe(1);
    expect((await store.range(rangeReq('d'))).kvs.length).toBe(0);

    // A read-only or failed txn does not bump the revision.
    const ro = await store.applyTxn(txnReq({ compare: [cmp('zz', 'VALUE', 'EQUAL', '')], success: [{ put: putReq('q', 'q') }] }));
    expect(ro.succeeded).toBe(false);
    expect(ro.header.revision).toBe(3);
  });

  it('lease revoke deletes attached keys in one revision; state survives restart', async () => {
    const { store, dir } = await openStore();
    store.applyLeaseGrant(7n, 100);
    expect(() => store.applyLeaseGrant(7n, 100)).toThrow('lease already exists');
    await store.applyPut(putReq('l1', 'x', { lease: 7n }));
    await store.applyPut(putReq('l2', 'x', { lease: 7n }));
    expect(store.leaseKeys(7n).map(str)).toEqual(['l1', 'l2']);
    store.applyLeaseCheckpoint(7n, 42);
    store.setConsistentIndex(10, 2);
    await store.commit();
    const s2 = await reopen(store, dir);
    expect(s2.consistentIndex).toBe(10);
    expect(s2.consistentTerm).toBe(2);
    expect(s2.getLease(7n)).toEqual({ id: 7n, ttl: 100, remainingTtl: 42 });
    expect(s2.leaseKeys(7n).map(str)).toEqual(['l1', 'l2']);
    const h = await s2.applyLeaseRevoke(7n);
    expect(h.revision).toBe(4);
    expect((await s2.range(rangeReq('l', { rangeEnd: b('m') }))).count).toBe(0);
    expect(s2.getLease(7n)).toBeUndefined();
  });

  it('compaction keeps the latest revision at or below it and survives restart', async () => {
    const { store, dir } = await openStore();
    // The history from the spec (checked against etcd 3.4.23).
    await store.applyPut(putReq('foo', 'a')); // 2
    await store.applyPut(putReq('foo', 'b')); // 3
    await store.applyPut(putReq('k2', 'c')); // 4
    await store.applyDeleteRange(delReq('foo')); // 5
    await store.applyPut(putReq('foo', 'd')); // 6
    await store.applyPut(putReq('lk', 'e')); // 7
    await expect(store.applyCompaction({ revision: 8, physical: false })).rejects.toThrow('future revision');
    await store.applyCompaction({ revision: 4, physical: true });
    await expect(store.applyCompaction({ revision: 4, physical: true })).rejects.toThrow('compacted');
    await store.commit();
    await store.compactionSettled();
    expect(str((await store.range(rangeReq('foo', { revision: 4 }))).kvs[0]!.value)).toBe('b');
    const s2 = await reopen(store, dir);
    expect(s2.compactRevision).toBe(4);
    expect(s2.currentRevision).toBe(7);
    expect(str((await s2.range(rangeReq('foo', { revision: 4 }))).kvs[0]!.value)).toBe('b');
    await expect(s2.range(rangeReq('foo', { revision: 3 }))).rejects.toThrow('compacted');
  });
});

describe('MvccStore restart', () => {
  // Restore decodes entries as views of what it read and copies only what it keeps: keys into the
  // store's arena, latest values into slabs of their own, moved out again when later revisions
  // replaced some. Both ways must give back exactly what was written.
  const value = (key: number, round: number): Buffer => {
    const len = key % 7 === 0 ? 20_000 + key : 10 + ((key * 37 + round) % 300);
    return Buffer.alloc(len, `${key}/${round}/`);
  };
  const everything = (s: MvccStore, revision = 0) => s.range(rangeReq('k', { rangeEnd: b('l'), revision }));

  it('gives back every key, value, version and lease, with and without replaced revisions', async () => {
    const { store, dir } = await openStore();
    store.applyLeaseGrant(9n, 100);
    for (let k = 0; k < 60; k++) await store.applyPut(putReq(`k${String(k).padStart(3, '0')}`, value(k, 0), { lease: k % 5 === 0 ? 9n : 0n }));
    await store.commit();
    const firstRound = await everything(store);
    const s2 = await reopen(store, dir);
    expect(await everything(s2)).toEqual(firstRound);
    for (const kv of (await everything(s2)).kvs) expect(Object.isFrozen(kv)).toBe(true);

    for (let k = 0; k < 60; k += 3) await s2.applyPut(putReq(`k${String(k).padStart(3, '0')}`, value(k, 1)));
    for (let k = 1; k < 60; k += 9) await s2.applyDeleteRange(delReq(`k${String(k).padStart(3, '0')}`));
    for (let k = 1; k < 60; k += 18) await s2.applyPut(putReq(`k${String(k).padStart(3, '0')}`, value(k, 2)));
    await s2.commit();
    const secondRound = await everything(s2);
    const s3 = await reopen(s2, dir);
    expect(await everything(s3)).toEqual(secondRound);
    expect(await everything(s3, firstRound.header.revision)).toEqual({ ...firstRound, header: (await everything(s3, firstRound.header.revision)).header });
    for (const kv of (await everything(s3)).kvs) expect(Object.isFrozen(kv)).toBe(true);
    expect(s3.leaseKeys(9n).map(str)).toEqual(secondRound.kvs.filter((kv) => kv.lease === 9n).map((kv) => str(kv.key)));
    expect(s3.leaseKeys(9n).length).toBe(6);
  });
});
