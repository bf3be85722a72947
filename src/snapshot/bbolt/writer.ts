// Writing a bbolt image from scratch, as bbolt's Tx.WriteTo would emit it (spec snapshot-format.md §2.8):
// meta 0 with txid T and meta 1 with T-1 pointing at the same tree, an optional empty freelist page,
// then every bucket's pages allocated bottom-up. Every page below the high-water mark is reachable, so
// tx.Check passes with and without a synced freelist.
import { BoltWriteError } from './errors.js';
import {
  BRANCH_ELEMENT_SIZE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  isValidPageSize,
  LEAF_ELEMENT_SIZE,
  MAX_KEY_SIZE,
  MAX_PAGE_ELEMENTS,
  MAX_VALUE_SIZE,
  PAGE_HEADER_SIZE,
  PageFlag,
  PGID_NO_FREELIST,
  writePageHeader,
} from './layout.js';
import { writeMetaPage } from './meta.js';

/** A nested bucket as a value: its own sorted entries. etcd never nests; bbolt allows it. */
export interface NestedBucketInput {
  readonly nested: ReadonlyArray<readonly [Buffer, BoltValueInput]>;
}
export type BoltValueInput = Buffer | NestedBucketInput;
export type BoltEntries = ReadonlyArray<readonly [Buffer, BoltValueInput]>;

export interface BoltWriteInput {
  /** Default 4096. A power of two from 4 KiB to 1 MiB (bbolt reads the first 4 KiB to find the page size). */
  pageSize?: number;
  /** Top-level buckets; each one's entries strictly increasing by key bytes. Written in name byte order. */
  buckets: ReadonlyMap<string, BoltEntries>;
  /** true: an (empty) freelist page, as bbolt without NoFreelistSync. Default false: no freelist, as etcd. */
  freelist?: boolean;
  /** txid of meta 0 (meta 1 gets txid-1, like Tx.WriteTo). Default 2. */
  txid?: bigint;
  /** false: every bucket gets its own pages even when bbolt would inline it. Default true. */
  inlineBuckets?: boolean;
}

/** Smaller pages could make a file under 4 KiB, which bbolt cannot open. */
const MIN_WRITE_PAGE_SIZE = 4096;

interface Element {
  flags: number;
  key: Buffer;
  value: Buffer;
}

interface BranchRef {
  key: Buffer;
  pgid: number;
}

class PageAllocator {
  readonly pages: { id: number; bytes: Buffer }[] = [];
  constructor(
    readonly pageSize: number,
    public nextId: number,
  ) {}

  /** Reserves enough contiguous pages for a node of `size` bytes; returns the buffer and its first id. */
  allocate(size: number): { id: number; bytes: Buffer; overflow: number } {
    const n = Math.max(1, Math.ceil(size / this.pageSize));
    const id = this.nextId;
    this.nextId += n;
    const bytes = Buffer.alloc(n * this.pageSize);
    this.pages.push({ id, bytes });
    return { id, bytes, overflow: n - 1 };
  }
}

function leafSize(elements: readonly Element[]): number {
  let size = PAGE_HEADER_SIZE;
  for (const e of elements) size += LEAF_ELEMENT_SIZE + e.key.length + e.value.length;
  return size;
}

function writeLeaf(target: Buffer, id: number, overflow: number, elements: readonly Element[]): void {
  writePageHeader(target, 0, { id: BigInt(id), flags: PageFlag.leaf, count: elements.length, overflow });
  let data = PAGE_HEADER_SIZE + elements.length * LEAF_ELEMENT_SIZE;
  elements.forEach((e, i) => {
    const at = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE;
    target.writeUInt32LE(e.flags, at);
    target.writeUInt32LE(data - at, at + 4);
    target.writeUInt32LE(e.key.length, at + 8);
    target.writeUInt32LE(e.value.length, at + 12);
    data += e.key.copy(target, data);
    data += e.value.copy(target, data);
  });
  if (data > target.length) throw new Error(`invariant: leaf of ${data} bytes overran its ${target.length}-byte buffer`);
}

function writeBranch(target: Buffer, id: number, overflow: number, refs: readonly BranchRef[]): void {
  writePageHeader(target, 0, { id: BigInt(id), flags: PageFlag.branch, count: refs.length, overflow });
  let data = PAGE_HEADER_SIZE + refs.length * BRANCH_ELEMENT_SIZE;
  refs.forEach((r, i) => {
    const at = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE;
    target.writeUInt32LE(data - at, at);
    target.writeUInt32LE(r.key.length, at + 4);
    target.writeBigUInt64LE(BigInt(r.pgid), at + 8);
    data += r.key.copy(target, data);
  });
  if (data > target.length) throw new Error(`invariant: branch of ${data} bytes overran its ${target.length}-byte buffer`);
}

/**
 * Splits items into pages greedily while a page stays within pageSize. A page takes at least `minPerPage`
 * items even when they overflow it: one for leaves (a big value gets its own overflow page), two for
 * branches, so each branch level at least halves the node count and the tree always gets a single root.
 */
function pack<T>(items: readonly T[], sizeOf: (t: T) => number, pageSize: number, minPerPage: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let size = PAGE_HEADER_SIZE;
  for (const item of items) {
    const s = sizeOf(item);
    const full = current.length >= MAX_PAGE_ELEMENTS || (current.length >= minPerPage && size + s > pageSize);
    if (full) {
      groups.push(current);
      current = [];
      size = PAGE_HEADER_SIZE;
    }
    current.push(item);
    size += s;
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  return groups;
}

/** Writes a B+tree over the sorted elements and returns its root page id. */
function writeTree(alloc: PageAllocator, elements: readonly Element[]): number {
  const P = alloc.pageSize;
  let level: BranchRef[] = pack(elements, (e) => LEAF_ELEMENT_SIZE + e.key.length + e.value.length, P, 1).map(
    (group) => {
      const page = alloc.allocate(leafSize(group));
      writeLeaf(page.bytes, page.id, page.overflow, group);
      // An empty leaf only exists as the sole page of an empty bucket, where the key is never used.
      return { key: group[0]?.key ?? Buffer.alloc(0), pgid: page.id };
    },
  );
  for (let guard = 0; level.length > 1; guard++) {
    if (guard > 64) throw new Error('invariant: branch levels did not converge');
    level = pack(level, (r) => BRANCH_ELEMENT_SIZE + r.key.length, P, 2).map((group) => {
      let size = PAGE_HEADER_SIZE;
      for (const r of group) size += BRANCH_ELEMENT_SIZE + r.key.length;
      const page = alloc.allocate(size);
      writeBranch(page.bytes, page.id, page.overflow, group);
      return { key: group[0]!.key, pgid: page.id };
    });
  }
  return level[0]!.pgid;
}

interface BuildOptions {
  inline: boolean;
}

/** The bytes bbolt stores as a bucket's value in its parent: header, plus the page image when inline. */
function bucketValue(alloc: PageAllocator, elements: readonly Element[], opts: BuildOptions): Buffer {
  const size = leafSize(elements);
  // bbolt Bucket.inlineable: a single leaf, no nested buckets, at most a quarter page.
  const inlineable = opts.inline && size <= alloc.pageSize / 4 && elements.every((e) => (e.flags & BUCKET_LEAF_FLAG) === 0);
  if (inlineable) {
    const value = Buffer.alloc(BUCKET_HEADER_SIZE + size);
    writeLeaf(value.subarray(BUCKET_HEADER_SIZE), 0, 0, elements);
    return value;
  }
  const value = Buffer.alloc(BUCKET_HEADER_SIZE);
  value.writeBigUInt64LE(BigInt(writeTree(alloc, elements)), 0);
  return value;
}

function checkKey(key: Buffer, prev: Buffer | null, where: string): void {
  if (key.length === 0) throw new BoltWriteError(`${where}: empty key (bbolt requires a key)`);
  if (key.length > MAX_KEY_SIZE) throw new BoltWriteError(`${where}: key of ${key.length} bytes exceeds ${MAX_KEY_SIZE}`);
  if (prev !== null && Buffer.compare(prev, key) >= 0) {
    throw new BoltWriteError(`${where}: keys are not strictly increasing at key 0x${key.toString('hex')}`);
  }
}

function buildElements(alloc: PageAllocator, entries: BoltEntries, where: string, opts: BuildOptions, depth: number): Element[] {
  if (depth > 64) throw new BoltWriteError(`${where}: buckets nested deeper than 64 levels`);
  const out: Element[] = [];
  let prev: Buffer | null = null;
  for (const [key, value] of entries) {
    checkKey(key, prev, where);
    prev = key;
    if (Buffer.isBuffer(value)) {
      if (value.length > MAX_VALUE_SIZE) throw new BoltWriteError(`${where}: value of ${value.length} bytes is too large`);
      out.push({ flags: 0, key, value });
    } else {
      const childWhere = `${where}/${key.toString('utf8')}`;
      const children = buildElements(alloc, value.nested, childWhere, opts, depth + 1);
      out.push({ flags: BUCKET_LEAF_FLAG, key, value: bucketValue(alloc, children, opts) });
    }
  }
  return out;
}

/** Builds a complete bbolt file image (exactly pgid * pageSize bytes). */
export function writeBolt(input: BoltWriteInput): Buffer {
  const pageSize = input.pageSize ?? 4096;
  if (!isValidPageSize(pageSize) || pageSize < MIN_WRITE_PAGE_SIZE) {
    throw new BoltWriteError(`page size ${pageSize} is not a power of two between ${MIN_WRITE_PAGE_SIZE} and 1048576`);
  }
  const txid = input.txid ?? 2n;
  if (txid < 2n || txid > 0xffffffffffffffffn) throw new BoltWriteError(`txid ${txid} must be at least 2 (meta 1 gets txid-1)`);
  const withFreelist = input.freelist ?? false;
  const opts: BuildOptions = { inline: input.inlineBuckets ?? true };

  const named = [...input.buckets].map(([name, entries]) => ({ key: Buffer.from(name, 'utf8'), entries }));
  named.sort((a, b) => Buffer.compare(a.key, b.key));
  const alloc = new PageAllocator(pageSize, withFreelist ? 3 : 2);
  const top: [Buffer, BoltValueInput][] = named.map((b) => [b.key, { nested: b.entries }]);
  const rootElements = buildElements(alloc, top, '<root>', opts, 0);
  const rootPgid = writeTree(alloc, rootElements);

  const pageCount = alloc.nextId;
  const file = Buffer.alloc(pageCount * pageSize);
  for (const p of alloc.pages) p.bytes.copy(file, p.id * pageSize);
  const freelistPgid = withFreelist ? 2n : PGID_NO_FREELIST;
  if (withFreelist) writePageHeader(file, 2 * pageSize, { id: 2n, flags: PageFlag.freelist, count: 0, overflow: 0 });
  const fields = { pageSize, rootPgid: BigInt(rootPgid), freelistPgid, pgid: BigInt(pageCount) };
  writeMetaPage(file, 0, 0, { ...fields, txid });
  writeMetaPage(file, pageSize, 1, { ...fields, txid: txid - 1n });
  return file;
}
