import { describe, expect, it } from 'vitest';
import { BoltWriteError, openBolt, writeBolt, type BoltEntries } from '../../../src/snapshot/bbolt/index.js';
import { decodeMeta, metaProblem } from '../../../src/snapshot/bbolt/meta.js';
import { PageSource } from '../../../src/snapshot/bbolt/pages.js';
import { PGID_NO_FREELIST } from '../../../src/snapshot/bbolt/layout.js';

const P = 4096;
const b = (s: string): Buffer => Buffer.from(s);

function kvs(n: number, keyLen = 8, valueLen = 8): [Buffer, Buffer][] {
  return Array.from({ length: n }, (_, i) => [b(String(i).padStart(keyLen, '0')), Buffer.alloc(valueLen, i & 0xff)]);
}

/** Depth of a paged bucket's tree (1 = a single leaf); 0 when the bucket is inline. */
function treeDepth(image: Buffer, bucket: string): number {
  const meta = decodeMeta(image, 0);
  const src = new PageSource(image, meta.pageSize, Number(meta.pgid));
  const root = src.treeNode(meta.rootPgid, 'test');
  if (root.kind !== 'leaf') throw new Error('test expects the root bucket in one leaf');
  const el = root.elements.find((e) => e.key.toString() === bucket)!;
  let pgid = el.value.readBigUInt64LE(0);
  if (pgid === 0n) return 0;
  for (let depth = 1; ; depth++) {
    const n = src.treeNode(pgid, 'test');
    if (n.kind === 'leaf') return depth;
    pgid = n.elements[0]!.pgid;
  }
}

describe('writeBolt file layout', () => {
  it('an empty database: two metas and the root leaf; with a freelist, page 2 is the freelist', () => {
    const plain = writeBolt({ buckets: new Map() });
    expect(plain.length).toBe(3 * P);
    const withFl = writeBolt({ buckets: new Map(), freelist: true });
    expect(withFl.length).toBe(4 * P);
    expect(withFl.readUInt16LE(2 * P + 8)).toBe(0x10);
    expect(decodeMeta(withFl, 0).freelistPgid).toBe(2n);
    expect(decodeMeta(plain, 0).freelistPgid).toBe(PGID_NO_FREELIST);
    expect(openBolt(plain).buckets()).toEqual([]);
    expect(openBolt(withFl).hasFreelist).toBe(true);
  });

  it('meta 0 has txid T and meta 1 T-1, both valid and pointing at the same tree (as Tx.WriteTo)', () => {
    const image = writeBolt({ buckets: new Map([['a', kvs(3)]]), txid: 77n, pageSize: 16384 });
    const [m0, m1] = [decodeMeta(image, 0), decodeMeta(image, 16384)];
    expect(metaProblem(image, 0)).toBeNull();
    expect(metaProblem(image, 16384)).toBeNull();
    expect([m0.txid, m1.txid]).toEqual([77n, 76n]);
    expect(m1.rootPgid).toBe(m0.rootPgid);
    expect(m0.pgid * 16384n).toBe(BigInt(image.length));
    expect(m0.pageSize).toBe(16384);
    const db = openBolt(image);
    expect(db.txid).toBe(77n);
    expect(db.metaPage).toBe(0);
  });

  it('inlines a bucket up to a quarter page, pages one just above, and never inlines when told not to', () => {
    // 16 (header) + n * (16 + 8 + 8) <= 1024 holds for n = 31, not for 32.
    const image = writeBolt({ buckets: new Map([['fits', kvs(31)], ['over', kvs(32)]]) });
    expect(treeDepth(image, 'fits')).toBe(0);
    expect(treeDepth(image, 'over')).toBe(1);
    const paged = writeBolt({ buckets: new Map([['fits', kvs(31)], ['empty', []]]), inlineBuckets: false });
    expect(treeDepth(paged, 'fits')).toBe(1);
    expect(treeDepth(paged, 'empty')).toBe(1);
    expect(openBolt(paged).bucket('empty')!.count).toBe(0);
  });

  it('builds several branch levels for many long keys and reads every one back', () => {
    const entries = kvs(3000, 1000, 3);
    const image = writeBolt({ buckets: new Map([['deep', entries]]) });
    expect(treeDepth(image, 'deep')).toBeGreaterThanOrEqual(4);
    const bucket = openBolt(image).bucket('deep')!;
    expect(bucket.count).toBe(3000);
    expect(entries.findIndex(([k, v]) => bucket.get(k)?.equals(v) !== true)).toBe(-1);
  });

  it('keys longer than a page give overflowing leaf and branch pages', () => {
    const entries: [Buffer, Buffer][] = Array.from({ length: 12 }, (_, i) => [Buffer.alloc(9000, 0x41 + i), b(`v${i}`)]);
    const image = writeBolt({ buckets: new Map([['wide', entries]]) });
    const bucket = openBolt(image).bucket('wide')!;
    expect([...bucket.entries()].map(([k, v]) => [k[0], v.toString()])).toEqual(entries.map(([k, v]) => [k[0], v.toString()]));
  });

  it('a value bigger than a 64 KiB page spans overflow pages', () => {
    const big = Buffer.alloc(300_000, 7);
    const image = writeBolt({ pageSize: 65536, buckets: new Map([['x', [[b('a'), Buffer.alloc(0)], [b('big'), big], [b('c'), b('')]]]]) });
    const x = openBolt(image).bucket('x')!;
    expect(x.get('big')?.equals(big)).toBe(true);
    expect(x.get('a')?.length).toBe(0);
    expect(x.count).toBe(3);
  });

  it('nested buckets: inline, paged and nested twice', () => {
    const buckets = new Map<string, BoltEntries>([
      [
        'outer',
        [
          [b('a-plain'), b('1')],
          [b('b-inline'), { nested: kvs(2) }],
          [b('c-paged'), { nested: kvs(500) }],
          [b('d-deeper'), { nested: [[b('inner'), { nested: [[b('k'), b('deep value')]] }]] }],
        ],
      ],
    ]);
    for (const freelist of [false, true]) {
      const outer = openBolt(writeBolt({ buckets, freelist })).bucket('outer')!;
      expect(outer.buckets()).toEqual(['b-inline', 'c-paged', 'd-deeper']);
      expect([...outer.entries()].map(([k]) => k.toString())).toEqual(['a-plain']);
      expect([...outer.items()].map((i) => [i.key.toString(), i.value === null])).toEqual([
        ['a-plain', false],
        ['b-inline', true],
        ['c-paged', true],
        ['d-deeper', true],
      ]);
      expect(outer.count).toBe(1);
      expect(outer.get('b-inline')).toBeUndefined();
      expect(outer.bucket('a-plain')).toBeUndefined();
      expect(outer.bucket('b-inline')!.count).toBe(2);
      expect(outer.bucket('c-paged')!.get(kvs(500)[321]![0])?.equals(kvs(500)[321]![1])).toBe(true);
      expect(outer.bucket('d-deeper')!.bucket('inner')!.get('k')?.toString()).toBe('deep value');
    }
  });
});

describe('writeBolt refuses what bbolt cannot hold', () => {
  const one = (entries: BoltEntries) => () => writeBolt({ buckets: new Map([['a', entries]]) });
  it('unsorted or duplicate keys', () => {
    expect(one([[b('b'), b('')], [b('a'), b('')]])).toThrow(BoltWriteError);
    expect(one([[b('a'), b('')], [b('a'), b('')]])).toThrow(/not strictly increasing/);
  });
  it('empty and oversized keys', () => {
    expect(one([[b(''), b('x')]])).toThrow(/empty key/);
    expect(one([[Buffer.alloc(32769), b('x')]])).toThrow(/exceeds 32768/);
  });
  it('an empty bucket name, a bad page size, a txid below 2', () => {
    expect(() => writeBolt({ buckets: new Map([['', []]]) })).toThrow(/empty key/);
    expect(() => writeBolt({ buckets: new Map(), pageSize: 5000 })).toThrow(/page size 5000/);
    expect(() => writeBolt({ buckets: new Map(), pageSize: 1024 })).toThrow(/page size 1024/);
    expect(() => writeBolt({ buckets: new Map(), txid: 1n })).toThrow(/txid 1/);
  });
});
