import type { WatchResponse } from '../../../src/server/proto/messages.js';
import type { WatchEvent, WatchRequestRecord, WatchStream } from '../watch/types.js';
import type { RunClock } from './clock.js';
import { type MemberClient, toKvView } from './etcdClient.js';

/*
 * Keeps one watch open on a range for a whole run and records every response. When the stream breaks
 * (its member died, paused past the deadline, lost its leader) it opens a new stream from the revision
 * after the last one it was told about, as a client resuming a watch does, and records that as a new
 * stream. It asks for progress notifications now and then, so "bookmarkable" is exercised.
 */

export interface WatchRecorderOptions {
  id: string;
  key: string;
  rangeEnd: string;
  prevKv: boolean;
  startRevision: number;
  /** Client to watch through; called again after each break (the member may have changed). */
  client: () => MemberClient;
  clock: RunClock;
  progressEveryMs: number;
}

const REOPEN_DELAY_MS = 250;
const MAX_STREAMS = 500;

export class WatchRecorder {
  readonly streams: WatchStream[] = [];
  /** The highest revision this recorder has seen every event up to. */
  vouchedRevision: number;
  compacted = false;
  private stopped = false;
  private current: { cancel(): void } | null = null;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: WatchRecorderOptions) {
    this.vouchedRevision = options.startRevision - 1;
  }

  start(): void {
    if (this.loop !== null) throw new Error('invariant: watch recorder started twice');
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.cancel();
    await this.loop;
  }

  /** Waits (bounded) until every event up to `revision` has arrived. */
  async waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.vouchedRevision < revision && Date.now() < deadline && !this.compacted) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.vouchedRevision >= revision;
  }

  private async run(): Promise<void> {
    for (let n = 0; n < MAX_STREAMS && !this.stopped && !this.compacted; n++) {
      await this.oneStream(n);
      if (!this.stopped) await new Promise((r) => setTimeout(r, REOPEN_DELAY_MS));
    }
  }

  private oneStream(n: number): Promise<void> {
    const o = this.options;
    const request: WatchRequestRecord = { key: o.key, rangeEnd: o.rangeEnd, startRevision: this.vouchedRevision + 1, prevKv: o.prevKv };
    const record: WatchStream = { id: `${o.id}#${n}`, request, responses: [] };
    this.streams.push(record);
    const call = o.client().watchStream();
    return new Promise<void>((resolve) => {
      let done = false;
      const progress = setInterval(() => {
        if (!done) call.write({ progress_request: {}, request_union: 'progress_request' });
      }, o.progressEveryMs);
      const finish = (): void => {
        if (done) return;
        done = true;
        clearInterval(progress);
        call.cancel();
        resolve();
      };
      this.current = { cancel: finish };
      call.on('data', (response: WatchResponse) => {
        const events: WatchEvent[] = response.events.map((e) => {
          if (e.kv === null) throw new Error('invariant: watch event without a kv');
          const event: WatchEvent = { type: e.type, kv: toKvView(e.kv) };
          if (o.prevKv) event.prevKv = e.prev_kv === null ? null : toKvView(e.prev_kv);
          return event;
        });
        const headerRevision = Number(response.header?.revision ?? 0);
        const progressNotify = events.length === 0 && !response.created && !response.canceled;
        record.responses.push({
          receivedAt: o.clock.now(),
          headerRevision,
          events,
          ...(response.created ? { created: true } : {}),
          ...(response.canceled ? { canceled: true } : {}),
          ...(response.compact_revision !== '0' ? { compactRevision: Number(response.compact_revision) } : {}),
          ...(progressNotify ? { progressNotify: true } : {}),
        });
        const lastEvent = events.length > 0 ? events[events.length - 1]!.kv.modRevision : 0;
        // Only an event, or a progress notification, vouches for a revision; a header alone does not.
        this.vouchedRevision = Math.max(this.vouchedRevision, lastEvent, progressNotify ? headerRevision : 0);
        if (response.canceled) {
          if (response.compact_revision !== '0') this.compacted = true;
          finish();
        }
      });
      call.on('error', finish);
      call.on('end', finish);
      call.write({
        create_request: {
          key: Buffer.from(o.key), range_end: Buffer.from(o.rangeEnd), start_revision: String(request.startRevision),
          prev_kv: o.prevKv, progress_notify: true, filters: [], watch_id: '0', fragment: false,
        },
        request_union: 'create_request',
      });
    });
  }
}
