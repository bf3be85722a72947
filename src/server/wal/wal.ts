// The write-ahead log: an append-only sequence of typed records in segment files, made durable in
// batches (group commit: one write + one fdatasync for every append() that arrived while the
// previous batch was being synced).
//
// Record seqs number every record ever appended, from 0; a segment's name carries the seq of its
// first record, which lets open() prove no records are missing between segments.

import fsSync, { promises as fs } from 'node:fs';
import path from 'node:path';
import { fdatasync, fsyncDir, readWholeSync, writeFullySync } from './durable-fs.js';
import { InlineSyncGate } from './inlineSyncGate.js';
import { failpoint, failpointsSet } from '../failpoints.js';
import { WalClosedError, WalCorruptError, WalFailedError } from './errors.js';
import { encodeRecords, RECORD_ALIGN, type WalRecord } from './record.js';
import { scanSegment } from './segment-scan.js';
import { formatSegmentName, parseSegmentName, TMP_SUFFIX } from './segment-name.js';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface WalOptions {
  /** A segment is cut once it holds at least this many bytes (default 64 MiB, etcd's). */
  segmentBytes?: number;
  /**
   * Extend each new segment to `segmentBytes` up front (a sparse extension, cheap), so appends do
   * not grow the file size and fdatasync need not persist a new size each time. Default true.
   */
  preallocate?: boolean;
  /** Called with the duration of every batch's fdatasync, for etcd_disk_wal_fsync_duration_seconds. */
  onFsync?: (seconds: number) => void;
  /** Syncs go back to the thread pool while their moving average is above this (inlineSyncGate.ts). */
  inlineSyncBudgetMs?: number;
}

export interface AppendOptions {
  /** false: resolve once written, without fdatasync. Default true. */
  sync?: boolean;
  /**
   * fdatasync on the event loop while syncs are fast (a follower's writes, whose acknowledgement waits
   * for nothing else). The whole batch syncs inline only if every append in it asks to.
   */
  inlineSync?: boolean;
}

export interface SegmentInfo {
  seq: number;
  firstRecordSeq: number;
  path: string;
}

export interface WalRepair {
  segment: string;
  /** Where the file was cut: the end of the last intact record. */
  offset: number;
  truncatedBytes: number;
  reason: string;
}

export interface WalOpenResult {
  wal: Wal;
  /** Every intact record, oldest first; records[i] has seq firstRecordSeq + i. */
  records: WalRecord[];
  firstRecordSeq: number;
  repaired: WalRepair | null;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}
type Op =
  | ({ kind: 'append'; bytes: Buffer; count: number; sync: boolean; inlineSync: boolean } & Waiter)
  | ({ kind: 'control'; run: () => Promise<void> } & Waiter);

export class Wal {
  private readonly queue: Op[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;
  private failure: WalFailedError | null = null;
  private handleOpen = true;
  /** Seq the next append() call's first record gets; runs ahead of nextSeq while batches are queued. */
  private assignedSeq: number;
  private readonly inlineSyncGate: InlineSyncGate;
  private readonly syncCounts = { inline: 0, threaded: 0 };

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly preallocate: boolean,
    private readonly onFsync: ((seconds: number) => void) | undefined,
    inlineSyncBudgetMs: number | undefined,
    private readonly segs: SegmentInfo[],
    private handle: fs.FileHandle,
    private writeOffset: number,
    /** Seq of the next record to be written (everything before it is durable). */
    private nextSeq: number,
  ) {
    this.assignedSeq = nextSeq;
    this.inlineSyncGate = new InlineSyncGate(inlineSyncBudgetMs);
  }

  static async open(dir: string, opts: WalOptions = {}): Promise<WalOpenResult> {
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 64) {
      throw new RangeError(`wal: segmentBytes must be an integer >= 64, got ${segmentBytes}`);
    }
    const preallocate = opts.preallocate ?? true;
    const created = await fs.mkdir(dir, { recursive: true });
    if (created !== undefined) await fsyncDir(path.dirname(path.resolve(dir)));

    const segs = await listSegments(dir);
    if (segs.length === 0) {
      const first: SegmentInfo = { seq: 0, firstRecordSeq: 0, path: path.join(dir, formatSegmentName({ seq: 0, firstRecordSeq: 0 })) };
      const handle = await createSegmentFile(dir, first.path, preallocate ? segmentBytes : 0);
      const wal = new Wal(dir, segmentBytes, preallocate, opts.onFsync, opts.inlineSyncBudgetMs, [first], handle, 0, 0);
      return { wal, records: [], firstRecordSeq: 0, repaired: null };
    }

    const records: WalRecord[] = [];
    const firstRecordSeq = segs[0]!.firstRecordSeq;
    let repaired: WalRepair | null = null;
    let lastEnd = 0;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const name = path.basename(seg.path);
      const expected = firstRecordSeq + records.length;
      if (seg.firstRecordSeq !== expected) {
        throw new WalCorruptError(
          `segment should start at record ${expected} (where the previous segments end) but is named for record ${seg.firstRecordSeq}`,
          name,
          0,
          'sequence',
        );
      }
      const scan = scanSegment(readWholeSync(seg.path), name, i === segs.length - 1);
      for (const r of scan.records) records.push(r);
      lastEnd = scan.end;
      if (scan.tail) repaired = { segment: name, offset: scan.tail.offset, truncatedBytes: scan.tail.truncatedBytes, reason: scan.tail.reason };
    }

    const last = segs[segs.length - 1]!;
    const handle = await fs.open(last.path, 'r+');
    try {
      if (repaired) {
        // The cut must be durable before anything new is written after it: otherwise a crash could
        // leave new records followed by stale bytes of the torn write that happen to parse.
        await handle.truncate(repaired.offset);
        await handle.sync();
      }
      if (preallocate && (await handle.stat()).size < segmentBytes) await handle.truncate(segmentBytes);
    } catch (err) {
      await handle.close();
      throw err;
    }
    const wal = new Wal(dir, segmentBytes, preallocate, opts.onFsync, opts.inlineSyncBudgetMs, segs, handle, lastEnd, firstRecordSeq + records.length);
    return { wal, records, firstRecordSeq, repaired };
  }

  /**
   * Appends records; resolves once they (and every record appended before them) are durable.
   * Calls that arrive while a batch is being written join the next batch together.
   * With `sync: false` it resolves once they are written, not synced (etcd's MustSync: a hard state
   * whose only change is the commit index); a later synced append makes them durable too.
   */
  append(records: readonly WalRecord[], opts: AppendOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new WalClosedError());
    if (this.failure) return Promise.reject(this.failure);
    let bytes: Buffer;
    try {
      bytes = encodeRecords(records);
    } catch (err) {
      return Promise.reject(err);
    }
    this.assignedSeq += records.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'append', bytes, count: records.length, sync: opts.sync ?? true, inlineSync: opts.inlineSync ?? false, resolve, reject });
      this.kick();
    });
  }

  /** Ends the current segment and starts a new one; returns the new segment's seq. */
  cut(): Promise<number> {
    let seq = -1;
    return this.control(async () => {
      await this.cutNow();
      seq = this.segs[this.segs.length - 1]!.seq;
    }).then(() => seq);
  }

  /**
   * Deletes every segment whose seq is below `segmentSeq` (oldest first, so a crash midway leaves a
   * contiguous run). The active segment is never deleted. Returns how many were deleted.
   */
  releaseBefore(segmentSeq: number): Promise<number> {
    let deleted = 0;
    return this.control(async () => {
      const active = this.segs[this.segs.length - 1]!;
      if (!Number.isSafeInteger(segmentSeq) || segmentSeq > active.seq) {
        throw new RangeError(`wal: releaseBefore(${segmentSeq}) would delete the active segment ${active.seq}`);
      }
      while (this.segs.length > 1 && this.segs[0]!.seq < segmentSeq) {
        await fs.unlink(this.segs[0]!.path);
        this.segs.shift();
        deleted++;
      }
      if (deleted > 0) await fsyncDir(this.dir);
    }).then(() => deleted);
  }

  /** The segments on disk, oldest first. */
  segments(): SegmentInfo[] {
    return this.segs.map((s) => ({ ...s }));
  }

  /** How many batch syncs ran on the event loop and how many in the thread pool (tests, diagnostics). */
  syncs(): { inline: number; threaded: number } {
    return { ...this.syncCounts };
  }

  /** The seq the first record of the next append() call will get. */
  get nextRecordSeq(): number {
    return this.assignedSeq;
  }

  /** Waits for queued appends, then closes the file. Later appends are rejected. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = this.control(async () => {
      if (!this.handleOpen) return;
      this.handleOpen = false;
      await this.handle.close();
    });
    this.closed = true;
    return done;
  }

  private control(run: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new WalClosedError());
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'control', run, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining === null) this.draining = this.drain();
  }

  private async drain(): Promise<void> {
    // Yield once so that every append() made in the same synchronous run joins the first batch.
    await Promise.resolve();
    // Each round removes at least one op from the queue; ops only arrive from callers.
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'control') {
        this.queue.shift();
        try {
          await head.run();
          head.resolve();
        } catch (err) {
          head.reject(err);
        }
        continue;
      }
      let n = 1;
      while (n < this.queue.length && this.queue[n]!.kind === 'append') n++;
      const batch = this.queue.splice(0, n) as Extract<Op, { kind: 'append' }>[];
      await this.writeBatch(batch);
    }
    this.draining = null;
  }

  private async writeBatch(batch: Extract<Op, { kind: 'append' }>[]): Promise<void> {
    if (this.failure) {
      for (const op of batch) op.reject(this.failure);
      return;
    }
    try {
      const bytes = batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((op) => op.bytes));
      let count = 0;
      for (const op of batch) count += op.count;
      if (this.writeOffset % RECORD_ALIGN !== 0) throw new Error(`wal: write offset ${this.writeOffset} not aligned`);
      if (bytes.length > 0) {
        // A synchronous write only copies into the page cache (tens of microseconds); the fdatasync,
        // which waits for the disk, is the part worth a thread-pool round trip.
        writeFullySync(this.handle.fd, bytes, this.writeOffset);
        if (batch.some((op) => op.sync)) {
          if (failpointsSet) await failpoint('walBeforeSync');
          const inline = batch.every((op) => op.inlineSync) && this.inlineSyncGate.allowed();
          const t0 = process.hrtime.bigint();
          if (inline) fsSync.fdatasyncSync(this.handle.fd);
          else await fdatasync(this.handle.fd);
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          this.inlineSyncGate.observe(seconds * 1000);
          this.syncCounts[inline ? 'inline' : 'threaded']++;
          this.onFsync?.(seconds);
        }
        this.writeOffset += bytes.length;
        this.nextSeq += count;
      }
    } catch (err) {
      this.failure = new WalFailedError(err);
      for (const op of batch) op.reject(this.failure);
      return;
    }
    for (const op of batch) op.resolve();
    if (this.writeOffset >= this.segmentBytes) {
      try {
        await this.cutNow();
      } catch (err) {
        this.failure = new WalFailedError(err);
      }
    }
  }

  private async cutNow(): Promise<void> {
    if (this.failure) throw this.failure;
    const prev = this.segs[this.segs.length - 1]!;
    const next: SegmentInfo = {
      seq: prev.seq + 1,
      firstRecordSeq: this.nextSeq,
      path: path.join(this.dir, formatSegmentName({ seq: prev.seq + 1, firstRecordSeq: this.nextSeq })),
    };
    // Order matters for crash safety: the old segment is trimmed to its last record and synced before
    // the new one becomes visible, so every segment but the last ends exactly at a record boundary.
    const tmp = next.path + TMP_SUFFIX;
    const handle = await createTmpFile(tmp, this.preallocate ? this.segmentBytes : 0);
    try {
      await this.handle.truncate(this.writeOffset);
      await this.handle.sync();
      this.handleOpen = false;
      await this.handle.close();
      if (failpointsSet) await failpoint('walBeforeCut');
      await fs.rename(tmp, next.path);
      await fsyncDir(this.dir);
      if (failpointsSet) await failpoint('walAfterCut');
    } catch (err) {
      await handle.close().catch(() => undefined);
      this.failure = new WalFailedError(err);
      throw this.failure;
    }
    this.handle = handle;
    this.handleOpen = true;
    this.writeOffset = 0;
    this.segs.push(next);
  }
}

async function listSegments(dir: string): Promise<SegmentInfo[]> {
  const names = await fs.readdir(dir);
  const segs: SegmentInfo[] = [];
  let removedTmp = false;
  for (const name of names) {
    if (name.endsWith('.wal' + TMP_SUFFIX)) {
      // A segment being prepared when the process died; it was never renamed, so it holds nothing.
      await fs.unlink(path.join(dir, name));
      removedTmp = true;
      continue;
    }
    const parsed = parseSegmentName(name);
    if (parsed) segs.push({ ...parsed, path: path.join(dir, name) });
    else if (name.endsWith('.wal')) throw new WalCorruptError('not a valid segment name', name, 0, 'sequence');
  }
  if (removedTmp) await fsyncDir(dir);
  segs.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segs.length; i++) {
    if (segs[i]!.seq !== segs[i - 1]!.seq + 1) {
      throw new WalCorruptError(`segment seq ${segs[i - 1]!.seq} is followed by ${segs[i]!.seq}: a segment is missing`, path.basename(segs[i]!.path), 0, 'sequence');
    }
  }
  return segs;
}

async function createTmpFile(file: string, preallocBytes: number): Promise<fs.FileHandle> {
  const h = await fs.open(file, 'w+');
  try {
    if (preallocBytes > 0) await h.truncate(preallocBytes);
    await h.sync();
    return h;
  } catch (err) {
    await h.close();
    throw err;
  }
}

async function createSegmentFile(dir: string, file: string, preallocBytes: number): Promise<fs.FileHandle> {
  const h = await createTmpFile(file + TMP_SUFFIX, preallocBytes);
  try {
    await fs.rename(file + TMP_SUFFIX, file);
    await fsyncDir(dir);
    return h;
  } catch (err) {
    await h.close();
    throw err;
  }
}
