// The LevelDB backend, laid out like etcd's bbolt buckets: every key is one bucket-id byte followed by
// the bucket's own key. Bucket ids follow the bucket names' byte order so that a full scan visits
// buckets in the order bbolt does (the backend hash depends on it).
//
// Writes are staged in memory and reach LevelDB in one atomic batch on commit(); reads see staged
// writes first, so callers never observe the difference. Scans merge a LevelDB snapshot with a copy of
// the staged writes taken at the same instant, giving a consistent point-in-time view.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';

export const BUCKETS = [
  'alarm',
  'auth',
  'authRoles',
  'authUsers',
  'cluster',
  'key',
  'lease',
  'members',
  'members_removed',
  'meta',
] as const;

export type BucketName = (typeof BUCKETS)[number];

const BUCKET_ID: Record<BucketName, number> = Object.fromEntries(BUCKETS.map((b, i) => [b, i + 1])) as Record<
  BucketName,
  number
>;

type Db = Level<Buffer, Buffer>;
interface NativeExtras {
  approximateSize(start: Buffer, end: Buffer): Promise<number>;
  compactRange(start: Buffer, end: Buffer): Promise<void>;
}
type Staged = Map<string, Buffer | null>;
type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/**
 * abstract-level's implementer method behind batch(): ops whose keys and values are already in the
 * database's format (buffers here), written as one atomic LevelDB batch.
 */
interface ImplementationBatch {
  readonly status: string;
  _batch(ops: BatchOp[], options: { sync: boolean }): Promise<void>;
}

export interface ScanEntry {
  key: Buffer;
  value: Buffer;
}

function prefixed(bucket: BucketName, key: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(key.length + 1);
  b[0] = BUCKET_ID[bucket];
  b.set(key, 1);
  return b;
}

function bucketEnd(bucket: BucketName): Buffer {
  return Buffer.from([BUCKET_ID[bucket] + 1]);
}

/** A point-in-time cursor over one bucket's [gte, lt) range. Always close() it. */
export class ScanCursor {
  private overlayPos = 0;
  private dbDone = false;
  private closed = false;
  /** The next page, already being read while the caller handles this one (prefetching cursors). */
  private ahead: Promise<Array<[Buffer, Buffer]>> | null = null;

  constructor(
    private readonly it: ReturnType<Db['iterator']>,
    private readonly snapshot: ReturnType<Db['snapshot']>,
    private readonly overlay: Array<[Buffer, Buffer | null]>,
    private readonly prefetch = false,
  ) {}

  private async page(limit: number): Promise<Array<[Buffer, Buffer]>> {
    const pending = this.ahead;
    this.ahead = null;
    const db = pending !== null ? await pending : ((await this.it.nextv(limit)) as Array<[Buffer, Buffer]>);
    if (this.prefetch && db.length > 0) {
      const next = this.it.nextv(limit) as Promise<Array<[Buffer, Buffer]>>;
      // Awaited by the next page() or by close(); never left to reject unobserved.
      next.catch(() => undefined);
      this.ahead = next;
    }
    return db;
  }

  /** Up to about `limit` entries in key order; an empty array means the scan is over. */
  async next(limit: number): Promise<ScanEntry[]> {
    for (;;) {
      if (this.closed) throw new Error('backend: scan cursor used after close');
      if (this.dbDone && this.overlayPos >= this.overlay.length) return [];
      let db: Array<[Buffer, Buffer]> = [];
      if (!this.dbDone) {
        db = await this.page(limit);
        // nextv() may return a short page before the end (it pages by bytes too): only an empty one ends the scan.
        if (db.length === 0) this.dbDone = true;
      }
      const bound = this.dbDone ? null : db[db.length - 1]![0];
      const out: ScanEntry[] = [];
      let i = 0;
      for (;;) {
        const d = i < db.length ? db[i] : undefined;
        let o = this.overlayPos < this.overlay.length ? this.overlay[this.overlayPos] : undefined;
        if (o !== undefined && bound !== null && Buffer.compare(o[0], bound) > 0) o = undefined;
        if (d === undefined && o === undefined) break;
        const c = d === undefined ? 1 : o === undefined ? -1 : Buffer.compare(d[0], o[0]);
        if (c < 0) {
          out.push({ key: d![0].subarray(1), value: d![1] });
          i++;
        } else {
          if (o![1] !== null) out.push({ key: o![0].subarray(1), value: o![1] });
          this.overlayPos++;
          if (c === 0) i++;
        }
      }
      if (out.length > 0 || (this.dbDone && this.overlayPos >= this.overlay.length)) return out;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ahead !== null) await this.ahead.catch(() => undefined);
    this.ahead = null;
    await this.it.close();
    await this.snapshot.close();
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/**
 * How long a batched commit waits for more writes to join it: etcd's --backend-batch-interval default.
 * 100 rather than 10 ms: one-client puts +9%, 16 and 256 clients +7–8% at three members (paired runs),
 * from ten times fewer LevelDB writes on the thread pool and in LevelDB's log.
 */
export const DEFAULT_BATCH_INTERVAL_MS = 100;
/** Staged writes that end the wait early: etcd's --backend-batch-limit default (operations). */
export const DEFAULT_BATCH_LIMIT = 10_000;

export interface BackendOptions {
  /** Hears how long each commit's LevelDB write took (etcd_disk_backend_commit_duration_seconds). */
  onCommit?: (seconds: number) => void;
  /** --backend-batch-interval in milliseconds; 0 or absent: the default. */
  batchIntervalMs?: number;
  /** --backend-batch-limit; 0 or absent: the default. */
  batchLimit?: number;
}

export class Backend {
  private staged: Staged = new Map();
  private flushing: Staged | null = null;
  private commitChain: Promise<void> = Promise.resolve();
  /** The batched commit waiting out its interval, which later batched commits join. */
  private timedFlush: Promise<void> | null = null;
  /** A commit({ sync }) was asked for while the current staged writes were staged. */
  private stagedNeedsSync = false;
  /** Ends the batched commit's wait now (set while it waits). */
  private endWait: (() => void) | null = null;
  /** The batched commit is not to wait (asked before its wait began). */
  private hurried = false;
  private readonly onCommit: ((seconds: number) => void) | undefined;
  private readonly batchIntervalMs: number;
  readonly batchLimit: number;

  private constructor(
    private readonly db: Db,
    readonly dir: string,
    opts: BackendOptions,
  ) {
    this.onCommit = opts.onCommit;
    this.batchIntervalMs = opts.batchIntervalMs || DEFAULT_BATCH_INTERVAL_MS;
    this.batchLimit = opts.batchLimit || DEFAULT_BATCH_LIMIT;
  }

  static async open(dir: string, opts: BackendOptions = {}): Promise<Backend> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return new Backend(db, dir, opts);
  }

  /** Writes staged and not yet handed to LevelDB. */
  get stagedWrites(): number {
    return this.staged.size;
  }

  put(bucket: BucketName, key: Uint8Array, value: Buffer): void {
    this.staged.set(prefixed(bucket, key).toString('latin1'), value);
  }

  delete(bucket: BucketName, key: Uint8Array): void {
    this.staged.set(prefixed(bucket, key).toString('latin1'), null);
  }

  /** The staged value (null: staged delete), or undefined when only LevelDB knows. Synchronous. */
  private stagedValue(id: string): Buffer | null | undefined {
    const s = this.staged.get(id);
    if (s !== undefined) return s;
    return this.flushing?.get(id);
  }

  async get(bucket: BucketName, key: Uint8Array): Promise<Buffer | undefined> {
    const pk = prefixed(bucket, key);
    const s = this.stagedValue(pk.toString('latin1'));
    if (s !== undefined) return s ?? undefined;
    return this.db.get(pk);
  }

  /** Several keys of one bucket; staged values first, the rest in one LevelDB read (one snapshot). */
  async getMany(bucket: BucketName, keys: Uint8Array[]): Promise<Array<Buffer | undefined>> {
    const out: Array<Buffer | undefined> = new Array<Buffer | undefined>(keys.length);
    const missing: number[] = [];
    const missingKeys: Buffer[] = [];
    keys.forEach((k, i) => {
      const pk = prefixed(bucket, k);
      const s = this.stagedValue(pk.toString('latin1'));
      if (s === undefined) {
        missing.push(i);
        missingKeys.push(pk);
      } else out[i] = s ?? undefined;
    });
    if (missingKeys.length > 0) {
      const got = await this.db.getMany(missingKeys);
      missing.forEach((idx, j) => (out[idx] = got[j]));
    }
    return out;
  }

  /**
   * A consistent scan of [gte, lt) within a bucket (lt null: to the bucket's end). With `prefetch`,
   * each page is read from LevelDB (on the thread pool) while the caller handles the previous one:
   * for whole-bucket scans such as rebuilding the key index at start, not for short ranges.
   */
  scan(bucket: BucketName, gte: Uint8Array, lt: Uint8Array | null, opts: { prefetch?: boolean } = {}): ScanCursor {
    const lo = prefixed(bucket, gte);
    const hi = lt === null ? bucketEnd(bucket) : prefixed(bucket, lt);
    const loId = lo.toString('latin1');
    const hiId = hi.toString('latin1');
    const merged = new Map<string, Buffer | null>();
    for (const src of [this.flushing, this.staged]) {
      if (!src) continue;
      for (const [id, v] of src) if (id >= loId && id < hiId) merged.set(id, v);
    }
    const overlay: Array<[Buffer, Buffer | null]> = [...merged.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([id, v]) => [Buffer.from(id, 'latin1'), v]);
    const snapshot = this.db.snapshot();
    const it = this.db.iterator({ gte: lo, lt: hi, snapshot });
    return new ScanCursor(it, snapshot, overlay, opts.prefetch ?? false);
  }

  /**
   * Persist everything staged so far in one atomic LevelDB batch. Commits run one at a time. With
   * `sync`, the batch holding what is staged now is fsynced (LevelDB's sync write, which makes every
   * earlier batch in LevelDB's log durable too), whichever commit's flush ends up writing it.
   * With `batched` (applies, whose entries the WAL already holds), the batch is written up to
   * --backend-batch-interval later and carries whatever else was staged meanwhile, as etcd commits
   * its backend on a timer: one LevelDB write per interval, not per Ready. It goes at once when
   * --backend-batch-limit writes are staged, or when a commit that is not batched is asked for.
   */
  commit(opts: { sync?: boolean; batched?: boolean } = {}): Promise<void> {
    if (opts.sync) this.stagedNeedsSync = true;
    if (opts.batched && !opts.sync) {
      this.timedFlush ??= this.chain(async () => {
        if (!this.hurried && this.staged.size < this.batchLimit) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.batchIntervalMs);
            this.endWait = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        this.endWait = null;
        this.hurried = false;
        this.timedFlush = null;
        await this.flush();
      });
      if (this.staged.size >= this.batchLimit) this.hurry();
      return this.timedFlush;
    }
    // Whatever waits out the interval goes now, ahead of this commit in the chain.
    if (this.timedFlush !== null) this.hurry();
    // The batch is built and handed to LevelDB on the next turn of the loop: the answers to the
    // requests just applied (a chain of promise continuations) go out first.
    return this.chain(async () => {
      await nextTurn();
      await this.flush();
    });
  }

  private hurry(): void {
    this.hurried = true;
    this.endWait?.();
  }

  private chain(work: () => Promise<void>): Promise<void> {
    const run = this.commitChain.then(work);
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  private async flush(): Promise<void> {
    if (this.staged.size === 0) return;
    const batch = this.staged;
    const sync = this.stagedNeedsSync;
    this.staged = new Map();
    this.stagedNeedsSync = false;
    this.flushing = batch;
    const ops: BatchOp[] = [];
    for (const [id, v] of batch) {
      ops.push(v === null ? { type: 'del', key: Buffer.from(id, 'latin1') } : { type: 'put', key: Buffer.from(id, 'latin1'), value: v });
    }
    try {
      const started = performance.now();
      await this.writeBatch(ops, sync);
      this.onCommit?.((performance.now() - started) / 1000);
    } catch (e) {
      // Keep the writes readable and retryable; newer staged writes win.
      for (const [id, v] of batch) if (!this.staged.has(id)) this.staged.set(id, v);
      if (sync) this.stagedNeedsSync = true;
      throw e;
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Writes that bypass staging, for history that is already logically gone (physical compaction).
   * They must never touch a key that is staged.
   */
  async writeDirect(ops: Array<{ bucket: BucketName; key: Uint8Array; value: Buffer | null }>): Promise<void> {
    await this.writeBatch(
      ops.map((o): BatchOp =>
        o.value === null ? { type: 'del', key: prefixed(o.bucket, o.key) } : { type: 'put', key: prefixed(o.bucket, o.key), value: o.value },
      ),
      false,
    );
  }

  /**
   * One atomic LevelDB batch. abstract-level's batch() copies, validates and re-encodes every operation
   * (a third of a follower's CPU under write load, by profile) for options capstan never uses (encodings
   * other than buffers, hooks, sublevels, write events); the implementation's own _batch takes the
   * buffers as they are. Anything but an open database goes the public way, which raises its errors.
   */
  private writeBatch(ops: BatchOp[], sync: boolean): Promise<void> {
    const impl = this.db as unknown as Partial<ImplementationBatch>;
    if (impl.status === 'open' && typeof impl._batch === 'function' && ops.length > 0) return impl._batch(ops, { sync });
    return this.db.batch(ops, { sync });
  }

  /** Bytes of all files in the LevelDB directory. */
  async size(): Promise<number> {
    let total = 0;
    for (const name of await readdir(this.dir)) {
      try {
        total += (await stat(join(this.dir, name))).size;
      } catch {
        // A file compacted away between readdir and stat no longer counts.
      }
    }
    return total;
  }

  /** LevelDB's estimate of the bytes the live data occupies. */
  async sizeInUse(): Promise<number> {
    return this.native().approximateSize(Buffer.from([0]), Buffer.from([0xff]));
  }

  async compactAll(): Promise<void> {
    await this.commitChain;
    await this.native().compactRange(Buffer.from([0]), Buffer.from([0xff]));
  }

  /** On Node, `level` is classic-level, which has these two beyond the abstract-level surface. */
  private native(): NativeExtras {
    const db = this.db as unknown as Partial<NativeExtras>;
    if (typeof db.approximateSize !== 'function' || typeof db.compactRange !== 'function') {
      throw new Error('backend: this level implementation lacks approximateSize/compactRange');
    }
    return db as NativeExtras;
  }

  async close(): Promise<void> {
    await this.commitChain;
    await this.db.close();
  }
}
