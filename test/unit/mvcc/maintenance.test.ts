import { describe, expect, it } from 'vitest';
import { Crc32c } from '../../../src/mvcc/crc32c.js';
import { BUCKETS } from '../../../src/mvcc/backend.js';
import { openStore, putReq, reopen } from './support.js';

describe('maintenance: Hash, sizes, defragment', () => {
  it('Hash covers every bucket in name order and ignores the consistent index and term', async () => {
    const { store, dir } = await openStore();
    const empty = new Crc32c();
    for (const name of BUCKETS) empty.update(Buffer.from(name));
    expect(await store.hash()).toBe(empty.digest());
    await store.applyPut(putReq('a', '1'));
    const h1 = await store.hash();
    expect(h1).not.toBe(empty.digest());
    store.setConsistentIndex(5, 3);
    await store.commit();
    expect(await store.hash()).toBe(h1);
    const s2 = await reopen(store, dir);
    expect(await s2.hash()).toBe(h1);
    s2.backend.put('members', Buffer.from('abc'), Buffer.from('{}'));
    expect(await s2.hash()).not.toBe(h1);
  });

  it('reports sizes and survives a defragment', async () => {
    const { store } = await openStore();
    for (let i = 0; i < 200; i++) await store.applyPut(putReq(`k${i % 20}`, 'v'.repeat(500)));
    await store.commit();
    expect(await store.dbSize()).toBeGreaterThan(0);
    expect(await store.dbSizeInUse()).toBeGreaterThanOrEqual(0);
    await store.applyCompaction({ revision: 190, physical: true });
    await store.commit();
    await store.compactionSettled();
    await store.defragment();
    expect((await store.hashKV(0)).hashRevision).toBe(201);
  });
});
