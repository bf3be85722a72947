// Random access to the pages of a bbolt image, with every bound checked before a byte is read.
import { BoltFormatError } from './errors.js';
import { PAGE_HEADER_SIZE, PageFlag, pageFlagName, readPageHeader } from './layout.js';
import { decodeBranchElements, decodeLeafElements, type BranchElement, type LeafElement } from './node.js';

export interface Page {
  id: number;
  flags: number;
  count: number;
  overflow: number;
  /** From the page header to the end of its last overflow page. */
  image: Buffer;
}

export type TreeNode =
  | { kind: 'leaf'; id: number; elements: LeafElement[] }
  | { kind: 'branch'; id: number; elements: BranchElement[] };

/** Decoded tree nodes kept for repeated lookups; cleared wholesale when full (simple and bounded). */
const NODE_CACHE_LIMIT = 1024;

export class PageSource {
  private readonly nodes = new Map<number, TreeNode>();

  constructor(
    readonly buf: Buffer,
    readonly pageSize: number,
    /** meta.pgid: pages [0, pageCount) are the file; the buffer holds at least that many. */
    readonly pageCount: number,
  ) {
    if (pageCount * pageSize > buf.length) {
      throw new Error(`invariant: ${pageCount} pages of ${pageSize} bytes exceed the ${buf.length}-byte buffer`);
    }
  }

  page(pgid: bigint, where: string): Page {
    if (pgid >= BigInt(this.pageCount)) {
      throw new BoltFormatError(`${where}: page ${pgid} is out of bounds (high-water mark ${this.pageCount})`);
    }
    const id = Number(pgid);
    const start = id * this.pageSize;
    const h = readPageHeader(this.buf, start);
    if (h.id !== pgid) {
      throw new BoltFormatError(`${where}: page ${id} has id ${h.id} in its header (wrong page or corrupt)`);
    }
    if (id + h.overflow >= this.pageCount) {
      throw new BoltFormatError(
        `${where}: page ${id} claims ${h.overflow} overflow pages, past the high-water mark ${this.pageCount}`,
      );
    }
    const image = this.buf.subarray(start, start + (h.overflow + 1) * this.pageSize);
    return { id, flags: h.flags, count: h.count, overflow: h.overflow, image };
  }

  /** A page that must be part of a bucket's B+tree. */
  treeNode(pgid: bigint, where: string): TreeNode {
    const cached = pgid < BigInt(this.pageCount) ? this.nodes.get(Number(pgid)) : undefined;
    if (cached !== undefined) return cached;
    const node = this.decodeTreeNode(pgid, where);
    if (this.nodes.size >= NODE_CACHE_LIMIT) this.nodes.clear();
    this.nodes.set(node.id, node);
    return node;
  }

  private decodeTreeNode(pgid: bigint, where: string): TreeNode {
    const p = this.page(pgid, where);
    const at = `${where}: page ${p.id}`;
    if (p.flags === PageFlag.leaf) return { kind: 'leaf', id: p.id, elements: decodeLeafElements(p.image, p.count, at) };
    if (p.flags === PageFlag.branch) {
      if (p.count === 0) throw new BoltFormatError(`${at}: branch page has no elements`);
      return { kind: 'branch', id: p.id, elements: decodeBranchElements(p.image, p.count, at) };
    }
    throw new BoltFormatError(`${at}: invalid type: ${pageFlagName(p.flags)} where a branch or leaf page belongs`);
  }
}

/** Where a bucket's data lives: a page image inside its parent's value, or its own tree of pages. */
export type BucketRoot = { kind: 'inline'; elements: LeafElement[] } | { kind: 'paged'; pgid: bigint };

/** Decodes a bucket value: 16-byte header (root pgid, sequence), then an inline leaf page when root is 0. */
export function decodeBucketValue(value: Buffer, where: string): BucketRoot {
  if (value.length < 16) {
    throw new BoltFormatError(`${where}: bucket value has ${value.length} bytes, less than its 16-byte header`);
  }
  const root = value.readBigUInt64LE(0);
  if (root !== 0n) {
    if (value.length !== 16) {
      throw new BoltFormatError(`${where}: bucket with root page ${root} has a ${value.length}-byte value, expected 16`);
    }
    if (root < 2n) throw new BoltFormatError(`${where}: bucket root is meta page ${root}`);
    return { kind: 'paged', pgid: root };
  }
  const image = value.subarray(16);
  if (image.length < PAGE_HEADER_SIZE) {
    throw new BoltFormatError(`${where}: inline bucket has ${image.length} bytes, less than a page header`);
  }
  const h = readPageHeader(image, 0);
  if (h.flags !== PageFlag.leaf) {
    throw new BoltFormatError(`${where}: inline bucket page has type ${pageFlagName(h.flags)}, expected leaf`);
  }
  return { kind: 'inline', elements: decodeLeafElements(image, h.count, `${where} (inline)`) };
}
