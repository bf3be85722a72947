import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Wal, WalClosedError, WalCorruptError, type WalRecord, type WalRepair } from '../../../src/server/wal/index.js';
import { frameBytes } from '../../../src/server/wal/record.js';
import { copyDir, plain, recordFor, removeDir, segmentFiles, tempDirsPerTest } from './helpers.js';

const newDir = tempDirsPerTest();

const SMALL = 8192; // small segments keep the preallocated files (and every copy of them) small

/**
 * Writes `original` damaged into a fresh WAL dir, opens it and checks the cut; with `reuse` also
 * checks that appends land right after the intact records (sampled: each costs real fsyncs).
 */
async function expectRepaired(
  original: Buffer,
  file: string,
  damage: (buf: Buffer) => Buffer,
  intact: WalRecord[],
  cutAt: number,
  clean: boolean,
  opts: { preallocate: boolean; reuse: boolean },
): Promise<WalRepair | null> {
  const copy = await newDir('torn-copy');
  await fs.writeFile(path.join(copy, file), damage(Buffer.from(original)));
  const walOpts = { preallocate: opts.preallocate, segmentBytes: SMALL };
  const opened = await Wal.open(copy, walOpts);
  const repaired = opened.repaired;
  expect(plain(opened.records)).toEqual(plain(intact));
  if (clean) {
    expect(opened.repaired).toBeNull(); // nothing of the record was written: a clean end
  } else {
    expect(opened.repaired).toMatchObject({ segment: file, offset: cutAt });
    expect(opened.repaired!.truncatedBytes).toBeGreaterThan(0);
  }
  if (opts.reuse) {
    await opened.wal.append([recordFor(99)]);
    await opened.wal.close();
    const again = await Wal.open(copy, walOpts);
    expect(again.repaired).toBeNull();
    expect(plain(again.records)).toEqual(plain([...intact, recordFor(99)]));
    await again.wal.close();
  } else {
    await opened.wal.close();
  }
  await removeDir(copy);
  return repaired;
}

async function writeWal(dir: string, records: WalRecord[], opts: { segmentBytes?: number; preallocate?: boolean }, perAppend = 7): Promise<void> {
  const { wal } = await Wal.open(dir, opts);
  for (let i = 0; i < records.length; i += perAppend) await wal.append(records.slice(i, i + perAppend));
  await wal.close();
}

describe.each([true, false])('Wal (preallocate=%s)', (preallocate) => {
  it('round-trips many records across several segments, and keeps appending after reopen', async () => {
    const dir = await newDir('roundtrip');
    const records = Array.from({ length: 600 }, (_, i) => recordFor(i));
    await writeWal(dir, records, { segmentBytes: 4096, preallocate });
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    expect(files[0]).toBe('0000000000000000-0000000000000000.wal');

    const opened = await Wal.open(dir, { segmentBytes: 4096, preallocate });
    expect(opened.repaired).toBeNull();
    expect(opened.firstRecordSeq).toBe(0);
    expect(plain(opened.records)).toEqual(plain(records));
    expect(opened.wal.nextRecordSeq).toBe(600);
    const more = Array.from({ length: 50 }, (_, i) => recordFor(600 + i));
    await opened.wal.append(more);
    await opened.wal.close();

    const again = await Wal.open(dir, { segmentBytes: 4096, preallocate });
    expect(plain(again.records)).toEqual(plain([...records, ...more]));
    await again.wal.close();
  });

  it('cuts a torn tail at every byte offset of the last record; earlier records survive', async () => {
    const dir = await newDir('torn');
    const records = Array.from({ length: 5 }, (_, i) => recordFor(i, 150));
    await writeWal(dir, records, { preallocate, segmentBytes: SMALL }, 1);
    const [file] = await segmentFiles(dir);
    const original = await fs.readFile(path.join(dir, file!));
    const lastStart = frameBytes(150) * 4;
    const lastEnd = frameBytes(150) * 5;
    for (let cut = lastStart; cut < lastEnd; cut++) {
      // A process killed mid-write leaves the file ending inside the frame.
      await expectRepaired(original, file!, (b) => b.subarray(0, cut), records.slice(0, 4), lastStart, cut === lastStart, {
        preallocate,
        reuse: cut % 16 === 1 || cut === lastEnd - 1,
      });
    }
  });

  it('cuts a partially persisted write: zeroed sectors inside or after the last record', async () => {
    const dir = await newDir('torn-sectors');
    const records = [recordFor(0, 700), recordFor(1, 3000)];
    await writeWal(dir, records, { preallocate, segmentBytes: SMALL }, 1);
    const [file] = await segmentFiles(dir);
    const original = await fs.readFile(path.join(dir, file!));
    const lastStart = frameBytes(700);
    const lastEnd = lastStart + frameBytes(3000);
    // After a power loss, sectors of an unsynced write read as zeros (preallocated or never written):
    // either everything from some sector on, or a hole with later sectors of the write present.
    for (let sector = Math.ceil(lastStart / 512) * 512; sector < lastEnd; sector += 512) {
      const opts = { preallocate, reuse: true };
      await expectRepaired(original, file!, (b) => b.fill(0, sector), records.slice(0, 1), lastStart, false, opts);
      await expectRepaired(original, file!, (b) => b.fill(0, sector, Math.min(b.length, sector + 512)), records.slice(0, 1), lastStart, false, opts);
    }
  });

  it('cuts a torn multi-megabyte record of random bytes (arbitrary data must not look like damage)', async () => {
    const dir = await newDir('torn-big');
    const bigData = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < bigData.length; i += 65536) crypto.getRandomValues(bigData.subarray(i, i + 65536));
    const records = [recordFor(0, 100), { type: 7, data: bigData }];
    await writeWal(dir, records, { preallocate, segmentBytes: SMALL }, 1);
    const [file] = await segmentFiles(dir);
    const original = await fs.readFile(path.join(dir, file!));
    const lastStart = frameBytes(100);
    const opts = { preallocate, reuse: true };
    const t0 = Date.now();
    // Killed mid-write (short file), and power loss (zeros from a page on).
    const short = await expectRepaired(original, file!, (b) => b.subarray(0, lastStart + 3_000_001), records.slice(0, 1), lastStart, false, opts);
    const zeroed = await expectRepaired(original, file!, (b) => b.fill(0, 2 * 1024 * 1024), records.slice(0, 1), lastStart, false, opts);
    console.log(`torn 4 MiB random record: ${Date.now() - t0} ms for both; "${short!.reason}"; "${zeroed!.reason}"`);
  });

  it('a flipped bit in a segment that is not the last is a clear error', async () => {
    const dir = await newDir('bitflip');
    const records = Array.from({ length: 300 }, (_, i) => recordFor(i));
    await writeWal(dir, records, { segmentBytes: 4096, preallocate });
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    const victim = path.join(dir, files[2]!);
    const buf = await fs.readFile(victim);
    buf[100]! ^= 0x10;
    await fs.writeFile(victim, buf);
    const err = await Wal.open(dir, { segmentBytes: 4096, preallocate }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptError);
    expect((err as WalCorruptError).file).toBe(files[2]);
    expect((err as Error).message).toMatch(/not the last one/);
  });

  it('a flipped bit in the last segment, with intact records after it, is an error, not a torn tail', async () => {
    const dir = await newDir('bitflip-last');
    const records = Array.from({ length: 10 }, (_, i) => recordFor(i, 40));
    await writeWal(dir, records, { preallocate });
    const [file] = await segmentFiles(dir);
    const buf = await fs.readFile(path.join(dir, file!));
    buf[frameBytes(40) * 3 + 20]! ^= 0x01;
    await fs.writeFile(path.join(dir, file!), buf);
    await expect(Wal.open(dir, { preallocate })).rejects.toThrow(/CRC mismatch.*followed by an intact record/);
  });

  it('a flipped bit in the final record, with no sign of a torn write, is an error', async () => {
    const dir = await newDir('bitflip-final');
    const records = Array.from({ length: 3 }, (_, i) => recordFor(i, 40));
    await writeWal(dir, records, { preallocate });
    const [file] = await segmentFiles(dir);
    const buf = await fs.readFile(path.join(dir, file!));
    buf[frameBytes(40) * 2 + 30]! ^= 0x80;
    await fs.writeFile(path.join(dir, file!), buf);
    await expect(Wal.open(dir, { preallocate })).rejects.toThrow(/final record, with no sign of a torn write/);
  });
});

describe('Wal', () => {
  it('coalesces 1000 concurrent appends into few fsyncs, resolving in order', async () => {
    const dir = await newDir('group');
    const fsyncs: number[] = [];
    const { wal } = await Wal.open(dir, { onFsync: (s) => fsyncs.push(s) });
    const resolved: number[] = [];
    const first = Array.from({ length: 500 }, (_, i) => wal.append([recordFor(i)]).then(() => resolved.push(i)));
    // The second half arrives while the first batch is being written and synced.
    await new Promise((r) => setImmediate(r));
    const second = Array.from({ length: 500 }, (_, k) => wal.append([recordFor(500 + k)]).then(() => resolved.push(500 + k)));
    await Promise.all([...first, ...second]);
    expect(resolved).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(fsyncs.length).toBeGreaterThanOrEqual(1);
    expect(fsyncs.length).toBeLessThanOrEqual(10);
    for (const s of fsyncs) expect(s).toBeGreaterThanOrEqual(0);
    await wal.close();

    const opened = await Wal.open(dir);
    expect(plain(opened.records)).toEqual(plain(Array.from({ length: 1000 }, (_, i) => recordFor(i))));
    await opened.wal.close();
  });

  it('cut() starts a segment and releaseBefore() deletes older ones; reopen starts at the kept records', async () => {
    const dir = await newDir('release');
    const { wal } = await Wal.open(dir);
    await wal.append(Array.from({ length: 10 }, (_, i) => recordFor(i)));
    expect(await wal.cut()).toBe(1);
    await wal.append(Array.from({ length: 5 }, (_, i) => recordFor(10 + i)));
    const seq2 = await wal.cut();
    expect(seq2).toBe(2);
    await wal.append([recordFor(15)]);
    expect(wal.segments().map((s) => [s.seq, s.firstRecordSeq])).toEqual([[0, 0], [1, 10], [2, 15]]);
    await expect(wal.releaseBefore(3)).rejects.toThrow(RangeError);
    expect(await wal.releaseBefore(1)).toBe(1);
    expect(await segmentFiles(dir)).toEqual(['0000000000000001-000000000000000a.wal', '0000000000000002-000000000000000f.wal']);
    await wal.close();

    const opened = await Wal.open(dir);
    expect(opened.firstRecordSeq).toBe(10);
    expect(plain(opened.records)).toEqual(plain(Array.from({ length: 6 }, (_, i) => recordFor(10 + i))));
    expect(opened.wal.nextRecordSeq).toBe(16);
    await opened.wal.close();
  });

  it('refuses a WAL with a missing segment or missing records between segments', async () => {
    const dir = await newDir('gap');
    await writeWal(dir, Array.from({ length: 300 }, (_, i) => recordFor(i)), { segmentBytes: 4096 });
    const files = await segmentFiles(dir);
    const gapDir = await newDir('gap-copy');
    await copyDir(dir, gapDir);
    await fs.unlink(path.join(gapDir, files[1]!));
    await expect(Wal.open(gapDir)).rejects.toThrow(/a segment is missing/);

    // A middle segment that lost its last record (a clean-looking end) is caught by the next name.
    const victim = path.join(dir, files[1]!);
    const buf = await fs.readFile(victim);
    const scan = (await import('../../../src/server/wal/segment-scan.js')).scanSegment(buf, files[1]!, false);
    const lastLen = scan.records[scan.records.length - 1]!.data.length;
    await fs.truncate(victim, buf.length - frameBytes(lastLen));
    await expect(Wal.open(dir)).rejects.toThrow(/should start at record/);
  });

  it('removes a leftover temporary segment from an interrupted cut', async () => {
    const dir = await newDir('tmp');
    await writeWal(dir, [recordFor(0)], {});
    await fs.writeFile(path.join(dir, '0000000000000001-0000000000000001.wal.tmp'), new Uint8Array(64));
    const opened = await Wal.open(dir);
    expect(plain(opened.records)).toEqual(plain([recordFor(0)]));
    expect(await fs.readdir(dir)).toEqual(['0000000000000000-0000000000000000.wal']);
    await opened.wal.close();
  });

  it('rejects invalid records and appends after close, and an empty append resolves', async () => {
    const dir = await newDir('misc');
    const { wal } = await Wal.open(dir);
    await expect(wal.append([{ type: 0, data: new Uint8Array(1) }])).rejects.toThrow(RangeError);
    await wal.append([]);
    expect(wal.nextRecordSeq).toBe(0);
    const pending = [wal.append([recordFor(0), recordFor(1)]), wal.append([recordFor(2)])];
    expect(wal.nextRecordSeq).toBe(3); // assigned at call time, before the batch is durable
    const closing = wal.close(); // queued appends still complete
    await Promise.all(pending);
    await closing;
    await wal.close();
    await expect(wal.append([recordFor(3)])).rejects.toBeInstanceOf(WalClosedError);
    await expect(wal.cut()).rejects.toBeInstanceOf(WalClosedError);
    await expect(wal.releaseBefore(0)).rejects.toBeInstanceOf(WalClosedError);
    const opened = await Wal.open(dir);
    expect(plain(opened.records)).toEqual(plain([recordFor(0), recordFor(1), recordFor(2)]));
    await opened.wal.close();
  });
});
