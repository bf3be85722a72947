import { describe, expect, it } from 'vitest';
import { Backend } from '../../../src/mvcc/backend.js';
import { Crc32c } from '../../../src/mvcc/crc32c.js';
import { encodeKeyValue } from '../../../src/mvcc/keyValueCodec.js';
import { MvccStore } from '../../../src/mvcc/store.js';
import { encodeRevision } from '../../../src/mvcc/revision.js';
import { tempDir } from '../../support/processes.js';

// `etcdutl snapshot restore --bump-revision N --mark-compacted` adds an empty-valued revision key at
// latest+N and schedules a compaction there. etcd's restore indexes that entry like any other (as the
// empty key), so the compaction keeps it and HashKV hashes it; a restored capstan must do the same or
// its HashKV differs from a real etcd restored from the same file.
describe('mvcc: the --bump-revision marker', () => {
  it('survives the scheduled compaction and is part of HashKV, as in etcd 3.5.21', async () => {
    const dir = tempDir('bump-marker');
    const backend = await Backend.open(dir);
    const foo = { key: Buffer.from('foo'), createRevision: 2, modRevision: 2, version: 1, value: Buffer.from('v'), lease: 0n };
    const fooKey = encodeRevision({ main: 2, sub: 0 });
    const fooValue = encodeKeyValue(foo);
    const marker = encodeRevision({ main: 1002, sub: 0 });
    backend.put('key', fooKey, fooValue);
    backend.put('key', marker, Buffer.alloc(0));
    backend.put('meta', Buffer.from('scheduledCompactRev'), marker);
    await backend.commit();
    await backend.close();

    const store = await MvccStore.open(dir);
    try {
      await store.compactionSettled();
      expect(store.currentRevision).toBe(1002);
      expect(store.compactRevision).toBe(1002);
      const left: Buffer[] = [];
      const cur = store.backend.scan('key', Buffer.alloc(0), null);
      for (let page = await cur.next(100); page.length > 0; page = await cur.next(100)) left.push(...page.map((e) => e.key));
      await cur.close();
      expect(left.map((k) => k.toString('hex'))).toEqual([fooKey.toString('hex'), marker.toString('hex')]);
      const want = new Crc32c().update(Buffer.from('key')).update(fooKey).update(fooValue).update(marker).digest();
      expect((await store.hashKV(0)).hash).toBe(want);
      // The marker is no key a client can see.
      const all = await store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), limit: 0, revision: 0, sortOrder: 'NONE', sortTarget: 'KEY', serializable: true, keysOnly: false, countOnly: false, minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0 });
      expect(all.kvs.map((kv) => kv.key.toString())).toEqual(['foo']);
    } finally {
      await store.close();
    }
  });
});
