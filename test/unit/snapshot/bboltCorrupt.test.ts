// Corrupt, truncated and tampered copies of the real etcd snapshot fail with a clear BoltFormatError.
import { describe, expect, it } from 'vitest';
import { BoltFormatError, BoltIntegrityError, openBolt, writeBolt } from '../../../src/snapshot/bbolt/index.js';
import { decodeMeta } from '../../../src/snapshot/bbolt/meta.js';
import { PageSource } from '../../../src/snapshot/bbolt/pages.js';
import { snapshotStatus } from '../../../src/snapshot/status.js';
import { verifySnapshotFile } from '../../../src/snapshot/stream.js';
import { readFixtureSnapshot } from './fixture.js';
import { rewriteMetas } from './imageSurgery.js';

const P = 4096;
const original = verifySnapshotFile(readFixtureSnapshot()).db;

function copy(): Buffer {
  return Buffer.from(original);
}

function expectFormatError(image: Buffer, message: string | RegExp): void {
  let caught: unknown;
  try {
    const db = openBolt(image);
    for (const name of db.buckets()) for (const item of db.bucket(name)!.items()) void item;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(BoltFormatError);
  expect((caught as Error).message).toMatch(message);
}

/** Page ids of the fixture's key bucket: its root (a branch page), that root's children, and its leaves. */
function keyBucketPages(): { root: number; children: number[]; leaves: number[] } {
  const meta = decodeMeta(original, 0);
  const src = new PageSource(original, P, Number(meta.pgid));
  const rootNode = src.treeNode(meta.rootPgid, 'test');
  if (rootNode.kind !== 'leaf') throw new Error('fixture root bucket is expected to be one leaf');
  const keyEl = rootNode.elements.find((e) => e.key.toString() === 'key')!;
  const root = keyEl.value.readBigUInt64LE(0);
  const node = src.treeNode(root, 'test');
  if (node.kind !== 'branch') throw new Error('fixture key bucket is expected to have a branch root');
  const leaves: number[] = [];
  const stack = [root];
  for (let id = stack.pop(); id !== undefined && leaves.length < 8; id = stack.pop()) {
    const n = src.treeNode(id, 'test');
    if (n.kind === 'leaf') leaves.push(n.id);
    else for (let i = n.elements.length - 1; i >= 0; i--) stack.push(n.elements[i]!.pgid);
  }
  return { root: Number(root), children: node.elements.map((e) => Number(e.pgid)), leaves };
}

describe('truncated files', () => {
  it('too small for a meta page', () => expectFormatError(original.subarray(0, 50), /file size too small/));
  it('only the first page', () => expectFormatError(original.subarray(0, P), /file is truncated/));
  it('half the file', () => expectFormatError(original.subarray(0, (original.length / 2) & ~(P - 1)), /file is truncated: meta page 0 says 239 pages/));
  it('one byte short', () => expectFormatError(original.subarray(0, original.length - 1), /file is truncated/));
});

describe('tampered meta pages', () => {
  it('a damaged meta 0 falls back to meta 1 (txid - 1), as bbolt does', () => {
    const b = copy();
    b[16 + 20] ^= 0xff; // inside meta 0's root pgid: checksum no longer matches
    const db = openBolt(b);
    expect(db.metaPage).toBe(1);
    expect(db.txid).toBe(openBolt(original).txid - 1n);
    expect(db.bucket('key')!.count).toBe(openBolt(original).bucket('key')!.count);
  });

  it('both metas with a bad checksum', () => {
    const b = copy();
    b[16 + 48] ^= 1;
    b[P + 16 + 48] ^= 1;
    expectFormatError(b, /invalid database: meta page 0: checksum error; meta page 1: checksum error/);
  });

  it('bad magic and bad version', () => {
    const b = copy();
    b.writeUInt32LE(0xdeadbeef, 16);
    b.writeUInt32LE(3, P + 16 + 4);
    expectFormatError(b, /invalid database: meta page 0: bad magic 0xdeadbeef; meta page 1: version mismatch/);
  });

  it('a high-water mark past the end of the file', () => {
    expectFormatError(rewriteMetas(copy(), P, { pgid: 1n << 40n }), /file is truncated/);
  });

  it('a root that is a meta page or past the high-water mark', () => {
    expectFormatError(rewriteMetas(copy(), P, { rootPgid: 1n }), /root page 1 is outside/);
    expectFormatError(rewriteMetas(copy(), P, { rootPgid: 5000n }), /root page 5000 is outside/);
  });

  it('a freelist that is not a freelist page', () => {
    expectFormatError(rewriteMetas(copy(), P, { freelistPgid: BigInt(keyBucketPages().root) }), /expected freelist/);
  });
});

describe('tampered tree pages', () => {
  const { root, children, leaves } = keyBucketPages();

  it('a branch that points at itself: a cycle, reported, not followed', () => {
    const b = copy();
    b.writeBigUInt64LE(BigInt(root), root * P + 16 + 8); // element 0's child pgid
    expectFormatError(b, new RegExp(`page ${root}: multiple references`));
  });

  it('two branch elements pointing at one page', () => {
    const b = copy();
    b.writeBigUInt64LE(BigInt(children[0]!), root * P + 16 + 16 + 8); // element 1 -> element 0's child
    expectFormatError(b, /multiple references|not below the parent's next key/);
  });

  it('a child past the high-water mark', () => {
    const b = copy();
    b.writeBigUInt64LE(1n << 50n, root * P + 16 + 8);
    expectFormatError(b, /out of bounds/);
  });

  it('a page whose header names another page', () => {
    const b = copy();
    b.writeBigUInt64LE(BigInt(children[1]! + 1), children[1]! * P);
    expectFormatError(b, new RegExp(`page ${children[1]} has id ${children[1]! + 1}`));
  });

  it('a page of an invalid type', () => {
    const b = copy();
    b.writeUInt16LE(0x04, children[0]! * P + 8);
    expectFormatError(b, /invalid type: meta/);
    b.writeUInt16LE(0x03, children[0]! * P + 8);
    expectFormatError(b, /invalid type: unknown<0x3>/);
  });

  it('an element whose key lies outside the page', () => {
    const b = copy();
    b.writeUInt32LE(0x7fffffff, leaves[0]! * P + 16 + 4); // leaf element 0 pos
    expectFormatError(b, /key of leaf element 0 \[\d+, \d+\) lies outside/);
  });

  it('a count larger than the page can hold', () => {
    const b = copy();
    b.writeUInt16LE(0xffff, children[0]! * P + 10);
    expectFormatError(b, /65535 elements need/);
  });

  it('keys out of order', () => {
    const b = copy();
    const at = leaves[2]! * P;
    const pos = b.readUInt32LE(at + 16 + 16 + 4); // element 1's key: make it sort before element 0
    b.fill(0, at + 16 + 16 + pos, at + 16 + 16 + pos + 8);
    expectFormatError(b, /not strictly increasing|below the key its parent points with/);
  });

  it('an overflow count running past the end', () => {
    const b = copy();
    b.writeUInt32LE(100000, children[0]! * P + 12);
    expectFormatError(b, /overflow pages, past the high-water mark/);
  });

  it('integrity failures read as etcd says them in snapshot status', () => {
    const b = copy();
    b.writeBigUInt64LE(BigInt(root), root * P + 16 + 8);
    expect(() => openBolt(b)).toThrow(BoltIntegrityError);
    expect(() => snapshotStatus(b)).toThrow(/^snapshot file integrity check failed\. 1 errors found\.\n.*multiple references/);
  });
});

describe('freelist', () => {
  it('a duplicate free page id is "already freed"', () => {
    const image = writeBolt({ buckets: new Map([['a', [[Buffer.from('k'), Buffer.from('v')]]]]), freelist: true });
    const pages = image.length / P;
    const grown = Buffer.concat([image, Buffer.alloc(P)]);
    grown.writeBigUInt64LE(BigInt(pages), pages * P);
    grown.writeUInt16LE(0x02, pages * P + 8);
    // The freelist page (2) lists the new page twice.
    grown.writeUInt16LE(2, 2 * P + 10);
    grown.writeBigUInt64LE(BigInt(pages), 2 * P + 16);
    grown.writeBigUInt64LE(BigInt(pages), 2 * P + 24);
    expectFormatError(rewriteMetas(grown, P, { pgid: BigInt(pages + 1) }), new RegExp(`page ${pages}: already freed`));
  });

  it('a listed free page is not "unreachable unfreed", and a reachable one is "reachable freed"', () => {
    const image = writeBolt({ buckets: new Map([['a', [[Buffer.from('k'), Buffer.from('v')]]]]), freelist: true });
    const pages = image.length / P;
    const grown = Buffer.concat([image, Buffer.alloc(P)]);
    grown.writeUInt16LE(1, 2 * P + 10);
    grown.writeBigUInt64LE(BigInt(pages), 2 * P + 16);
    const db = openBolt(rewriteMetas(grown, P, { pgid: BigInt(pages + 1) }));
    expect(db.freePages).toEqual([pages]);
    grown.writeBigUInt64LE(BigInt(pages - 1), 2 * P + 16); // the root page
    expectFormatError(rewriteMetas(grown, P, { pgid: BigInt(pages + 1) }), /reachable freed/);
  });

  it('reads the count from the first u64 when the header count is 0xFFFF (large freelists)', () => {
    const image = writeBolt({ buckets: new Map([['a', [[Buffer.from('k'), Buffer.from('v')]]]]), freelist: true });
    const pages = image.length / P;
    const grown = Buffer.concat([image, Buffer.alloc(2 * P)]);
    grown.writeUInt16LE(0xffff, 2 * P + 10);
    grown.writeBigUInt64LE(2n, 2 * P + 16);
    grown.writeBigUInt64LE(BigInt(pages), 2 * P + 24);
    grown.writeBigUInt64LE(BigInt(pages + 1), 2 * P + 32);
    expect(openBolt(rewriteMetas(grown, P, { pgid: BigInt(pages + 2) })).freePages).toEqual([pages, pages + 1]);
    grown.writeBigUInt64LE(1n << 40n, 2 * P + 16);
    expectFormatError(rewriteMetas(grown, P, { pgid: BigInt(pages + 2) }), /claims 1099511627776 free pages/);
  });

  it('a bucket name damaged into invalid UTF-8 is refused, not listed under a name that finds nothing', () => {
    // Found by bboltCorrupt's property test (seed 23940169): the name listed lossily ("n\ufffdst")
    // and bucket() on it returned undefined.
    const image = writeBolt({ pageSize: P, freelist: true, buckets: new Map([['nest', [[Buffer.from('k'), Buffer.from('v')]]], ['other', []]]) });
    const at = image.indexOf(Buffer.from('nest'));
    expect(at).toBeGreaterThan(0);
    const damaged = Buffer.from(image);
    damaged[at + 1]! ^= 0x80;
    expectFormatError(damaged, /child bucket name 0x6ee57374 is not UTF-8/);
  });
});
