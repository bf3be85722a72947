// An ordered map from key bytes to values, in Buffer byte order. It is a two-level B-tree: sorted
// leaves of bounded size, found by binary search over their first keys. Lookups are O(log n);
// inserts and deletes touch one leaf (plus the leaf list on a split or when a leaf empties).

const MAX_LEAF = 256;

interface Leaf<V> {
  keys: Buffer[];
  values: V[];
}

export class TreeIndex<V> {
  private leaves: Leaf<V>[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Index of the leaf that would hold `key`: the last leaf whose first key <= key (or 0). */
  private leafFor(key: Buffer): number {
    let lo = 0;
    let hi = this.leaves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (Buffer.compare(this.leaves[mid]!.keys[0]!, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** First position in leaf with keys[pos] >= key. */
  private static lowerBound(keys: Buffer[], key: Buffer): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Fills an empty tree from keys already in strictly ascending order, in O(n): rebuilding the key
   * index at start this way avoids a binary search and an array splice per key. Leaves are left a
   * quarter empty so the first inserts after start do not split every one of them.
   */
  loadSorted(keys: Buffer[], values: V[]): void {
    if (this.count !== 0) throw new Error('treeIndex: loadSorted on a non-empty tree');
    if (keys.length !== values.length) throw new Error(`treeIndex: ${keys.length} keys but ${values.length} values`);
    for (let i = 1; i < keys.length; i++) {
      if (Buffer.compare(keys[i - 1]!, keys[i]!) >= 0) throw new Error('treeIndex: loadSorted keys are not strictly ascending');
    }
    const per = (MAX_LEAF * 3) >>> 2;
    for (let i = 0; i < keys.length; i += per) {
      this.leaves.push({ keys: keys.slice(i, i + per), values: values.slice(i, i + per) });
    }
    this.count = keys.length;
  }

  get(key: Buffer): V | undefined {
    if (this.leaves.length === 0) return undefined;
    const leaf = this.leaves[this.leafFor(key)]!;
    const pos = TreeIndex.lowerBound(leaf.keys, key);
    return pos < leaf.keys.length && leaf.keys[pos]!.equals(key) ? leaf.values[pos] : undefined;
  }

  set(key: Buffer, value: V): void {
    if (this.leaves.length === 0) {
      this.leaves.push({ keys: [key], values: [value] });
      this.count = 1;
      return;
    }
    const li = this.leafFor(key);
    const leaf = this.leaves[li]!;
    const pos = TreeIndex.lowerBound(leaf.keys, key);
    if (pos < leaf.keys.length && leaf.keys[pos]!.equals(key)) {
      leaf.values[pos] = value;
      return;
    }
    leaf.keys.splice(pos, 0, key);
    leaf.values.splice(pos, 0, value);
    this.count++;
    if (leaf.keys.length > MAX_LEAF) {
      const half = leaf.keys.length >>> 1;
      const right: Leaf<V> = { keys: leaf.keys.splice(half), values: leaf.values.splice(half) };
      this.leaves.splice(li + 1, 0, right);
    }
  }

  delete(key: Buffer): boolean {
    if (this.leaves.length === 0) return false;
    const li = this.leafFor(key);
    const leaf = this.leaves[li]!;
    const pos = TreeIndex.lowerBound(leaf.keys, key);
    if (pos >= leaf.keys.length || !leaf.keys[pos]!.equals(key)) return false;
    leaf.keys.splice(pos, 1);
    leaf.values.splice(pos, 1);
    this.count--;
    if (leaf.keys.length === 0) this.leaves.splice(li, 1);
    return true;
  }

  /**
   * Visit entries with from <= key < end in ascending order (end null: no upper bound) until `fn`
   * returns false. The tree must not be modified during the visit.
   */
  ascend(from: Buffer, end: Buffer | null, fn: (key: Buffer, value: V) => boolean): void {
    if (this.leaves.length === 0) return;
    let li = this.leafFor(from);
    let pos = TreeIndex.lowerBound(this.leaves[li]!.keys, from);
    for (; li < this.leaves.length; li++, pos = 0) {
      const leaf = this.leaves[li]!;
      for (; pos < leaf.keys.length; pos++) {
        const k = leaf.keys[pos]!;
        if (end !== null && Buffer.compare(k, end) >= 0) return;
        if (!fn(k, leaf.values[pos]!)) return;
      }
    }
  }

  /** All values in order (a copy, safe to modify the tree while walking it). */
  values(): V[] {
    const out: V[] = [];
    for (const leaf of this.leaves) out.push(...leaf.values);
    return out;
  }
}
