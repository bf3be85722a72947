// Watchers over the store's event stream (etcd's watchable_store.go). A synced watcher receives each
// revision's events as they are applied; an unsynced one (started in the past, or congested) is
// caught up from history in bounded chunks by a background task and then joins the synced group.
// Synced watchers are grouped by key (single-key watches) and by identical range, so an apply costs
// O(events x (matching watchers + distinct ranges)), independent of the number of watchers.

import { inKeyRange, keyRange, type KeyRange } from './kvState.js';
import type { KeyValue, MvccEvent } from './types.js';

export interface WatchOptions {
  key: Buffer;
  rangeEnd: Buffer;
  /** 0: from the next revision. */
  startRevision: number;
  prevKv: boolean;
  /** Drop PUT events. */
  filterPut: boolean;
  /** Drop DELETE events. */
  filterDelete: boolean;
}

export interface WatchSink {
  /**
   * All events of one revision arrive in one call, revisions ascending, never twice, never a gap.
   * The events passed are delivered whatever the result; false means "congested": no more live
   * pushes until resume(), after which the watcher is caught up from history.
   */
  send(events: MvccEvent[]): boolean;
  /** startRevision is below the compact revision: called once instead of any events; the watch is over. */
  compacted(compactRevision: number): void;
  /**
   * Whether the sink can take events now (absent: always). When it cannot, nothing is handed to it:
   * the watcher waits for resume() and then reads what it missed from history, so a sink whose
   * consumer does not read never accumulates events in memory.
   */
  ready?(): boolean;
}

export interface Watcher {
  readonly id: number;
  isSynced(): boolean;
  resume(): void;
  cancel(): void;
}

export interface HistoryBatch {
  rev: number;
  /** Events of the revision without prevKv. */
  events: MvccEvent[];
}

/** What the watchable store needs from the store. */
export interface HistorySource {
  currentRevision(): number;
  /** etcd's compactMainRev (-1 before any compaction). */
  compactRevision(): number;
  /**
   * Whole revisions in [fromRev, toRev], stopping after about maxEntries entries. nextRev is the
   * first revision not yet covered.
   */
  readHistory(fromRev: number, toRev: number, maxEntries: number): Promise<{ batches: HistoryBatch[]; nextRev: number }>;
  /** The key's kv as of rev, or null (absent or compacted). */
  kvAt(key: Buffer, rev: number): Promise<KeyValue | null>;
}

type State = 'synced' | 'unsynced' | 'congested' | 'done';

/** Default history entries read per catch-up step. */
export const HISTORY_CHUNK = 1000;

/**
 * At most this many watchers read history at once (each read holds up to a chunk of entries): a
 * stream whose consumer drains after a long pause resumes all its watchers together, and without a
 * bound their reads would all be in memory at the same time. The rest wait their turn, in order.
 */
export const MAX_CONCURRENT_CATCH_UPS = 16;

class WatcherImpl implements Watcher {
  state: State = 'unsynced';
  /** The next revision this watcher has not yet been given. */
  minRev = 0;
  catchingUp = false;
  readonly range: KeyRange;
  readonly rangeId: string;

  constructor(
    readonly id: number,
    readonly opts: WatchOptions,
    readonly sink: WatchSink,
    /** The store serving it; a snapshot install hands it to the store that replaces this one. */
    public store: WatchableStore,
  ) {
    this.range = keyRange(Buffer.from(opts.key), Buffer.from(opts.rangeEnd));
    this.rangeId = `${opts.key.toString('hex')}:${opts.rangeEnd.toString('hex')}`;
  }

  isSynced(): boolean {
    return this.state === 'synced';
  }

  resume(): void {
    this.store.resumeWatcher(this);
  }

  cancel(): void {
    this.store.cancelWatcher(this);
  }

  /** Filtering and prevKv as etcd's watch server applies them. */
  select(events: MvccEvent[], withPrevKv: boolean): MvccEvent[] {
    const out: MvccEvent[] = [];
    for (const ev of events) {
      if (!inKeyRange(this.range, ev.kv.key)) continue;
      if (ev.type === 'PUT' ? this.opts.filterPut : this.opts.filterDelete) continue;
      out.push(withPrevKv && this.opts.prevKv ? ev : { type: ev.type, kv: ev.kv, prevKv: null });
    }
    return out;
  }
}

export class WatchableStore {
  private nextId = 1;
  private readonly singles = new Map<string, Set<WatcherImpl>>();
  private readonly ranges = new Map<string, { range: KeyRange; watchers: Set<WatcherImpl> }>();
  private syncedCount = 0;
  private catchUpsRunning = 0;
  private readonly catchUpQueue: WatcherImpl[] = [];
  /** Every watcher not yet done, whatever its state: what handOver() moves. */
  private readonly live = new Set<WatcherImpl>();
  /** Watchers taken off this store by detachAll(), waiting for the next store's adopt(). */
  private detached: WatcherImpl[] | null = null;
  /** Called when a sink throws; the watcher is cancelled. */
  onSinkError: (err: unknown, watcherId: number) => void = (err, id) => {
    console.error(`mvcc: watch sink ${id} threw; watcher cancelled`, err);
  };

  constructor(
    private readonly source: HistorySource,
    private readonly historyChunk = HISTORY_CHUNK,
  ) {
    if (!(historyChunk >= 1)) throw new Error(`mvcc: history chunk must be >= 1, got ${historyChunk}`);
  }

  get syncedWatchers(): number {
    return this.syncedCount;
  }

  watch(opts: WatchOptions, sink: WatchSink): Watcher {
    const w = new WatcherImpl(this.nextId++, opts, sink, this);
    const cur = this.source.currentRevision();
    if (this.detached !== null) {
      // A snapshot is replacing this store: the next store serves this watch from where it starts.
      w.minRev = opts.startRevision === 0 ? cur + 1 : opts.startRevision;
      w.state = 'unsynced';
      this.detached.push(w);
      return w;
    }
    this.live.add(w);
    if (opts.startRevision === 0 || opts.startRevision > cur) {
      w.minRev = opts.startRevision === 0 ? cur + 1 : opts.startRevision;
      this.addSynced(w);
    } else {
      w.minRev = opts.startRevision;
      w.state = 'unsynced';
      this.startCatchUp(w);
    }
    return w;
  }

  /** The store calls this once per changed revision, synchronously within the apply. */
  notify(rev: number, events: MvccEvent[]): void {
    const targets = new Set<WatcherImpl>();
    for (const ev of events) {
      const single = this.singles.get(ev.kv.key.toString('latin1'));
      if (single) for (const w of single) targets.add(w);
    }
    for (const group of this.ranges.values()) {
      if (events.some((ev) => inKeyRange(group.range, ev.kv.key))) for (const w of group.watchers) targets.add(w);
    }
    for (const w of targets) {
      // minRev only matters for a watch that starts in the future; a synced watcher has all before rev.
      if (w.state !== 'synced' || rev < w.minRev) continue;
      const evs = w.select(events, true);
      if (evs.length === 0) {
        w.minRev = rev + 1;
        continue;
      }
      if (w.sink.ready?.() === false) {
        // Not delivered: minRev stays at rev, so the catch-up after resume() starts with these events.
        this.removeSynced(w);
        w.state = 'congested';
        continue;
      }
      w.minRev = rev + 1;
      let ok: boolean;
      try {
        ok = w.sink.send(evs);
      } catch (e) {
        this.cancelWatcher(w);
        this.onSinkError(e, w.id);
        continue;
      }
      if (!ok && w.state === 'synced') {
        this.removeSynced(w);
        w.state = 'congested';
      }
    }
  }

  resumeWatcher(w: WatcherImpl): void {
    if (w.state !== 'congested') return;
    w.state = 'unsynced';
    this.startCatchUp(w);
  }

  cancelWatcher(w: WatcherImpl): void {
    if (w.state === 'synced') this.removeSynced(w);
    w.state = 'done';
    this.live.delete(w);
  }

  /**
   * A snapshot is about to replace this store: every live watcher stops being served here (synced
   * ones become unsynced at the revision they reached). adopt() on the new store takes them over.
   */
  detachAll(): void {
    if (this.detached !== null) throw new Error('invariant: watchers detached twice');
    this.detached = [];
    for (const w of this.live) {
      if (w.state === 'synced') {
        this.removeSynced(w);
        w.state = 'unsynced';
      }
      this.detached.push(w);
    }
    this.live.clear();
    // Queued catch-ups never started here; the next store's adopt() starts them afresh.
    for (const w of this.catchUpQueue.splice(0)) w.catchingUp = false;
  }

  /**
   * Serves the watchers `previous` detached (etcd's watchableStore restore): each catches up from the
   * revision it reached, through this store's history, so none misses the revisions the snapshot
   * jumped over, and one below this store's compaction is cancelled with its compact revision.
   */
  adopt(previous: WatchableStore): void {
    const moving = previous.detached;
    if (moving === null) throw new Error('invariant: adopting watchers that were not detached');
    previous.detached = [];
    for (const w of moving) {
      if (w.state === 'done') continue;
      w.store = this;
      this.live.add(w);
      // A congested watcher waits for resume(); one still in the old store's catch-up loop is handed
      // to this store's when that loop sees it moved.
      if (w.state === 'unsynced') this.startCatchUp(w);
    }
  }

  private addSynced(w: WatcherImpl): void {
    w.state = 'synced';
    this.syncedCount++;
    if (w.range.single) {
      const id = w.range.from.toString('latin1');
      let set = this.singles.get(id);
      if (!set) this.singles.set(id, (set = new Set()));
      set.add(w);
    } else {
      let g = this.ranges.get(w.rangeId);
      if (!g) this.ranges.set(w.rangeId, (g = { range: w.range, watchers: new Set() }));
      g.watchers.add(w);
    }
  }

  private removeSynced(w: WatcherImpl): void {
    this.syncedCount--;
    if (w.range.single) {
      const id = w.range.from.toString('latin1');
      const set = this.singles.get(id);
      set?.delete(w);
      if (set?.size === 0) this.singles.delete(id);
    } else {
      const g = this.ranges.get(w.rangeId);
      g?.watchers.delete(w);
      if (g?.watchers.size === 0) this.ranges.delete(w.rangeId);
    }
  }

  private startCatchUp(w: WatcherImpl): void {
    // A detached store serves no one; restarting here would spin (the loop exits at once) forever.
    if (w.catchingUp || this.detached !== null) return;
    w.catchingUp = true;
    if (this.catchUpsRunning >= MAX_CONCURRENT_CATCH_UPS) {
      this.catchUpQueue.push(w);
      return;
    }
    this.runCatchUp(w);
  }

  private runCatchUp(w: WatcherImpl): void {
    this.catchUpsRunning++;
    this.catchUp(w)
      .catch((e: unknown) => {
        // A watcher handed to another store: this store's history may be closed under the read.
        if (w.store !== this || this.detached !== null) return;
        this.cancelWatcher(w);
        this.onSinkError(e, w.id);
      })
      .finally(() => {
        this.catchUpsRunning--;
        w.catchingUp = false;
        // resume() may have arrived while the task was winding down, or the watcher moved stores.
        if (w.state === 'unsynced' && w.store.live.has(w)) w.store.startCatchUp(w);
        this.startQueuedCatchUp();
      });
  }

  private startQueuedCatchUp(): void {
    while (this.catchUpsRunning < MAX_CONCURRENT_CATCH_UPS && this.catchUpQueue.length > 0) {
      const next = this.catchUpQueue.shift()!;
      if (!next.catchingUp) throw new Error(`invariant: queued watcher ${next.id} is not marked as catching up`);
      if (next.state === 'unsynced' && next.store === this && this.detached === null) this.runCatchUp(next);
      else next.catchingUp = false; // cancelled or congested while it waited
    }
  }

  private async catchUp(w: WatcherImpl): Promise<void> {
    // Yield first so watch() returns before any callback runs.
    await Promise.resolve();
    for (let rounds = 0; w.state === 'unsynced' && w.store === this && this.detached === null; rounds++) {
      const compactRev = this.source.compactRevision();
      if (w.minRev < compactRev) {
        w.state = 'done';
        w.sink.compacted(compactRev);
        return;
      }
      const cur = this.source.currentRevision();
      if (w.minRev > cur) {
        // No await between this check and joining the group: no apply can slip in between.
        this.addSynced(w);
        return;
      }
      if (w.sink.ready?.() === false) {
        // Reading history for a sink that cannot take it would only hold it in memory.
        w.state = 'congested';
        return;
      }
      const { batches, nextRev } = await this.source.readHistory(w.minRev, cur, this.historyChunk);
      if (w.store !== this || this.detached !== null) return;
      if (nextRev <= w.minRev) throw new Error(`mvcc: history read made no progress at ${w.minRev}`);
      // A compaction that ran during the read may have removed part of what we were reading.
      if (w.minRev < this.source.compactRevision()) continue;
      for (const b of batches) {
        if (w.state !== 'unsynced' || w.store !== this || this.detached !== null) return;
        const evs = w.select(b.events, false);
        if (w.opts.prevKv) {
          for (const ev of evs) {
            const isCreate = ev.type === 'PUT' && ev.kv.createRevision === ev.kv.modRevision;
            ev.prevKv = isCreate ? null : await this.source.kvAt(ev.kv.key, ev.kv.modRevision - 1);
          }
        }
        if (w.state !== 'unsynced' || w.store !== this || this.detached !== null) return;
        if (evs.length > 0 && w.sink.ready?.() === false) {
          w.state = 'congested'; // minRev stays at b.rev: these events are read again after resume()
          return;
        }
        w.minRev = b.rev + 1;
        if (evs.length > 0 && !w.sink.send(evs)) {
          w.state = 'congested';
          return;
        }
      }
      w.minRev = Math.max(w.minRev, nextRev);
      // Let applies and other watchers run between chunks.
      if (rounds % 4 === 3) await new Promise<void>((r) => setImmediate(r));
    }
  }
}
