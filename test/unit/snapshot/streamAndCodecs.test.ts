import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32c, Crc32c } from '../../../src/mvcc/crc32c.js';
import { fnv64a } from '../../../src/snapshot/bbolt/fnv64a.js';
import { decodeKeyValue, encodeKeyValue } from '../../../src/mvcc/keyValueCodec.js';
import { decodeRevisionKey, encodeRevisionKey } from '../../../src/snapshot/revisionKey.js';
import { appendSha256, snapshotMessages, verifySnapshotFile } from '../../../src/snapshot/stream.js';

describe('snapshot stream sha256', () => {
  const db = Buffer.alloc(8192, 3);

  it('appendSha256 makes a file etcd recognises as carrying a hash, and verify strips it', () => {
    const file = appendSha256(db);
    expect(file.length % 512).toBe(32);
    const v = verifySnapshotFile(file);
    expect(v).toMatchObject({ hasHash: true, hashOk: true });
    expect(v.db.equals(db)).toBe(true);
  });

  it('a wrong hash fails with etcdutl restore words, unless skipped', () => {
    const file = appendSha256(db);
    file[file.length - 1]! ^= 1;
    const actual = [...createHash('sha256').update(db).digest()].join(' ');
    const expected = [...file.subarray(file.length - 32)].join(' ');
    expect(() => verifySnapshotFile(file)).toThrow(`expected sha256 [${expected}], got [${actual}]`);
    const skipped = verifySnapshotFile(file, { skipHashCheck: true });
    expect(skipped).toMatchObject({ hasHash: true, hashOk: false });
    expect(skipped.db.length).toBe(db.length);
  });

  it('a raw db without a hash needs --skip-hash-check', () => {
    expect(() => verifySnapshotFile(db)).toThrow(/^snapshot missing hash but --skip-hash-check=false$/);
    expect(verifySnapshotFile(db, { skipHashCheck: true })).toMatchObject({ hasHash: false, hashOk: false, db });
  });

  it('snapshotMessages: 32 KiB chunks counting remaining bytes down to 0, then the sha', () => {
    const big = Buffer.alloc(100_000, 9);
    const msgs = [...snapshotMessages(big)];
    expect(msgs.map((m) => m.blob.length)).toEqual([32768, 32768, 32768, 1696, 32]);
    expect(msgs.map((m) => m.remainingBytes)).toEqual([100_000 - 32768, 100_000 - 65536, 100_000 - 98304, 0, 0]);
    expect(Buffer.concat(msgs.map((m) => m.blob)).equals(appendSha256(big))).toBe(true);
  });
});

describe('hashes', () => {
  it('crc32c check value and incremental use', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(new Crc32c().update(Buffer.from('1234')).update(Buffer.from('56789')).digest()).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });
  it('fnv-1a 64 reference values', () => {
    expect(fnv64a(Buffer.alloc(0))).toBe(0xcbf29ce484222325n);
    expect(fnv64a(Buffer.from('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv64a(Buffer.from('foobar'))).toBe(0x85944171f73967e8n);
  });
});

describe('etcd key-bucket encodings', () => {
  it('revision keys: 17 bytes, 18 with the tombstone mark', () => {
    const k = encodeRevisionKey({ main: 2325n, sub: 1n, tombstone: false });
    expect(k.toString('hex')).toBe('0000000000000915' + '5f' + '0000000000000001');
    const t = encodeRevisionKey({ main: 7n, sub: 0n, tombstone: true });
    expect(t.length).toBe(18);
    expect(decodeRevisionKey(t)).toEqual({ main: 7n, sub: 0n, tombstone: true });
    expect(() => decodeRevisionKey(Buffer.from('short'))).toThrow(/expected at least 17/);
  });

  it('KeyValue as gogoproto: zero fields omitted, negative int64 in ten bytes', () => {
    const kv = { key: Buffer.from('foo'), createRevision: 2, modRevision: 3, version: 1, value: Buffer.from('bar'), lease: -1n };
    const bytes = encodeKeyValue(kv);
    expect(bytes.toString('hex')).toBe('0a03666f6f' + '1002' + '1803' + '2001' + '2a03626172' + '30ffffffffffffffffff01');
    expect(decodeKeyValue(bytes)).toEqual(kv);
    const tombstone = { key: Buffer.from('foo'), createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n };
    expect(encodeKeyValue(tombstone).toString('hex')).toBe('0a03666f6f');
    // Unknown fields are skipped, as protobuf requires.
    expect(decodeKeyValue(Buffer.concat([bytes, Buffer.from('3a0178', 'hex')]))).toEqual(kv);
    expect(() => decodeKeyValue(Buffer.from('0a05ab', 'hex'))).toThrow(/protobuf: bad length/);
  });
});
