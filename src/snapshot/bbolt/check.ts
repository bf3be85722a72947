// The integrity walk bbolt's tx.Check does (tx_check.go), run once when a file is opened so that every
// later lookup and iteration runs over a tree known to be finite, acyclic and ordered. Iterative with
// explicit stacks: a hostile file must not be able to exhaust the JS call stack.
import { BoltFormatError } from './errors.js';
import { BUCKET_LEAF_FLAG, FREELIST_COUNT_OVERFLOW, PAGE_HEADER_SIZE, PageFlag, pageFlagName } from './layout.js';
import type { LeafElement } from './node.js';
import { decodeBucketValue, type BucketRoot, type PageSource } from './pages.js';

/** bbolt has no limit; etcd uses one level. This keeps a crafted file from nesting without end. */
export const MAX_BUCKET_DEPTH = 64;

export interface CheckInput {
  src: PageSource;
  rootPgid: bigint;
  /** null when meta.freelist is the no-freelist marker. */
  freelistPgid: bigint | null;
}

export interface CheckResult {
  /** Page ids listed in the freelist page; empty when there is none. */
  freePages: number[];
  reachablePages: number;
}

interface BucketWork {
  root: BucketRoot;
  path: string;
  depth: number;
}

interface PageWork {
  pgid: bigint;
  minKey: Buffer | null;
  maxKey: Buffer | null;
}

export function checkBolt(input: CheckInput): CheckResult {
  const { src } = input;
  const reachable = new Uint8Array(src.pageCount);
  const freed = new Uint8Array(src.pageCount);
  reachable[0] = 1;
  reachable[1] = 1;
  let reachableCount = 2;

  const freePages = input.freelistPgid === null ? [] : readFreelist(src, input.freelistPgid);
  for (const id of freePages) {
    if (freed[id]) throw new BoltFormatError(`freelist: page ${id}: already freed`);
    freed[id] = 1;
  }
  if (input.freelistPgid !== null) {
    const fl = src.page(input.freelistPgid, 'freelist');
    for (let i = 0; i <= fl.overflow; i++) {
      reachable[fl.id + i] = 1;
      reachableCount++;
    }
  }

  const claim = (id: number, overflow: number, path: string): void => {
    for (let i = 0; i <= overflow; i++) {
      const p = id + i;
      if (reachable[p]) throw new BoltFormatError(`bucket ${path}: page ${p}: multiple references`);
      if (freed[p]) throw new BoltFormatError(`bucket ${path}: page ${p}: reachable freed`);
      reachable[p] = 1;
      reachableCount++;
    }
  };

  const buckets: BucketWork[] = [{ root: { kind: 'paged', pgid: input.rootPgid }, path: '<root>', depth: 0 }];
  for (let b = buckets.pop(); b !== undefined; b = buckets.pop()) {
    const work = b;
    const nested = (elements: LeafElement[], where: string): void => {
      for (const e of elements) {
        if ((e.flags & BUCKET_LEAF_FLAG) === 0) continue;
        const name = childPath(work.path, e.key);
        if (work.depth + 1 > MAX_BUCKET_DEPTH) {
          throw new BoltFormatError(`bucket ${name}: nested deeper than ${MAX_BUCKET_DEPTH} levels`);
        }
        buckets.push({ root: decodeBucketValue(e.value, `${where}: bucket ${name}`), path: name, depth: work.depth + 1 });
      }
    };
    if (work.root.kind === 'inline') {
      checkLeafOrder(work.root.elements, null, null, `bucket ${work.path} (inline)`);
      nested(work.root.elements, `bucket ${work.path} (inline)`);
      continue;
    }
    const pages: PageWork[] = [{ pgid: work.root.pgid, minKey: null, maxKey: null }];
    for (let w = pages.pop(); w !== undefined; w = pages.pop()) {
      const where = `bucket ${work.path}`;
      const page = src.page(w.pgid, where);
      claim(page.id, page.overflow, work.path);
      const node = src.treeNode(w.pgid, where);
      const at = `${where}: page ${node.id}`;
      if (node.kind === 'leaf') {
        checkLeafOrder(node.elements, w.minKey, w.maxKey, at);
        nested(node.elements, at);
        continue;
      }
      const els = node.elements;
      for (let i = 0; i < els.length; i++) {
        const key = els[i]!.key;
        if (i === 0 && w.minKey !== null && Buffer.compare(w.minKey, key) > 0) {
          throw new BoltFormatError(`${at}: branch key ${i} is below the key its parent points with`);
        }
        if (i > 0 && Buffer.compare(els[i - 1]!.key, key) >= 0) {
          throw new BoltFormatError(`${at}: branch keys ${i - 1} and ${i} are not strictly increasing`);
        }
        if (w.maxKey !== null && Buffer.compare(key, w.maxKey) >= 0) {
          throw new BoltFormatError(`${at}: branch key ${i} is not below the parent's next key`);
        }
      }
      // Pushed in reverse so children are visited in key order (the error for a bad file is then stable).
      for (let i = els.length - 1; i >= 0; i--) {
        pages.push({ pgid: els[i]!.pgid, minKey: els[i]!.key, maxKey: i + 1 < els.length ? els[i + 1]!.key : w.maxKey });
      }
    }
  }

  if (input.freelistPgid !== null) {
    for (let i = 0; i < src.pageCount; i++) {
      if (!reachable[i] && !freed[i]) throw new BoltFormatError(`page ${i}: unreachable unfreed`);
    }
  }
  return { freePages, reachablePages: reachableCount };
}

function checkLeafOrder(els: LeafElement[], minKey: Buffer | null, maxKey: Buffer | null, at: string): void {
  for (let i = 0; i < els.length; i++) {
    const key = els[i]!.key;
    if (i === 0 && minKey !== null && Buffer.compare(minKey, key) > 0) {
      throw new BoltFormatError(`${at}: leaf key ${i} is below the key its parent points with`);
    }
    if (i > 0 && Buffer.compare(els[i - 1]!.key, key) >= 0) {
      throw new BoltFormatError(`${at}: leaf keys ${i - 1} and ${i} are not strictly increasing`);
    }
    if (maxKey !== null && Buffer.compare(key, maxKey) >= 0) {
      throw new BoltFormatError(`${at}: leaf key ${i} is not below the parent's next key`);
    }
  }
}

function readFreelist(src: PageSource, pgid: bigint): number[] {
  const page = src.page(pgid, 'freelist');
  if (page.flags !== PageFlag.freelist) {
    throw new BoltFormatError(`freelist: page ${page.id} has type ${pageFlagName(page.flags)}, expected freelist`);
  }
  let count = page.count;
  let at = PAGE_HEADER_SIZE;
  if (count === FREELIST_COUNT_OVERFLOW) {
    if (at + 8 > page.image.length) throw new BoltFormatError(`freelist: page ${page.id} is truncated`);
    const big = page.image.readBigUInt64LE(at);
    if (big > BigInt(src.pageCount)) {
      throw new BoltFormatError(`freelist: claims ${big} free pages but the file has ${src.pageCount}`);
    }
    count = Number(big);
    at += 8;
  }
  if (at + count * 8 > page.image.length) {
    throw new BoltFormatError(`freelist: ${count} ids do not fit in page ${page.id} and its ${page.overflow} overflow pages`);
  }
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = page.image.readBigUInt64LE(at + i * 8);
    if (id < 2n || id >= BigInt(src.pageCount)) {
      throw new BoltFormatError(`freelist: free page id ${id} is outside [2, ${src.pageCount})`);
    }
    ids.push(Number(id));
  }
  return ids;
}

export function childPath(parent: string, key: Buffer): string {
  const name = printable(key);
  return parent === '<root>' ? name : `${parent}/${name}`;
}

function printable(key: Buffer): string {
  const s = key.toString('utf8');
  return /^[\x20-\x7e]*$/.test(s) ? s : `0x${key.toString('hex')}`;
}
