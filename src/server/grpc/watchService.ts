// etcdserverpb.Watch: one session per gRPC stream, many watches per session, as etcd's v3rpc/watch.go.
// Ordering rule: everything the store hands a watch is written to the stream in order, so a progress
// notification written after it can never announce a revision before its events were sent.
//
// Bounds (a client that does not read its responses must not grow the member): once the stream's
// send buffer is full (grpc-js's write() says false: 16 responses queued, the HTTP/2 window closed),
// the session is congested until it drains. While congested it hands watchers nothing (they wait and
// catch up from history once it drains, etcd's slow-watcher path) and it stops reading the stream's
// requests, so HTTP/2 flow control holds the client's further creates back (etcd's recvLoop blocks on
// its full control channel the same way).
import type * as grpc from '@grpc/grpc-js';
import type { MvccEvent } from '../../mvcc/types.js';
import type { Watcher } from '../../mvcc/watchableStore.js';
import * as convert from '../proto/convert.js';
import type { WatchHandlers } from '../proto/handlers.js';
import type * as pb from '../proto/messages.js';
import type { MemberContext } from './context.js';

/** clientv3.InvalidWatchID: the ID of a broadcast progress notification and of failed creates. */
const INVALID_WATCH_ID = '-1';

interface WatchState {
  watcher: Watcher | null;
  progressNotify: boolean;
  fragment: boolean;
  /** Events were sent since the last periodic progress tick: no progress notification needed. */
  recentlyActive: boolean;
}

/** May this stream's caller watch [key, rangeEnd)? Decided once per create request (auth). */
export type WatchPermit = (stream: grpc.ServerDuplexStream<pb.WatchRequest, pb.WatchResponse>) => (key: Buffer, rangeEnd: Buffer) => boolean;

const everyone: WatchPermit = () => () => true;

/** etcd's cancel reason for a create outside the caller's permissions (the gRPC error's text). */
const PERMISSION_DENIED_REASON = 'rpc error: code = PermissionDenied desc = etcdserver: permission denied';

export function watchService(ctx: MemberContext, permit: WatchPermit = everyone): WatchHandlers {
  return {
    Watch: (stream: grpc.ServerDuplexStream<pb.WatchRequest, pb.WatchResponse>) => new WatchSession(ctx, stream, permit(stream)),
  };
}

class WatchSession {
  private readonly watches = new Map<number, WatchState>();
  private nextId = 0;
  private closed = false;
  /** The send buffer is full: nothing more is queued for watchers, and requests are not read. */
  private congested = false;
  private readonly progressTimer: NodeJS.Timeout;

  constructor(
    private readonly ctx: MemberContext,
    private readonly stream: grpc.ServerDuplexStream<pb.WatchRequest, pb.WatchResponse>,
    private readonly permitted: (key: Buffer, rangeEnd: Buffer) => boolean,
  ) {
    stream.on('data', (req: pb.WatchRequest) => this.onRequest(req));
    stream.on('end', () => this.close(true));
    stream.on('error', () => this.close(false));
    stream.on('cancelled', () => this.close(false));
    stream.on('drain', () => {
      if (this.closed) return;
      this.congested = false;
      stream.resume();
      for (const w of this.watches.values()) w.watcher?.resume();
    });
    this.progressTimer = setInterval(() => this.periodicProgress(), ctx.progressNotifyIntervalMs);
    this.progressTimer.unref();
  }

  private write(resp: pb.WatchResponse): boolean {
    if (this.closed) return false;
    const ok = this.stream.write(resp);
    if (!ok && !this.congested) {
      this.congested = true;
      this.stream.pause();
    }
    return ok;
  }

  private response(watchId: number | string, fields: Partial<pb.WatchResponse>): pb.WatchResponse {
    return {
      header: this.ctx.header(),
      watch_id: String(watchId),
      created: false,
      canceled: false,
      compact_revision: '0',
      cancel_reason: '',
      fragment: false,
      events: [],
      ...fields,
    };
  }

  private onRequest(req: pb.WatchRequest): void {
    if (this.closed) return;
    switch (req.request_union) {
      case 'create_request':
        this.create(req.create_request);
        return;
      case 'cancel_request':
        this.cancel(Number(req.cancel_request.watch_id));
        return;
      case 'progress_request':
        this.progressAll();
        return;
      default:
        return;
    }
  }

  private create(creq: pb.WatchCreateRequest): void {
    if (!this.permitted(creq.key, creq.range_end)) {
      this.write(this.response(INVALID_WATCH_ID, { created: true, canceled: true, cancel_reason: PERMISSION_DENIED_REASON }));
      return;
    }
    // etcd: an empty key means the smallest key, \0; a range_end of \0 means "every key from key on".
    const key = creq.key.length === 0 ? Buffer.from([0]) : creq.key;
    const startRevision = Number(creq.start_revision);
    const requestedId = Number(creq.watch_id);
    let id: number;
    if (requestedId === 0) {
      while (this.watches.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.watches.has(requestedId) || requestedId < 0) {
      this.write(
        this.response(INVALID_WATCH_ID, {
          created: true,
          canceled: true,
          cancel_reason: 'mvcc: duplicate watch ID provided on the WatchStream',
        }),
      );
      return;
    } else {
      id = requestedId;
    }
    const state: WatchState = { watcher: null, progressNotify: creq.progress_notify, fragment: creq.fragment, recentlyActive: false };
    let compacted = false;
    // The created response must precede any event of this watch.
    this.write(this.response(id, { created: true }));
    state.watcher = this.ctx.store.watchable.watch(
      {
        key,
        rangeEnd: creq.range_end,
        startRevision: startRevision > 0 ? startRevision : 0,
        prevKv: creq.prev_kv,
        filterPut: creq.filters.includes('NOPUT'),
        filterDelete: creq.filters.includes('NODELETE'),
      },
      {
        send: (events: MvccEvent[]) => this.sendEvents(id, state, events),
        ready: () => !this.congested && !this.closed,
        compacted: (compactRevision: number) => {
          // Below the compact revision: created, then cancelled with the compact revision (etcd).
          compacted = true;
          this.watches.delete(id);
          this.write(this.response(id, { canceled: true, compact_revision: String(compactRevision) }));
        },
      },
    );
    if (!compacted) this.watches.set(id, state);
  }

  private sendEvents(id: number, state: WatchState, events: MvccEvent[]): boolean {
    state.recentlyActive = true;
    const pbEvents = events.map((e) => convert.eventToProto(e));
    const whole = this.response(id, { events: pbEvents });
    if (!state.fragment || pbEvents.length < 2) return this.write(whole);
    return this.sendFragments(whole);
  }

  // etcd's sendFragments: split a large response into several, each under --max-request-bytes (but
  // with at least one event), all but the last marked fragment.
  private sendFragments(whole: pb.WatchResponse): boolean {
    const limit = this.ctx.limits.maxRequestBytes;
    const sizeOf = (e: pb.Event) => 32 + (e.kv ? e.kv.key.length + e.kv.value.length : 0) + (e.prev_kv ? e.prev_kv.key.length + e.prev_kv.value.length : 0);
    const total = whole.events.reduce((n, e) => n + sizeOf(e), 64);
    if (total < limit) return this.write(whole);
    let ok = true;
    let i = 0;
    while (i < whole.events.length) {
      const chunk: pb.Event[] = [];
      let size = 64;
      while (i < whole.events.length) {
        const s = sizeOf(whole.events[i]!);
        if (chunk.length > 0 && size + s >= limit) break;
        chunk.push(whole.events[i]!);
        size += s;
        i++;
      }
      ok = this.write({ ...whole, events: chunk, fragment: i < whole.events.length }) && ok;
    }
    return ok;
  }

  private cancel(id: number): void {
    const state = this.watches.get(id);
    if (!state) return; // etcd answers nothing for an unknown ID
    state.watcher?.cancel();
    this.watches.delete(id);
    this.write(this.response(id, { canceled: true }));
  }

  /** A requested progress: one broadcast (watch_id -1), only when every watch here is in sync. */
  private progressAll(): void {
    for (const w of this.watches.values()) if (!w.watcher?.isSynced()) return;
    this.write(this.response(INVALID_WATCH_ID, {}));
  }

  private periodicProgress(): void {
    // A congested stream gets no progress notifications: its watchers are catching up anyway.
    if (this.congested) return;
    for (const [id, w] of this.watches) {
      if (!w.progressNotify) continue;
      if (w.recentlyActive) {
        w.recentlyActive = false;
        continue;
      }
      if (w.watcher?.isSynced()) this.write(this.response(id, {}));
    }
  }

  private close(ended: boolean): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.progressTimer);
    for (const w of this.watches.values()) w.watcher?.cancel();
    this.watches.clear();
    if (ended) this.stream.end();
  }
}
