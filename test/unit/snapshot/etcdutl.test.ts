// Real bbolt (inside etcdutl) judges the files our writer makes: `snapshot status` runs tx.Check, and
// `snapshot restore` rewrites the file with bbolt, which our reader must then read back.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBolt, writeBolt, type BoltEntries } from '../../../src/snapshot/bbolt/index.js';
import { withExtraPages } from './imageSurgery.js';
import { snapshotStatus } from '../../../src/snapshot/status.js';
import { appendSha256 } from '../../../src/snapshot/stream.js';
import { referenceBinary } from '../../support/referencePaths.js';
import { removeTempDirs, tempDir } from '../../support/tempDirs.js';
import { etcdImage } from './etcdImages.js';
import { FIXTURE_DIR, FIXTURE_STATUS } from './fixture.js';

const etcdutl = referenceBinary('etcdutl');
const describeEtcdutl = etcdutl === null ? describe.skip : describe;

function etcdutlRun(args: string[]): string {
  if (etcdutl === null) throw new Error('invariant: etcdutl checked before use');
  return execFileSync(etcdutl, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function etcdutlStatus(file: string): unknown {
  return JSON.parse(etcdutlRun(['snapshot', 'status', '-w', 'json', file]));
}

const CASES = [
  { pageSize: 4096, keys: 1500, bigValueBytes: 300_000, freelist: false, inlineBuckets: true },
  { pageSize: 4096, keys: 40, bigValueBytes: 9_000, freelist: true, inlineBuckets: true },
  { pageSize: 4096, keys: 200, bigValueBytes: 5_000, freelist: true, inlineBuckets: false },
  { pageSize: 16384, keys: 3000, bigValueBytes: 100_000, freelist: true, inlineBuckets: true },
  { pageSize: 65536, keys: 5000, bigValueBytes: 200_000, freelist: false, inlineBuckets: true },
  { pageSize: 65536, keys: 3, bigValueBytes: 10, freelist: true, inlineBuckets: true },
];

describeEtcdutl(`etcdutl (${etcdutl ?? 'missing'}) accepts what writeBolt writes`, () => {
  afterAll(() => removeTempDirs(false));

  it('agrees with our status figures for the real etcd fixture', () => {
    expect(etcdutlStatus(path.join(FIXTURE_DIR, 'snapshot.db'))).toEqual(FIXTURE_STATUS);
  });

  for (const c of CASES) {
    it(`passes tx.Check and gives our status: ${JSON.stringify(c)}`, () => {
      const dir = tempDir('bbolt-status');
      const file = path.join(dir, 'snap.db');
      const image = appendSha256(etcdImage(c));
      writeFileSync(file, image);
      expect(etcdutlStatus(file)).toEqual(snapshotStatus(image));
    });
  }

  for (const c of [CASES[0]!, CASES[3]!, CASES[4]!]) {
    it(`restores our ${c.pageSize}-byte-page file; the db real bbolt rewrote reads back with the same key bucket`, () => {
      const dir = tempDir('bbolt-restore');
      const file = path.join(dir, 'snap.db');
      const image = etcdImage(c);
      writeFileSync(file, appendSha256(image));
      const dataDir = path.join(dir, 'restored.etcd');
      etcdutlRun(['snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'n1',
        '--initial-cluster', 'n1=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380']);
      const restoredImage = readFileSync(path.join(dataDir, 'member', 'snap', 'db'));
      const restored = openBolt(restoredImage);
      // bbolt keeps the page size it finds in the file, and commits new pages for what restore changed.
      expect(restored.pageSize).toBe(c.pageSize);
      expect(restored.txid).toBeGreaterThan(openBolt(image).txid);
      const ours = openBolt(image);
      const theirs = [...restored.bucket('key')!.entries()];
      const mine = [...ours.bucket('key')!.entries()];
      expect(theirs.length).toBe(mine.length);
      expect(mine.findIndex(([k, v], i) => !theirs[i]![0].equals(k) || !theirs[i]![1].equals(v))).toBe(-1);
      expect(restored.bucket('meta')!.get('term')?.readBigUInt64BE(0)).toBe(1n);
      expect(restored.bucket('members')!.count).toBe(1);
      expect(snapshotStatus(restoredImage)).toEqual(etcdutlStatus(path.join(dataDir, 'member', 'snap', 'db')));
    });
  }
});

describeEtcdutl('etcdutl and openBolt reject the same broken files', () => {
  afterAll(() => removeTempDirs(false));

  it('an orphan page with a synced freelist: "unreachable unfreed" from both', () => {
    const image = etcdImage({ pageSize: 4096, keys: 50, bigValueBytes: 100, freelist: true, inlineBuckets: true });
    const grown = withExtraPages(image, 4096, 1);
    const dir = tempDir('bbolt-orphan');
    const file = path.join(dir, 'snap.db');
    writeFileSync(file, appendSha256(grown));
    const pages = image.length / 4096;
    expect(() => etcdutlRun(['snapshot', 'status', '-w', 'json', file])).toThrow(
      new RegExp(`integrity check failed[\\s\\S]*page ${pages}: unreachable unfreed`),
    );
    expect(() => snapshotStatus(grown)).toThrow(`page ${pages}: unreachable unfreed`);
  });

  it('the same orphan page without a freelist is fine for both (bbolt counts it free)', () => {
    const image = etcdImage({ pageSize: 4096, keys: 50, bigValueBytes: 100, freelist: false, inlineBuckets: true });
    const grown = withExtraPages(image, 4096, 1);
    const dir = tempDir('bbolt-orphan-nofl');
    const file = path.join(dir, 'snap.db');
    writeFileSync(file, appendSha256(grown));
    const theirs = etcdutlStatus(file);
    expect(theirs).toEqual(snapshotStatus(grown));
    expect((theirs as { totalSize: number }).totalSize).toBe(image.length + 4096);
  });
});

/** A small deterministic PRNG (mulberry32) so the generic images are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function genericImage(seed: number, pageSize: number, freelist: boolean): Buffer {
  const rnd = prng(seed);
  const size = (max: number): number => Math.floor(rnd() * rnd() * rnd() * max);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  const entries = (n: number): BoltEntries => {
    const byKey = new Map<string, [Buffer, Buffer]>();
    for (let i = 0; i < n; i++) {
      const k = bytes(1 + size(12_000));
      byKey.set(k.toString('hex'), [k, bytes(size(200_000))]);
    }
    return [...byKey.values()].sort((x, y) => Buffer.compare(x[0], y[0]));
  };
  const buckets = new Map<string, BoltEntries>();
  for (let i = 0; i < 1 + size(12); i++) buckets.set(`bucket-${i}`, entries(size(400)));
  const nestedChildren = entries(30);
  buckets.set('with-nested', [
    [Buffer.from('a'), Buffer.from('plain')],
    [Buffer.from('n1'), { nested: nestedChildren }],
    [Buffer.from('n2'), { nested: [[Buffer.from('n3'), { nested: entries(300) }]] }],
  ]);
  return writeBolt({ pageSize, buckets, freelist });
}

describeEtcdutl('etcdutl accepts generic bbolt files (huge keys and values, nested buckets)', () => {
  afterAll(() => removeTempDirs(false));
  for (const [seed, pageSize, freelist] of [
    [1, 4096, true],
    [2, 4096, false],
    [3, 16384, true],
    [4, 65536, true],
    [5, 65536, false],
  ] as const) {
    it(`seed ${seed}, ${pageSize}-byte pages, freelist ${freelist}`, () => {
      const image = genericImage(seed, pageSize, freelist);
      const dir = tempDir('bbolt-generic');
      const file = path.join(dir, 'snap.db');
      writeFileSync(file, appendSha256(image));
      expect(etcdutlStatus(file)).toEqual(snapshotStatus(image));
    });
  }
});
