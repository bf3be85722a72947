import { describe, expect, it } from 'vitest';
import { TreeIndex } from '../../../src/mvcc/treeIndex.js';

const key = (n: number) => Buffer.from(n.toString().padStart(6, '0'));

describe('TreeIndex.loadSorted (the key index rebuilt at start)', () => {
  it('holds what one-by-one inserts would, and keeps working for inserts and deletes after', () => {
    const n = 1000;
    const loaded = new TreeIndex<number>();
    loaded.loadSorted(
      Array.from({ length: n }, (_, i) => key(i * 2)),
      Array.from({ length: n }, (_, i) => i * 2),
    );
    expect(loaded.size).toBe(n);
    for (let i = 0; i < n; i++) expect(loaded.get(key(i * 2))).toBe(i * 2);
    expect(loaded.get(key(1))).toBeUndefined();
    for (let i = 0; i < n; i++) loaded.set(key(i * 2 + 1), i * 2 + 1);
    expect(loaded.delete(key(0))).toBe(true);
    const seen: number[] = [];
    loaded.ascend(Buffer.alloc(0), null, (_k, v) => (seen.push(v), true));
    expect(seen).toEqual(Array.from({ length: 2 * n - 1 }, (_, i) => i + 1));
  });

  it('refuses keys out of order and a tree that is not empty', () => {
    expect(() => new TreeIndex<number>().loadSorted([key(2), key(1)], [2, 1])).toThrow(/ascending/);
    expect(() => new TreeIndex<number>().loadSorted([key(1), key(1)], [1, 1])).toThrow(/ascending/);
    const t = new TreeIndex<number>();
    t.set(key(1), 1);
    expect(() => t.loadSorted([key(2)], [2])).toThrow(/non-empty/);
  });
});
