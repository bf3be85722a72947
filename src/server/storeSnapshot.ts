// A raft snapshot's data: the store's LevelDB contents, every bucket, as one stream of records
// (u8 bucket, u32 key length, key, u32 value length, value), taken from a point-in-time scan. A
// follower installs it into a fresh directory and swaps it in, so a crash mid-install leaves either
// the old store or the new one, never a mix.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BUCKETS, Backend, type BucketName } from '../mvcc/backend.js';
import type { MvccStore } from '../mvcc/store.js';
import { fsyncDir } from './wal/durable-fs.js';

const MAGIC = Buffer.from('capstan-store-snapshot-v1\n');

export async function exportStoreState(store: MvccStore): Promise<{ data: Uint8Array; index: number; term: number }> {
  // Taken between applies (on the apply chain), so the scans, the index and the term agree.
  const index = store.consistentIndex;
  const term = store.consistentTerm;
  const cursors = BUCKETS.map((b) => [b, store.backend.scan(b, Buffer.alloc(0), null)] as const);
  const parts: Buffer[] = [MAGIC];
  try {
    for (const [bucket, cursor] of cursors) {
      const id = BUCKETS.indexOf(bucket);
      for (let page = await cursor.next(1024); page.length > 0; page = await cursor.next(1024)) {
        for (const { key, value } of page) {
          const head = Buffer.allocUnsafe(5);
          head[0] = id;
          head.writeUInt32BE(key.length, 1);
          const vlen = Buffer.allocUnsafe(4);
          vlen.writeUInt32BE(value.length, 0);
          parts.push(head, key, vlen, value);
        }
      }
    }
  } finally {
    await Promise.all(cursors.map(([, c]) => c.close()));
  }
  return { data: Buffer.concat(parts), index, term };
}

function* records(data: Uint8Array): Generator<{ bucket: BucketName; key: Buffer; value: Buffer }> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('snapshot from leader is not a capstan store snapshot');
  }
  let at = MAGIC.length;
  while (at < buf.length) {
    if (at + 5 > buf.length) throw new Error('snapshot from leader is truncated');
    const bucket = BUCKETS[buf[at]!];
    if (bucket === undefined) throw new Error(`snapshot from leader names unknown bucket ${buf[at]}`);
    const klen = buf.readUInt32BE(at + 1);
    const key = buf.subarray(at + 5, at + 5 + klen);
    at += 5 + klen;
    if (at + 4 > buf.length) throw new Error('snapshot from leader is truncated');
    const vlen = buf.readUInt32BE(at);
    const value = buf.subarray(at + 4, at + 4 + vlen);
    at += 4 + vlen;
    if (key.length !== klen || value.length !== vlen) throw new Error('snapshot from leader is truncated');
    yield { bucket, key, value };
  }
}

/** Builds the store from `data` beside `dbDir`, makes it durable, then puts it in `dbDir`'s place. */
export async function installStoreState(dbDir: string, data: Uint8Array): Promise<void> {
  const fresh = `${dbDir}.incoming`;
  const old = `${dbDir}.old`;
  await fs.rm(fresh, { recursive: true, force: true });
  const backend = await Backend.open(fresh);
  let staged = 0;
  for (const r of records(data)) {
    backend.put(r.bucket, r.key, r.value);
    if (++staged % 10_000 === 0) await backend.commit();
  }
  await backend.commit();
  await backend.close();
  await fs.rm(old, { recursive: true, force: true });
  await fs.rename(dbDir, old);
  await fs.rename(fresh, dbDir);
  await fsyncDir(path.dirname(dbDir));
  await fs.rm(old, { recursive: true, force: true });
}
