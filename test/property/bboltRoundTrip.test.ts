// read(write(x)) = x for random buckets, keys and values of every size, on 4, 16 and 64 KiB pages.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openBolt, writeBolt, type BoltEntries } from '../../src/snapshot/bbolt/index.js';
import { snapshotStatus } from '../../src/snapshot/status.js';

type Entry = [Buffer, Buffer];

/** A buffer of `n` bytes with a cheap pattern: fast-check does not need to draw 100 KB one byte at a time. */
function filled(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 31) & 0xff;
  return b;
}

const keyArb = fc.oneof(
  { weight: 10, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 25, max: 9000 }), fc.nat(255)).map(([n, s]) => filled(n, s)) },
);

const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 10, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 301, max: 150_000 }), fc.nat(255)).map(([n, s]) => filled(n, s)) },
);

const randomEntries = fc.uniqueArray(fc.tuple(keyArb, valueArb), {
  maxLength: 120,
  selector: ([k]) => k.toString('hex'),
});

/** Many small keys: enough leaves to need one or more branch levels. */
const bulkEntries = fc
  .tuple(fc.integer({ min: 200, max: 6000 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 64 }), fc.nat(255))
  .map(([count, valueLen, keyPad, seed]) => {
    const out: Entry[] = [];
    for (let i = 0; i < count; i++) {
      out.push([Buffer.from(`k${String(i).padStart(7, '0')}${'p'.repeat(keyPad)}`), filled((valueLen + i) % 130, seed + i)]);
    }
    return out;
  });

const bucketArb = fc.oneof({ weight: 4, arbitrary: randomEntries }, { weight: 1, arbitrary: bulkEntries });

const nameArb = fc.oneof(
  fc.constantFrom('meta', 'lease', 'auth', 'members_removed'),
  fc.string({ minLength: 1, maxLength: 16, unit: 'grapheme' }).filter((n) => n !== 'key'),
);

const inputArb = fc.record({
  buckets: fc.uniqueArray(fc.tuple(nameArb, bucketArb), {
    maxLength: 8,
    selector: ([name]) => Buffer.from(name, 'utf8').toString('hex'),
  }),
  freelist: fc.boolean(),
  inlineBuckets: fc.boolean(),
});

function sortEntries(entries: Entry[]): Entry[] {
  return [...entries].sort((a, b) => Buffer.compare(a[0], b[0]));
}

type RoundTripInput = typeof inputArb extends fc.Arbitrary<infer T> ? T : never;

function roundTrip(pageSize: number, input: RoundTripInput): void {
  const buckets = new Map<string, BoltEntries>(input.buckets.map(([name, entries]) => [name, sortEntries(entries)]));
  const image = writeBolt({ pageSize, buckets, freelist: input.freelist, inlineBuckets: input.inlineBuckets });
  expect(image.length % pageSize).toBe(0);
  const db = openBolt(image);
  expect(db.pageSize).toBe(pageSize);
  expect(db.size).toBe(image.length);
  expect(db.hasFreelist).toBe(input.freelist);
  const names = [...buckets.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  expect(db.buckets()).toEqual(names);
  for (const [name, entries] of buckets) {
    const b = db.bucket(name);
    expect(b, name).toBeDefined();
    expect(b!.count).toBe(entries.length);
    const want = entries as Entry[];
    const got = [...b!.entries()];
    expect(got.length).toBe(want.length);
    // Plain loops, one expect each: per-entry expects dominate the run time with thousands of keys.
    const firstMismatch = want.findIndex(([k, v], i) => !got[i]![0].equals(k) || !got[i]![1].equals(v));
    expect(firstMismatch).toBe(-1);
    const failedLookup = want.findIndex(([k, v]) => b!.get(k)?.equals(v) !== true);
    expect(failedLookup).toBe(-1);
    const absent = Buffer.concat([want[0]?.[0] ?? Buffer.from('x'), Buffer.from([0])]);
    if (!want.some(([k]) => k.equals(absent))) expect(b!.get(absent)).toBeUndefined();
  }
  // status walks and hashes everything (no bucket is named "key", whose keys status parses as revisions).
  expect(snapshotStatus(image).totalSize).toBe(image.length);
}

describe('bbolt read(write(x)) = x', () => {
  for (const [pageSize, numRuns] of [
    [4096, 200],
    [16384, 120],
    [65536, 80],
  ] as const) {
    it(`round-trips random buckets with ${pageSize}-byte pages`, () => {
      fc.assert(
        fc.property(inputArb, (input) => roundTrip(pageSize, input)),
        { numRuns },
      );
    });
  }
});
