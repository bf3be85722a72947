// Long-lived bytes must not pin the buffers they arrived in: a small Buffer carved from node's shared
// pool keeps the pool's whole 8 KiB slab alive. After the bench's load, the raft log's entries pinned
// 30-37 MiB of slabs for a few MiB of data, and the MVCC index's keys and values another 15-25 MiB.
import { describe, expect, it } from 'vitest';
import { MvccStore } from '../../../src/mvcc/store.js';
import { ByteArena } from '../../../src/raft/byteArena.js';
import { MemoryStorage } from '../../../src/raft/storage.js';
import { EntryType } from '../../../src/raft/types.js';
import { tempDir } from '../../support/processes.js';

/** A small Buffer from node's shared pool, as decoders and encoders make them. */
function pooled(text: string): Buffer {
  const b = Buffer.allocUnsafe(Buffer.byteLength(text));
  b.write(text);
  return b;
}

describe('ByteArena', () => {
  it('copies small data into slabs of its own and large data into buffers of their own', () => {
    const arena = new ByteArena(1024);
    const a = pooled('a'.repeat(100));
    const b = pooled('b'.repeat(100));
    const ca = arena.copy(a);
    const cb = arena.copy(b);
    expect(Buffer.from(ca).toString()).toBe(a.toString());
    expect(ca.buffer).not.toBe(a.buffer);
    expect(ca.buffer).toBe(cb.buffer);
    expect(ca.buffer.byteLength).toBe(1024);
    const big = pooled('x'.repeat(300)).subarray(0, 300);
    const cbig = arena.copy(big);
    expect(cbig.buffer.byteLength).toBe(300);
    expect(arena.copy(pooled('')).byteLength).toBe(0);
    // A copy, never a view, even of a Buffer whose slice() would be one.
    a[0] = 0x7a;
    expect(ca[0]).toBe(0x61);
  });
});

describe('what the member keeps', () => {
  it("the raft log's entries do not pin the buffers their data came in", () => {
    const storage = new MemoryStorage();
    const data = pooled('entry data '.repeat(10));
    storage.append([{ term: 1, index: 1, type: EntryType.EntryNormal, data }]);
    const kept = storage.entries(1, 2, Number.MAX_SAFE_INTEGER)[0]!.data;
    expect(Buffer.from(kept).equals(data)).toBe(true);
    expect(kept.buffer).not.toBe(data.buffer);
  });

  it('large entry data stays in the buffer it came in (a restart would otherwise hold its WAL twice)', () => {
    const storage = new MemoryStorage();
    const data = new Uint8Array(20_000).fill(7);
    storage.append([{ term: 1, index: 1, type: EntryType.EntryNormal, data }]);
    expect(storage.entries(1, 2, Number.MAX_SAFE_INTEGER)[0]!.data).toBe(data);
  });

  it("the MVCC index's keys and latest values do not pin the request's buffers", async () => {
    const store = await MvccStore.open(tempDir('byte-arena'));
    try {
      const key = pooled('some/key');
      const value = pooled('v'.repeat(200));
      await store.applyPut({ key, value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
      const got = await store.range({ key, rangeEnd: Buffer.alloc(0), limit: 0, revision: 0, sortOrder: 'NONE', sortTarget: 'KEY', serializable: true, keysOnly: false, countOnly: false, minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0 });
      const kv = got.kvs[0];
      expect(kv?.value.equals(value)).toBe(true);
      expect(kv?.value.buffer).not.toBe(value.buffer);
      expect(kv?.key.buffer).not.toBe(key.buffer);
    } finally {
      await store.close();
    }
  });
});
