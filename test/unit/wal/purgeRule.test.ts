// The WAL purge rule (src/server/log/walRetention.ts): which segments may go after a snapshot marker,
// checked on real segment files: after purging what the rule allows, a reopen still replays the log
// the store needs; purging one segment more would lose the hard state or entries above the marker.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EntryType, type Entry, type HardState } from '../../../src/raft/index.js';
import { entryRecord, hardStateRecord, replayRecords, snapshotRecord } from '../../../src/server/log/entryRecord.js';
import { purgeableSegments, WalPositions } from '../../../src/server/log/walRetention.js';
import { Wal, type SegmentInfo } from '../../../src/server/wal/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const seg = (seq: number, firstRecordSeq: number): SegmentInfo => ({ seq, firstRecordSeq, path: `/wal/${seq}` });
const entry = (index: number, term = 1): Entry => ({ index, term, type: EntryType.EntryNormal, data: Buffer.alloc(100, index & 0xff) });

describe('purgeableSegments (etcd: beyond --max-wals, oldest first, never one still needed)', () => {
  const segments = [seg(0, 0), seg(1, 10), seg(2, 20), seg(3, 30), seg(4, 40)];

  it('keeps everything with --max-wals 0, and while there are no more than --max-wals files', () => {
    expect(purgeableSegments(segments, 1000, 0)).toEqual([]);
    expect(purgeableSegments(segments, 1000, 5)).toEqual([]);
  });

  it('deletes down to --max-wals files, oldest first, but never the active one', () => {
    expect(purgeableSegments(segments, 1000, 2).map((s) => s.seq)).toEqual([0, 1, 2]);
    expect(purgeableSegments(segments, 1000, 1).map((s) => s.seq)).toEqual([0, 1, 2, 3]);
  });

  it('stops at the first segment holding a record a restart needs', () => {
    // Record 25 is in segment 2: segments 0 and 1 end before it.
    expect(purgeableSegments(segments, 25, 1).map((s) => s.seq)).toEqual([0, 1]);
    // Record 20 is segment 2's first: segment 1 ends exactly before it.
    expect(purgeableSegments(segments, 20, 1).map((s) => s.seq)).toEqual([0, 1]);
    expect(purgeableSegments(segments, 9, 1)).toEqual([]);
  });
});

describe('WalPositions.keepFrom', () => {
  it('is the oldest of: the marker, the newest write of the entry after it, the newest durable hard state', () => {
    const p = new WalPositions();
    p.noteEntries(1, 0, 10); // entries 1..10 at records 0..9
    p.noteDurableHardState(10);
    expect(p.keepFrom(5, 20)).toBe(5); // entry 6 at record 5
    p.noteEntries(6, 11, 5); // a new leader rewrote 6..10 at records 11..15
    expect(p.keepFrom(5, 20)).toBe(10); // now the hard state at 10 is the oldest needed
    p.noteDurableHardState(16);
    expect(p.keepFrom(5, 20)).toBe(11);
    expect(p.keepFrom(10, 20)).toBe(16); // no entry 11 yet: the hard state, then the marker
    p.forgetThrough(10);
    expect(p.keepFrom(10, 12)).toBe(12);
  });

  it('forgets through a snapshot far beyond the tracked entries without walking the gap', () => {
    const p = new WalPositions();
    p.noteEntries(1, 0, 3);
    p.noteEntries(5_000_000_000, 10, 1);
    p.forgetThrough(4_000_000_000);
    expect(p.keepFrom(4_999_999_999, 100)).toBe(10);
  });
});

describe('purging real segments by the rule', () => {
  it('leaves a WAL that replays the log above the marker with the newest hard state; one segment more would not', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-purge-rule-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { wal } = await Wal.open(dir, { segmentBytes: 1024, preallocate: false });
    cleanups.push(() => wal.close());
    const positions = new WalPositions();
    let hardState: HardState = { term: 1, vote: 1n, commit: 0 };
    const append = async (entries: Entry[], hs: HardState | null) => {
      const first = wal.nextRecordSeq;
      if (entries.length > 0) positions.noteEntries(entries[0]!.index, first, entries.length);
      await wal.append([...entries.map(entryRecord), ...(hs ? [hardStateRecord(hs)] : [])]);
      if (hs) positions.noteDurableHardState(first + entries.length);
    };
    // 1..40 at term 1, then a new leader (term 2) rewrites 36..50: a hard state only at the start.
    for (let i = 1; i <= 40; i += 5) {
      hardState = { ...hardState, commit: Math.min(i + 4, 35) };
      await append([1, 2, 3, 4, 5].map((k) => entry(i + k - 1)), hardState);
    }
    hardState = { term: 2, vote: 2n, commit: 35 };
    await append([], hardState);
    for (let i = 36; i <= 50; i += 5) await append([0, 1, 2, 3, 4].map((k) => entry(i + k, 2)), null);
    // The store applied 35; the marker is written after entries up to 50 already were.
    const markerSeq = wal.nextRecordSeq;
    await wal.append([snapshotRecord({ index: 35, term: 1, confState: { voters: [1n], learners: [] } })]);
    await wal.append([entryRecord(entry(51, 2))]);
    positions.noteEntries(51, markerSeq + 1, 1);
    const keepFrom = positions.keepFrom(35, markerSeq);
    expect(keepFrom).toBeLessThan(markerSeq); // the entries after 35 and the term-2 hard state came first

    const all = wal.segments();
    expect(all.length).toBeGreaterThan(4);
    const victims = purgeableSegments(all, keepFrom, 1);
    expect(victims.length).toBeGreaterThan(0);
    const next = all[victims.length]!;
    expect(await wal.releaseBefore(next.seq)).toBe(victims.length);
    await wal.close();

    const reopened = await Wal.open(dir, { segmentBytes: 1024, preallocate: false });
    cleanups.push(() => reopened.wal.close());
    const log = replayRecords(reopened.records, 35, reopened.firstRecordSeq);
    expect(log.snapshot?.index).toBe(35);
    expect(log.entries.map((e) => e.index)).toEqual(Array.from({ length: 16 }, (_, i) => 36 + i));
    expect(log.entries.every((e) => e.term === 2)).toBe(true);
    expect(log.hardState).toEqual(hardState);

    // The segment the rule kept first really is needed: without it, replay loses what it held.
    const secondStart = reopened.wal.segments()[1]!.firstRecordSeq;
    const withoutIt = reopened.records.slice(secondStart - reopened.firstRecordSeq);
    const lost = (() => {
      try {
        const r = replayRecords(withoutIt, 35, secondStart);
        return r.hardState?.term !== 2 || r.entries[0]?.index !== 36;
      } catch {
        return true; // "the log resumes at index ...": entries above the marker are missing
      }
    })();
    expect(lost).toBe(true);
  });
});
