// MvccStore: the revisioned key-value store the server applies raft entries to (etcd's mvcc store,
// the KV half of its applier, and the parts of the lessor that are state, not time).
//
// Every live key's latest kv is in memory, so current reads and txn compares are synchronous; history
// lives in the backend. Applies mutate memory synchronously once their inputs are gathered, so a
// concurrent read sees a write txn entirely or not at all. Nothing reaches LevelDB until commit(),
// which writes all applied changes and the consistent index in one atomic batch.

import { failpoint, failpointsSet } from '../server/failpoints.js';
import { Backend, BUCKETS } from './backend.js';
import { Crc32c } from './crc32c.js';
import { CorruptDataError, mvccErrors } from './errors.js';
import { KvHasher } from './hash.js';
import { KeyIndex } from './keyIndex.js';
import { type ByteCopier, decodeKeyValue, decodeLease, encodeLease, encodeLeaseKey } from './keyValueCodec.js';
import { ByteArena } from '../raft/byteArena.js';
import { keyRange, KvState, type KeyRange } from './kvState.js';
import { MAX_LEASE_TTL } from './lessor.js';
import { evaluateCompare } from './compare.js';
import { fetchLimit, finishRange } from './rangeQuery.js';
import { decodeRevision, encodeRevision, isTombstoneKey, revisionId } from './revision.js';
import { WatchableStore, type HistoryBatch, type HistorySource } from './watchableStore.js';
import { WriteTxn } from './writeTxn.js';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  HashKVResult,
  KeyValue,
  Lease,
  LeaseId,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './types.js';

const META_CONSISTENT_INDEX = Buffer.from('consistent_index');
const META_TERM = Buffer.from('term');
const META_SCHEDULED_COMPACT = Buffer.from('scheduledCompactRev');
const META_FINISHED_COMPACT = Buffer.from('finishedCompactRev');
const META_STORAGE_VERSION = Buffer.from('storageVersion');

/** Decoded bytes as views of the entry read, for what restore copies only if it keeps it. */
const asView: ByteCopier = (bytes) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** Entries per backend read when scanning history. */
const SCAN_CHUNK = 1000;
/** Pages of the whole-bucket scans at start: fewer thread-pool round trips. */
const RESTORE_SCAN_CHUNK = 4000;
/** etcd keeps the hashes of the last 10 compactions. */
const HASH_CACHE_SIZE = 10;
/** How often a read-only txn re-fetches history when writes keep changing the branch it takes. */
const READ_TXN_ATTEMPTS = 5;

export interface MvccStoreOptions {
  /** History entries a catching-up watcher reads per step (tests make it small). */
  watchHistoryChunk?: number;
  /** Hears the duration of every backend commit. */
  onBackendCommit?: (seconds: number) => void;
  /** --backend-batch-interval (ms) and --backend-batch-limit; 0 or absent: etcd's defaults. */
  backendBatchIntervalMs?: number;
  backendBatchLimit?: number;
}

interface Compaction {
  rev: number;
  /** Revision ids that survive it (etcd's `keep`). */
  keep: Set<string>;
}

interface CachedHash {
  revision: number;
  compactRevision: number;
  hash: Promise<number>;
}

type RawRange = { kvs: KeyValue[]; count: number };

function u64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n), 0);
  return b;
}

/**
 * A key-bucket entry as restore reads it, refusing what cannot have been written: bytes that are not
 * an mvccpb.KeyValue (etcd: "failed to unmarshal mvccpb.KeyValue"), or a live revision whose value
 * names another revision. Serving either would be wrong data, so the store does not open.
 */
function decodeStoredKeyValue(revKey: Buffer, value: Buffer, copy?: ByteCopier): KeyValue {
  const at = () => {
    const r = decodeRevision(revKey);
    return `${r.main}_${r.sub}${isTombstoneKey(revKey) ? ' (tombstone)' : ''}`;
  };
  let kv: KeyValue;
  try {
    kv = decodeKeyValue(value, copy);
  } catch (e) {
    throw new CorruptDataError('failed to unmarshal mvccpb.KeyValue', `mvcc: key-bucket entry at revision ${at()}: ${(e as Error).message}`);
  }
  // Tombstones hold only the key, and a revision bump holds nothing (etcdutl --bump-revision).
  if (value.length === 0 || isTombstoneKey(revKey)) return kv;
  const main = decodeRevision(revKey).main;
  if (kv.modRevision !== main || kv.createRevision < 1 || kv.createRevision > main || kv.version < 1 || kv.key.length === 0) {
    throw new CorruptDataError(
      'found a corrupt key-bucket entry',
      `mvcc: key-bucket entry at revision ${at()} (key ${JSON.stringify(kv.key.toString('latin1'))}, ` +
        `create_revision ${kv.createRevision}, mod_revision ${kv.modRevision}, version ${kv.version}) does not match its revision`,
    );
  }
  return kv;
}

function readU64(b: Buffer | undefined): number {
  if (b === undefined) return 0;
  if (b.length !== 8) throw new Error(`mvcc: meta value has ${b.length} bytes, want 8`);
  return Number(b.readBigUInt64BE(0));
}

export class MvccStore {
  readonly watchable: WatchableStore;
  private ci = 0;
  private ciRecorded = false;
  private term = 0;
  private ciDirty = false;
  private applying = false;
  private closed = false;
  /** Compactions applied but not yet committed: their physical pass waits for the commit. */
  private awaitingCommit: Compaction[] = [];
  /** The newest compaction whose physical pass has not finished; its dropped entries count as gone. */
  private physicalPending: Compaction | null = null;
  private physicalChain: Promise<void> = Promise.resolve();
  private physicalError: unknown = null;
  private hashCache: CachedHash[] = [];

  private constructor(
    private readonly s: KvState,
    options: MvccStoreOptions,
  ) {
    const source: HistorySource = {
      currentRevision: () => this.s.currentRev,
      compactRevision: () => this.s.compactMainRev,
      readHistory: (from, to, max) => this.readHistory(from, to, max),
      kvAt: (key, rev) => this.s.kvAt(key, rev),
    };
    this.watchable = new WatchableStore(source, options.watchHistoryChunk);
  }

  /** Open (or create) the store in `dir`, rebuilding the key index from the backend. */
  static async open(dir: string, options: MvccStoreOptions = {}): Promise<MvccStore> {
    const backend = await Backend.open(dir, {
      onCommit: options.onBackendCommit,
      batchIntervalMs: options.backendBatchIntervalMs,
      batchLimit: options.backendBatchLimit,
    });
    const store = new MvccStore(new KvState(backend), options);
    try {
      await store.restore();
    } catch (e) {
      await backend.close();
      throw e;
    }
    return store;
  }

  get currentRevision(): number {
    return this.s.currentRev;
  }

  /** The revision of the last compaction, 0 if there has been none. */
  get compactRevision(): number {
    return Math.max(0, this.s.compactMainRev);
  }

  get consistentIndex(): number {
    return this.ci;
  }

  /** False when the backend has no consistent index at all (a new store, or a damaged meta bucket). */
  get consistentIndexRecorded(): boolean {
    return this.ciRecorded;
  }

  get consistentTerm(): number {
    return this.term;
  }

  get backend(): Backend {
    return this.s.backend;
  }

  // ---------------------------------------------------------------- restore

  private async restore(): Promise<void> {
    const b = this.s.backend;
    const ci = await b.get('meta', META_CONSISTENT_INDEX);
    this.ciRecorded = ci !== undefined;
    this.ci = readU64(ci);
    this.term = readU64(await b.get('meta', META_TERM));
    const finished = await b.get('meta', META_FINISHED_COMPACT);
    const scheduled = await b.get('meta', META_SCHEDULED_COMPACT);

    await this.forEachEntry('lease', (_k, v) => this.s.lessor.add(decodeLease(v)));

    // The key bucket is in revision order, not key order: gather the key indexes in a hash map
    // (latin1 strings order like the bytes they hold) and build the ordered index once at the end,
    // rather than a binary search and an array splice per key, which dominated restarts.
    // Entries are decoded as views of the bytes read; only what is kept is copied, in slabs: each
    // key once into the store's arena, each value that is a key's latest so far into `latestValues`.
    // A copy per field from node's Buffer pool (a new 8 KiB pool every ~30 values) took 0.9 s of a
    // 12 s 1M-key restart in allocation alone.
    const byKey = new Map<string, KeyIndex>();
    const latestValues = new ByteArena();
    let superseded = 0;
    let maxRev = 1;
    await this.forEachEntry('key', (k, v) => {
      const rev = decodeRevision(k);
      maxRev = Math.max(maxRev, rev.main);
      // An empty value marks a revision bump (etcdutl restore --bump-revision). etcd indexes it like
      // any entry, as the empty key no client can name, so compaction keeps it and HashKV hashes it.
      const kv = decodeStoredKeyValue(k, v, asView);
      const name = kv.key.toString('latin1');
      let ki = byKey.get(name);
      if (isTombstoneKey(k)) {
        if (ki?.latest) {
          ki.tombstone(rev);
          ki.latest = null;
          superseded++;
        }
        return;
      }
      if (ki) {
        ki.put(rev);
        if (ki.latest) superseded++;
      } else {
        ki = new KeyIndex(this.s.bytes.copyBuffer(kv.key));
        ki.restore({ main: kv.createRevision, sub: 0 }, rev, kv.version);
        byKey.set(name, ki);
      }
      kv.key = ki.key;
      kv.value = latestValues.copyBuffer(kv.value);
      ki.latest = kv;
    });
    const names = [...byKey.keys()].sort();
    const indexes = names.map((name) => byKey.get(name)!);
    this.s.index.loadSorted(
      indexes.map((ki) => ki.key),
      indexes,
    );
    for (let i = 0; i < names.length; i++) {
      const ki = indexes[i]!;
      const latest = ki.latest;
      if (latest === null) continue;
      // Values a later revision replaced would stay pinned in latestValues' slabs: copy the live ones
      // out, and let those slabs go.
      if (superseded > 0) latest.value = this.s.bytes.copyBuffer(latest.value);
      ki.latest = Object.freeze(latest);
      if (latest.lease !== 0n) this.s.lessor.setKeyLease(names[i]!, latest.lease);
    }

    this.s.compactMainRev = finished ? decodeRevision(finished).main : -1;
    this.s.currentRev = Math.max(maxRev, this.s.compactMainRev);
    if (scheduled) {
      const rev = decodeRevision(scheduled).main;
      if (rev > this.s.compactMainRev) {
        // A compaction was recorded but its physical pass did not finish: redo it, as etcd does.
        const c = this.compactIndex(rev);
        this.s.currentRev = Math.max(this.s.currentRev, rev);
        this.schedulePhysical(c);
      }
    }
  }

  private async forEachEntry(bucket: 'key' | 'lease', fn: (k: Buffer, v: Buffer) => void): Promise<void> {
    const cur = this.s.backend.scan(bucket, Buffer.alloc(0), null, { prefetch: true });
    try {
      for (;;) {
        const entries = await cur.next(RESTORE_SCAN_CHUNK);
        if (entries.length === 0) return;
        for (const e of entries) fn(e.key, e.value);
      }
    } finally {
      await cur.close();
    }
  }

  // ---------------------------------------------------------------- reads

  /** A Range outside the log (serializable, or after a ReadIndex). */
  async range(req: RangeRequest): Promise<RangeResponse> {
    this.assertOpen();
    const cur = this.s.currentRev;
    if (req.revision > cur) throw mvccErrors.futureRev();
    const at = req.revision <= 0 ? cur : req.revision;
    if (at < this.s.compactMainRev) throw mvccErrors.compacted();
    const raw = await this.rawRange(keyRange(req.key, req.rangeEnd), at, req);
    return finishRange(req, raw.kvs, raw.count, cur);
  }

  /**
   * A txn whose branches only read (etcd's isTxnReadonly), served outside the log. Compares and
   * latest-revision ranges run in one synchronous step, so they see one revision. Historical ranges
   * are fetched first; if a write changed the branch taken while they were fetched, the new branch's
   * are fetched too. Returns null if writes kept changing the branch: the caller goes through the log.
   */
  async readTxn(req: TxnRequest): Promise<TxnResponse | null> {
    this.assertOpen();
    if (!isReadOnlyTxn(req)) throw new Error('invariant: readTxn given a txn that writes');
    const prefetched = new Map<RangeRequest, RawRange>();
    let path = new Map<TxnRequest, boolean>();
    this.computePath(req, path);
    for (let attempt = 0; attempt < READ_TXN_ATTEMPTS; attempt++) {
      this.checkTxn(req, path);
      await this.prefetchRanges(req, path, prefetched);
      this.assertOpen();
      const now = new Map<TxnRequest, boolean>();
      this.computePath(req, now);
      if (now.get(req) === path.get(req)) {
        this.checkTxn(req, now);
        const resp = this.execTxn(new WriteTxn(this.s), req, now, prefetched);
        resp.header.revision = this.s.currentRev;
        return resp;
      }
      path = now;
    }
    return null;
  }

  /** The index part of a range at `at` (etcd's rangeKeys without the revision checks). */
  private rawRangeSync(r: KeyRange, at: number, req: RangeRequest): RawRange | null {
    if (req.countOnly) return { kvs: [], count: this.s.revisions(r, at, 0).count };
    if (at >= this.s.currentRev) return this.s.latest(r, fetchLimit(req));
    return null;
  }

  private async rawRange(r: KeyRange, at: number, req: RangeRequest): Promise<RawRange> {
    const sync = this.rawRangeSync(r, at, req);
    if (sync) return sync;
    const { hits, count } = this.s.revisions(r, at, fetchLimit(req));
    return { kvs: await this.s.resolve(hits), count };
  }

  getLease(id: LeaseId): Lease | undefined {
    return this.s.lessor.get(id);
  }

  leaseKeys(id: LeaseId): Buffer[] {
    return this.s.lessor.keysOf(id).map((k) => Buffer.from(k, 'latin1'));
  }

  leases(): Lease[] {
    return this.s.lessor.all();
  }

  // ---------------------------------------------------------------- apply path

  private beginApply(): void {
    this.assertOpen();
    if (this.applying) throw new Error('mvcc: applies must run one at a time, in log order');
    this.applying = true;
  }

  async applyPut(req: PutRequest): Promise<PutResponse> {
    this.beginApply();
    try {
      this.checkPutFlags(req);
      if (req.lease !== 0n && !this.s.lessor.has(req.lease)) throw mvccErrors.leaseNotFound();
      return this.inWriteTxn((txn) => this.execPut(txn, req)).resp;
    } finally {
      this.applying = false;
    }
  }

  async applyDeleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    this.beginApply();
    try {
      return this.inWriteTxn((txn) => this.execDelete(txn, req)).resp;
    } finally {
      this.applying = false;
    }
  }

  async applyTxn(req: TxnRequest): Promise<TxnResponse> {
    this.beginApply();
    try {
      // Compares, checks and historical reads all see the state before any op runs.
      const path = new Map<TxnRequest, boolean>();
      this.computePath(req, path);
      this.checkTxn(req, path);
      const prefetched = new Map<RangeRequest, RawRange>();
      await this.prefetchRanges(req, path, prefetched);
      const { resp, txn } = this.inWriteTxn((t) => this.execTxn(t, req, path, prefetched));
      resp.header.revision = txn.changes.length > 0 ? txn.beginRev + 1 : txn.beginRev;
      return resp;
    } finally {
      this.applying = false;
    }
  }

  /** Run `fn` in a write txn; on error undo everything it did, else publish its revision. */
  private inWriteTxn<T>(fn: (txn: WriteTxn) => T): { resp: T; txn: WriteTxn } {
    const txn = new WriteTxn(this.s);
    let resp: T;
    try {
      resp = fn(txn);
    } catch (e) {
      txn.rollback();
      throw e;
    }
    const events = txn.finish();
    if (events.length > 0) this.watchable.notify(this.s.currentRev, events);
    return { resp, txn };
  }

  private checkPutFlags(req: PutRequest): void {
    if (req.ignoreValue && req.value.length !== 0) throw mvccErrors.valueProvided();
    if (req.ignoreLease && req.lease !== 0n) throw mvccErrors.leaseProvided();
  }

  private execPut(txn: WriteTxn, req: PutRequest): PutResponse {
    const needCur = req.ignoreValue || req.ignoreLease || req.prevKv;
    const cur = needCur ? (this.s.latest(keyRange(req.key, Buffer.alloc(0))).kvs[0] ?? null) : null;
    if ((req.ignoreValue || req.ignoreLease) && !cur) throw mvccErrors.keyNotFound();
    const value = req.ignoreValue ? cur!.value : req.value;
    const lease = req.ignoreLease ? cur!.lease : req.lease;
    const rev = txn.put(req.key, value, lease);
    return { header: { revision: rev }, prevKv: req.prevKv ? cur : null };
  }

  private execDelete(txn: WriteTxn, req: DeleteRangeRequest): DeleteRangeResponse {
    const r = keyRange(req.key, req.rangeEnd);
    const prevKvs = req.prevKv ? this.s.latest(r).kvs : [];
    const deleted = txn.deleteRange(r);
    const revision = deleted !== 0 || txn.changes.length > 0 ? txn.beginRev + 1 : txn.beginRev;
    return { header: { revision }, deleted, prevKvs };
  }

  private branch(req: TxnRequest, path: Map<TxnRequest, boolean>): RequestOp[] {
    const ok = path.get(req);
    if (ok === undefined) throw new Error('mvcc: txn path missing a nested txn');
    return ok ? req.success : req.failure;
  }

  /** Evaluate the compares of the txn and of every nested txn on the chosen branches (etcd's compareToPath). */
  private computePath(req: TxnRequest, path: Map<TxnRequest, boolean>): void {
    const ok = req.compare.every((c) => evaluateCompare(c, this.s.latest(keyRange(c.key, c.rangeEnd)).kvs));
    path.set(req, ok);
    for (const op of ok ? req.success : req.failure) if ('txn' in op) this.computePath(op.txn, path);
  }

  /** etcd's checkTxn: semantic errors that fail the whole txn before anything is applied. */
  private checkTxn(req: TxnRequest, path: Map<TxnRequest, boolean>): void {
    for (const op of this.branch(req, path)) {
      if ('range' in op) {
        const rev = op.range.revision;
        if (rev === 0) continue;
        if (rev > this.s.currentRev) throw mvccErrors.futureRev();
        if (rev < this.s.compactMainRev) throw mvccErrors.compacted();
      } else if ('put' in op) {
        const p = op.put;
        this.checkPutFlags(p);
        if ((p.ignoreValue || p.ignoreLease) && this.s.latest(keyRange(p.key, Buffer.alloc(0))).count === 0) {
          throw mvccErrors.keyNotFound();
        }
        if (p.lease !== 0n && !this.s.lessor.has(p.lease)) throw mvccErrors.leaseNotFound();
      } else if ('txn' in op) {
        this.checkTxn(op.txn, path);
      }
    }
  }

  /** Historical ranges in the txn read state that the txn cannot change: fetch them before it runs. */
  private async prefetchRanges(
    req: TxnRequest,
    path: Map<TxnRequest, boolean>,
    out: Map<RangeRequest, RawRange>,
  ): Promise<void> {
    for (const op of this.branch(req, path)) {
      if ('range' in op && op.range.revision > 0 && !out.has(op.range)) {
        const r = op.range;
        out.set(r, await this.rawRange(keyRange(r.key, r.rangeEnd), r.revision, r));
      } else if ('txn' in op) {
        await this.prefetchRanges(op.txn, path, out);
      }
    }
  }

  private execTxn(
    txn: WriteTxn,
    req: TxnRequest,
    path: Map<TxnRequest, boolean>,
    prefetched: Map<RangeRequest, RawRange>,
  ): TxnResponse {
    const succeeded = path.get(req)!;
    const responses: ResponseOp[] = [];
    for (const op of this.branch(req, path)) {
      if ('range' in op) {
        const r = op.range;
        const headerRev = txn.readRev();
        const raw = r.revision > 0 ? prefetched.get(r) : this.s.latest(keyRange(r.key, r.rangeEnd), r.countOnly ? 0 : fetchLimit(r));
        if (!raw) throw new Error('mvcc: historical txn range was not prefetched');
        responses.push({ range: finishRange(r, r.countOnly ? [] : raw.kvs, raw.count, headerRev) });
      } else if ('put' in op) {
        responses.push({ put: this.execPut(txn, op.put) });
      } else if ('deleteRange' in op) {
        responses.push({ deleteRange: this.execDelete(txn, op.deleteRange) });
      } else {
        responses.push({ txn: this.execTxn(txn, op.txn, path, prefetched) });
      }
    }
    // etcd leaves nested txn headers empty; the caller sets the outermost one.
    return { header: { revision: 0 }, succeeded, responses };
  }

  // ---------------------------------------------------------------- compaction

  async applyCompaction(req: CompactionRequest): Promise<CompactionResponse> {
    this.beginApply();
    try {
      const rev = req.revision;
      if (rev <= this.s.compactMainRev) throw mvccErrors.compacted();
      if (rev > this.s.currentRev) throw mvccErrors.futureRev();
      const prevCompact = this.s.compactMainRev;
      // etcd caches the hash its compaction pass computes (entries <= rev, before anything is
      // dropped), but only when the previous pass had finished, so it covers every revision since.
      const prevCompleted = this.physicalPending === null;
      const view = prevCompleted ? this.hashView(rev) : null;
      const c = this.compactIndex(rev);
      if (view) {
        const hash = this.hashScan(view, new KvHasher(prevCompact, rev, c.keep));
        hash.catch(() => undefined);
        this.hashCache.push({ revision: rev, compactRevision: prevCompact, hash });
        if (this.hashCache.length > HASH_CACHE_SIZE) this.hashCache.shift();
      }
      this.s.backend.put('meta', META_SCHEDULED_COMPACT, encodeRevision({ main: rev, sub: 0 }));
      this.awaitingCommit.push(c);
      return { header: { revision: this.s.currentRev } };
    } finally {
      this.applying = false;
    }
  }

  /** Compact the in-memory index at rev and make it the compaction in force. */
  private compactIndex(rev: number): Compaction {
    const keep = new Set<string>();
    for (const ki of this.s.index.values()) {
      ki.compact(rev, keep);
      if (ki.isEmpty()) this.s.index.delete(ki.key);
    }
    this.s.compactMainRev = rev;
    const c = { rev, keep };
    this.physicalPending = c;
    return c;
  }

  private schedulePhysical(c: Compaction): void {
    this.physicalChain = this.physicalChain
      .then(() => this.physicalCompact(c))
      .catch((e: unknown) => {
        this.physicalError = e;
      });
  }

  /** Delete from the backend the history compaction dropped, then record it finished. */
  private async physicalCompact(c: Compaction): Promise<void> {
    if (this.closed) return;
    const cur = this.s.backend.scan('key', Buffer.alloc(0), encodeRevision({ main: c.rev + 1, sub: 0 }));
    try {
      for (;;) {
        const entries = await cur.next(SCAN_CHUNK);
        if (entries.length === 0) break;
        const dels = entries
          .filter((e) => !c.keep.has(revisionId(decodeRevision(e.key))))
          .map((e) => ({ bucket: 'key' as const, key: e.key, value: null }));
        if (failpointsSet && dels.length > 0) await failpoint('compactBeforeCommitBatch');
        if (dels.length > 0) await this.s.backend.writeDirect(dels);
        if (failpointsSet && dels.length > 0) await failpoint('compactAfterCommitBatch');
      }
    } finally {
      await cur.close();
    }
    if (failpointsSet) await failpoint('compactBeforeSetFinished');
    await this.s.backend.writeDirect([
      { bucket: 'meta', key: META_FINISHED_COMPACT, value: encodeRevision({ main: c.rev, sub: 0 }) },
    ]);
    if (failpointsSet) await failpoint('compactAfterSetFinished');
    if (this.physicalPending === c) this.physicalPending = null;
  }

  /** Resolves when every committed compaction has been physically carried out. */
  async compactionSettled(): Promise<void> {
    await this.physicalChain;
  }

  // ---------------------------------------------------------------- leases

  applyLeaseGrant(id: LeaseId, ttl: number): Lease {
    this.beginApply();
    try {
      if (id === 0n) throw mvccErrors.leaseNotFound();
      if (ttl > MAX_LEASE_TTL) throw mvccErrors.leaseTTLTooLarge();
      if (this.s.lessor.has(id)) throw mvccErrors.leaseExist();
      const lease: Lease = { id, ttl, remainingTtl: 0 };
      this.s.lessor.add(lease);
      this.s.backend.put('lease', encodeLeaseKey(id), encodeLease(lease));
      return { ...lease };
    } finally {
      this.applying = false;
    }
  }

  async applyLeaseRevoke(id: LeaseId): Promise<ResponseHeader> {
    this.beginApply();
    try {
      if (!this.s.lessor.has(id)) throw mvccErrors.leaseNotFound();
      const keys = this.s.lessor.keysOf(id);
      this.inWriteTxn((txn) => {
        for (const k of keys) txn.deleteRange(keyRange(Buffer.from(k, 'latin1'), Buffer.alloc(0)));
      });
      this.s.lessor.remove(id);
      this.s.backend.delete('lease', encodeLeaseKey(id));
      return { revision: this.s.currentRev };
    } finally {
      this.applying = false;
    }
  }

  applyLeaseCheckpoint(id: LeaseId, remainingTtl: number): void {
    this.beginApply();
    try {
      const lease = this.s.lessor.setRemainingTtl(id, remainingTtl);
      if (lease) this.s.backend.put('lease', encodeLeaseKey(id), encodeLease(lease));
    } finally {
      this.applying = false;
    }
  }

  // ---------------------------------------------------------------- persistence

  setConsistentIndex(index: number, term: number): void {
    if (index < this.ci) throw new Error(`mvcc: consistent index going back from ${this.ci} to ${index}`);
    this.ci = index;
    this.term = term;
    this.ciDirty = true;
  }

  /**
   * Persist, in one atomic batch, everything applied since the last commit plus the consistent index.
   * `batched`: the batch may wait a few milliseconds for later applies to join it (Backend.commit).
   */
  async commit(opts: { batched?: boolean } = {}): Promise<void> {
    await this.commitWith(false, opts.batched ?? false);
  }

  private async commitWith(sync: boolean, batched = false): Promise<void> {
    this.assertOpen();
    if (this.physicalError) throw this.physicalError;
    if (this.ciDirty) {
      this.s.backend.put('meta', META_CONSISTENT_INDEX, u64(this.ci));
      this.s.backend.put('meta', META_TERM, u64(this.term));
      this.ciDirty = false;
      this.ciRecorded = true;
    }
    const compactions = this.awaitingCommit;
    this.awaitingCommit = [];
    try {
      await this.s.backend.commit({ sync, batched });
    } catch (e) {
      this.awaitingCommit = compactions.concat(this.awaitingCommit);
      this.ciDirty = true;
      throw e;
    }
    for (const c of compactions) this.schedulePhysical(c);
  }

  /**
   * commit(), fsynced: afterwards a crash, even a power loss, cannot take the store's consistent index
   * below what it is now. The server calls it before purging WAL records the store no longer needs.
   */
  async commitDurably(): Promise<void> {
    // The consistent index is written again so the batch is never empty: an empty one syncs nothing.
    this.ciDirty = true;
    await this.commitWith(true);
  }

  // ---------------------------------------------------------------- hashes

  /** A consistent view of the key bucket up to rev, with what pending compaction dropped left out. */
  private hashView(rev: number): { cursor: ReturnType<Backend['scan']>; dropped: Compaction | null } {
    const upper = encodeRevision({ main: Math.max(0, rev + 1), sub: 0 });
    return { cursor: this.s.backend.scan('key', Buffer.alloc(0), upper), dropped: this.physicalPending };
  }

  private async hashScan(view: ReturnType<MvccStore['hashView']>, hasher: KvHasher): Promise<number> {
    try {
      for (;;) {
        const entries = await view.cursor.next(SCAN_CHUNK);
        if (entries.length === 0) break;
        for (const e of entries) {
          if (view.dropped && this.droppedBy(view.dropped, e.key)) continue;
          hasher.write(e.key, e.value);
        }
      }
    } finally {
      await view.cursor.close();
    }
    return hasher.digest();
  }

  private droppedBy(c: Compaction, revKey: Buffer): boolean {
    const r = decodeRevision(revKey);
    return r.main <= c.rev && !c.keep.has(revisionId(r));
  }

  /** etcd's HashKV (3.5.16+/3.6 semantics); revision 0 means the current revision. */
  async hashKV(revision: number): Promise<HashKVResult> {
    this.assertOpen();
    const cur = this.s.currentRev;
    const cached = this.hashCache.find((h) => h.revision === revision);
    if (cached) {
      return {
        hash: await cached.hash,
        compactRevision: cached.compactRevision,
        hashRevision: revision,
        header: { revision: cur },
      };
    }
    const compactRev = this.s.compactMainRev;
    if (revision > 0 && revision < compactRev) throw mvccErrors.compacted();
    if (revision > 0 && revision > cur) throw mvccErrors.futureRev();
    const at = revision === 0 ? cur : revision;
    const keep = new Set<string>();
    for (const ki of this.s.index.values()) ki.keep(at, keep);
    const hash = await this.hashScan(this.hashView(at), new KvHasher(compactRev, at, keep));
    return { hash, compactRevision: compactRev, hashRevision: at, header: { revision: cur } };
  }

  /** Maintenance.Hash: CRC-32C over every bucket's name and entries, minus the per-member meta keys. */
  async hash(): Promise<number> {
    this.assertOpen();
    await this.physicalChain;
    const crc = new Crc32c();
    const dropped = this.physicalPending;
    for (const bucket of BUCKETS) {
      crc.update(Buffer.from(bucket));
      const cur = this.s.backend.scan(bucket, Buffer.alloc(0), null);
      try {
        for (;;) {
          const entries = await cur.next(SCAN_CHUNK);
          if (entries.length === 0) break;
          for (const e of entries) {
            if (bucket === 'meta' && (e.key.equals(META_CONSISTENT_INDEX) || e.key.equals(META_TERM) || e.key.equals(META_STORAGE_VERSION))) continue;
            if (bucket === 'key' && dropped && this.droppedBy(dropped, e.key)) continue;
            crc.update(e.key);
            crc.update(e.value);
          }
        }
      } finally {
        await cur.close();
      }
    }
    return crc.digest();
  }

  // ---------------------------------------------------------------- history for watchers

  private async readHistory(
    fromRev: number,
    toRev: number,
    maxEntries: number,
  ): Promise<{ batches: HistoryBatch[]; nextRev: number }> {
    const dropped = this.physicalPending;
    const cur = this.s.backend.scan('key', encodeRevision({ main: fromRev, sub: 0 }), encodeRevision({ main: toRev + 1, sub: 0 }));
    const batches: HistoryBatch[] = [];
    let seen = 0;
    try {
      for (;;) {
        const entries = await cur.next(SCAN_CHUNK);
        if (entries.length === 0) return { batches, nextRev: toRev + 1 };
        for (const e of entries) {
          const rev = decodeRevision(e.key);
          const last = batches[batches.length - 1];
          if (!last || last.rev !== rev.main) {
            // Stop only at a revision boundary, so every batch holds a whole revision.
            if (seen >= maxEntries) return { batches, nextRev: rev.main };
            batches.push({ rev: rev.main, events: [] });
          }
          seen++;
          if (dropped && this.droppedBy(dropped, e.key)) continue;
          if (e.value.length === 0) continue; // a revision-bump marker, not a change
          const kv = decodeKeyValue(e.value);
          batches[batches.length - 1]!.events.push(
            isTombstoneKey(e.key)
              ? { type: 'DELETE', kv: { ...kv, modRevision: rev.main }, prevKv: null }
              : { type: 'PUT', kv, prevKv: null },
          );
        }
      }
    } finally {
      await cur.close();
    }
  }

  // ---------------------------------------------------------------- sizes and lifecycle

  dbSize(): Promise<number> {
    return this.s.backend.size();
  }

  dbSizeInUse(): Promise<number> {
    return this.s.backend.sizeInUse();
  }

  async defragment(): Promise<void> {
    await this.physicalChain;
    if (failpointsSet) await failpoint('defragBeforeCompact');
    await this.s.backend.compactAll();
    if (failpointsSet) await failpoint('defragAfterCompact');
  }

  /** Commit what was applied, let background compaction finish, and close the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.commit();
    } finally {
      await this.physicalChain;
      await Promise.allSettled(this.hashCache.map((h) => h.hash));
      this.closed = true;
      await this.s.backend.close();
    }
  }

  private assertOpen(): void {
    // A closed store is a member stopping or swapping in a snapshot: clients should retry elsewhere.
    if (this.closed) throw mvccErrors.closed();
  }
}

/** etcd's isTxnReadonly: every op of both branches is a range (a nested txn counts as a write). */
export function isReadOnlyTxn(req: TxnRequest): boolean {
  return [...req.success, ...req.failure].every((op) => 'range' in op);
}
