// Random damage never crashes the reader: it either reads a (possibly different) tree to the end or
// throws BoltFormatError. No RangeError, no hang, no stack overflow.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoltFormatError, openBolt, writeBolt, type BoltEntries } from '../../src/snapshot/bbolt/index.js';

const fixture = readFileSync('/work/shared/fixtures/etcd-3.4.23/snapshot.db');

function readEverything(image: Buffer): 'ok' | 'rejected' {
  try {
    const db = openBolt(image);
    let n = 0;
    for (const name of db.buckets()) {
      const b = db.bucket(name)!;
      for (const [k] of b.entries()) {
        if (n++ % 50 === 0) b.get(k);
      }
      void b.count;
    }
    return 'ok';
  } catch (e) {
    if (e instanceof BoltFormatError) return 'rejected';
    throw e;
  }
}

/** Damage: each is (page, offset within the first 128 bytes, xor mask); the front of a page holds the header and elements. */
function damageArb(pages: number) {
  return fc.array(fc.tuple(fc.nat(pages - 1), fc.nat(127), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 });
}

function damaged(image: Buffer, pageSize: number, damage: [number, number, number][]): Buffer {
  const b = Buffer.from(image);
  for (const [page, off, mask] of damage) b[page * pageSize + off]! ^= mask;
  return b;
}

describe('bbolt reader under random damage', () => {
  it('the real etcd snapshot with flipped header/element bytes', () => {
    const pages = Math.floor(fixture.length / 4096);
    const seen = { ok: 0, rejected: 0 };
    fc.assert(
      fc.property(damageArb(pages), (damage) => {
        seen[readEverything(damaged(fixture, 4096, damage))]++;
      }),
      { numRuns: 300 },
    );
    // Most flips land in stale pages the tree never reaches; some must hit live structure.
    expect(seen.rejected).toBeGreaterThan(0);
  });

  it('written images (inline, nested, branch and overflow pages) with flipped bytes', () => {
    const entries = (n: number, vlen: number): [Buffer, Buffer][] =>
      Array.from({ length: n }, (_, i) => [Buffer.from(`key-${String(i).padStart(5, '0')}`), Buffer.alloc((vlen * (i + 1)) % 9000, i)]);
    const image = writeBolt({
      pageSize: 4096,
      freelist: true,
      buckets: new Map<string, BoltEntries>([
        ['big', entries(400, 37)],
        ['small', entries(3, 5)],
        ['nest', [[Buffer.from('child'), { nested: entries(50, 11) }]]],
      ]),
    });
    expect(readEverything(image)).toBe('ok');
    const pages = image.length / 4096;
    fc.assert(
      fc.property(damageArb(pages), fc.nat(image.length - 1), (damage, cut) => {
        readEverything(damaged(image, 4096, damage));
        readEverything(image.subarray(0, cut));
      }),
      { numRuns: 300 },
    );
  });
});
