import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../../src/mvcc/keyIndex.js';
import { TreeIndex } from '../../../src/mvcc/treeIndex.js';

const r = (main: number, sub = 0) => ({ main, sub });

function build(): KeyIndex {
  // foo: put@2, put@3, del@5, put@6 (the spec's history for one key)
  const ki = new KeyIndex(Buffer.from('foo'));
  ki.put(r(2));
  ki.put(r(3));
  ki.tombstone(r(5));
  ki.put(r(6));
  return ki;
}

describe('KeyIndex', () => {
  it('get follows generations', () => {
    const ki = build();
    expect(ki.get(1)).toBeNull();
    expect(ki.get(2)).toEqual({ modified: r(2), created: r(2), ver: 1 });
    expect(ki.get(4)).toEqual({ modified: r(3), created: r(2), ver: 2 });
    expect(ki.get(5)).toBeNull();
    expect(ki.get(6)).toEqual({ modified: r(6), created: r(6), ver: 1 });
  });

  it('compact keeps the newest revision <= atRev in the first generation reaching it', () => {
    const ki = build();
    const avail = new Set<string>();
    ki.compact(4, avail);
    expect([...avail]).toEqual(['3_0']);
    expect(ki.generations.map((g) => g.revs.map((x) => x.main))).toEqual([[3, 5], [6]]);
    expect(ki.get(4)).toEqual({ modified: r(3), created: r(2), ver: 2 });
  });

  it('keeps a tombstone at exactly atRev when compacting, but not in keep()', () => {
    const a = build();
    const compactAvail = new Set<string>();
    a.compact(5, compactAvail);
    expect([...compactAvail]).toEqual(['5_0']);
    expect(a.generations.map((g) => g.revs.map((x) => x.main))).toEqual([[5], [6]]);
    const keepAvail = new Set<string>();
    build().keep(5, keepAvail);
    expect([...keepAvail]).toEqual([]);
  });

  it('a key whose generations all ended before atRev becomes empty', () => {
    const ki = new KeyIndex(Buffer.from('x'));
    ki.put(r(2));
    ki.tombstone(r(3));
    const avail = new Set<string>();
    ki.compact(4, avail);
    expect(ki.isEmpty()).toBe(true);
    expect(avail.size).toBe(0);
  });

  it('refuses revisions that go backwards and tombstones without a live generation', () => {
    const ki = new KeyIndex(Buffer.from('x'));
    expect(() => ki.tombstone(r(2))).toThrow();
    ki.put(r(3));
    expect(() => ki.put(r(3))).toThrow();
  });
});

describe('TreeIndex', () => {
  it('behaves as a sorted map under random inserts, deletes and range scans', () => {
    const keyArb = fc.uint8Array({ minLength: 0, maxLength: 4, max: 9 }).map((u) => Buffer.from(u));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), keyArb), { minLength: 500, maxLength: 3000 }),
        keyArb,
        keyArb,
        (ops, from, end) => {
          const t = new TreeIndex<string>();
          const ref = new Map<string, string>();
          for (const [ins, k] of ops) {
            const id = k.toString('hex');
            if (ins) {
              t.set(k, id);
              ref.set(id, id);
            } else {
              expect(t.delete(k)).toBe(ref.delete(id));
            }
          }
          expect(t.size).toBe(ref.size);
          const sorted = [...ref.keys()].map((h) => Buffer.from(h, 'hex')).sort(Buffer.compare);
          expect(t.values()).toEqual(sorted.map((k) => k.toString('hex')));
          const got: string[] = [];
          t.ascend(from, end.length ? end : null, (_k, v) => (got.push(v), true));
          const want = sorted
            .filter((k) => Buffer.compare(k, from) >= 0 && (end.length === 0 || Buffer.compare(k, end) < 0))
            .map((k) => k.toString('hex'));
          expect(got).toEqual(want);
          for (const k of sorted.slice(0, 20)) expect(t.get(k)).toBe(k.toString('hex'));
        },
      ),
      { numRuns: 100 },
    );
  });
});
