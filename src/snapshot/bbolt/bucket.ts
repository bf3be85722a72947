// Read-only views of buckets in an image that checkBolt has already walked, so the trees here are known
// to be finite, acyclic and ordered; walks still carry a page budget as a second line of defence.
import { BoltFormatError } from './errors.js';
import { BUCKET_LEAF_FLAG } from './layout.js';
import type { BranchElement, LeafElement } from './node.js';
import { decodeBucketValue, type BucketRoot, type PageSource } from './pages.js';
import { childPath } from './check.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** One entry as bbolt's ForEach sees it: a nested bucket has a null value. */
export interface BoltItem {
  key: Buffer;
  value: Buffer | null;
}

export interface BoltBucket {
  /** Slash-separated printable path, for messages. */
  readonly path: string;
  /** Number of plain key/values (nested buckets not counted). */
  readonly count: number;
  get(key: Buffer | string): Buffer | undefined;
  /** Plain key/values in key byte order; keys and values are views into the image (no copies). */
  entries(): IterableIterator<[Buffer, Buffer]>;
  /** Every entry in key order, nested buckets included with a null value (bbolt ForEach). */
  items(): IterableIterator<BoltItem>;
  /** Names of nested buckets. */
  buckets(): string[];
  bucket(name: Buffer | string): BoltBucket | undefined;
}

function asKey(k: Buffer | string): Buffer {
  return typeof k === 'string' ? Buffer.from(k, 'utf8') : k;
}

function isBucket(e: LeafElement): boolean {
  return (e.flags & BUCKET_LEAF_FLAG) !== 0;
}

export class BucketView implements BoltBucket {
  private cachedCount: number | null = null;

  constructor(
    private readonly src: PageSource,
    private readonly root: BucketRoot,
    readonly path: string,
  ) {}

  get count(): number {
    if (this.cachedCount === null) {
      let n = 0;
      for (const item of this.items()) if (item.value !== null) n++;
      this.cachedCount = n;
    }
    return this.cachedCount;
  }

  get(key: Buffer | string): Buffer | undefined {
    const e = this.findLeafElement(asKey(key));
    return e === undefined || isBucket(e) ? undefined : e.value;
  }

  bucket(name: Buffer | string): BoltBucket | undefined {
    const key = asKey(name);
    const e = this.findLeafElement(key);
    if (e === undefined || !isBucket(e)) return undefined;
    const path = childPath(this.path, key);
    return new BucketView(this.src, decodeBucketValue(e.value, `bucket ${path}`), path);
  }

  /** Child bucket names; a name that is not UTF-8 (damage: etcd's are ASCII) could not be looked up again. */
  buckets(): string[] {
    const names: string[] = [];
    for (const item of this.items()) {
      if (item.value !== null) continue;
      try {
        names.push(STRICT_UTF8.decode(item.key));
      } catch {
        throw new BoltFormatError(`bucket ${this.path}: child bucket name 0x${item.key.toString('hex')} is not UTF-8`);
      }
    }
    return names;
  }

  *entries(): IterableIterator<[Buffer, Buffer]> {
    for (const item of this.items()) if (item.value !== null) yield [item.key, item.value];
  }

  *items(): IterableIterator<BoltItem> {
    for (const leaf of this.leaves()) {
      for (const e of leaf) yield { key: e.key, value: isBucket(e) ? null : e.value };
    }
  }

  private *leaves(): IterableIterator<LeafElement[]> {
    if (this.root.kind === 'inline') {
      yield this.root.elements;
      return;
    }
    // Depth-first over the branch pages, children in key order.
    let budget = this.src.pageCount;
    const stack: { elements: BranchElement[]; next: number }[] = [];
    let pending: bigint | null = this.root.pgid;
    for (;;) {
      if (pending !== null) {
        if (budget-- <= 0) throw new BoltFormatError(`bucket ${this.path}: walk visits more pages than the file has`);
        const node = this.src.treeNode(pending, `bucket ${this.path}`);
        pending = null;
        if (node.kind === 'leaf') yield node.elements;
        else stack.push({ elements: node.elements, next: 0 });
      }
      const top = stack[stack.length - 1];
      if (top === undefined) return;
      const child = top.elements[top.next];
      if (child === undefined) {
        stack.pop();
        continue;
      }
      top.next++;
      pending = child.pgid;
    }
  }

  private findLeafElement(key: Buffer): LeafElement | undefined {
    let elements: LeafElement[];
    if (this.root.kind === 'inline') {
      elements = this.root.elements;
    } else {
      let pgid = this.root.pgid;
      for (let steps = 0; ; steps++) {
        if (steps > this.src.pageCount) throw new BoltFormatError(`bucket ${this.path}: lookup descends past the page count`);
        const node = this.src.treeNode(pgid, `bucket ${this.path}`);
        if (node.kind === 'leaf') {
          elements = node.elements;
          break;
        }
        // bbolt cursor.searchPage: the last branch key <= the search key, else the first child.
        let lo = 0;
        let hi = node.elements.length - 1;
        let pick = 0;
        while (lo <= hi) {
          const mid = (lo + hi) >>> 1;
          if (Buffer.compare(node.elements[mid]!.key, key) <= 0) {
            pick = mid;
            lo = mid + 1;
          } else hi = mid - 1;
        }
        pgid = node.elements[pick]!.pgid;
      }
    }
    let lo = 0;
    let hi = elements.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = Buffer.compare(elements[mid]!.key, key);
      if (c === 0) return elements[mid];
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}
