import type grpc from '@grpc/grpc-js';
import { protoRoot } from '../../src/server/proto/load.js';
import type { LatencySummary } from '../model.js';
import type { Connection } from './connections.js';
import { put } from './kvCalls.js';
import { LatencyRecorder } from './latencyRecorder.js';

/*
 * Watch delivery latency, defined as etcd's `benchmark watch-latency` defines it
 * (tools/benchmark/cmd/watch_latency.go): `watchers` watch streams on one key; one put at a time, at
 * most `putsPerSecond`; the clock starts when the put's response arrives and stops when each watcher
 * has the event (an event that beat the response counts as 0); the next put waits until every watcher
 * has the last one. The put's index travels in the value, so an event is matched to its put.
 */

const WatchRequest = protoRoot.lookupType('etcdserverpb.WatchRequest');
const WatchResponse = protoRoot.lookupType('etcdserverpb.WatchResponse');

interface DecodedWatchResponse {
  created?: boolean;
  events?: { kv?: { value?: Uint8Array } }[];
}

export interface WatchPlan {
  watchers: number;
  puts: number;
  putsPerSecond: number;
  maxSeconds: number;
}

const KEY = Buffer.from('capstan-bench-watch-latency');
const CREATE_TIMEOUT_MS = 15_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const PUT_DEADLINE_MS = 10_000;
const identity = (b: Buffer): Buffer => b;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `check` holds, polled on `signal` wake-ups, false after `timeoutMs`. */
function waitFor(check: () => boolean, subscribe: (wake: () => void) => void, timeoutMs: number): Promise<boolean> {
  if (check()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(check()), timeoutMs);
    subscribe(() => {
      if (check()) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
}

export async function runWatchLatency(
  connections: readonly Connection[],
  plan: WatchPlan,
): Promise<{ summary: LatencySummary; timedOut: boolean }> {
  const recorder = new LatencyRecorder(plan.puts * plan.watchers);
  const streams: grpc.ClientDuplexStream<Buffer, Buffer>[] = [];
  let created = 0;
  let current = -1;
  let responseAt = 0;
  let delivered = 0;
  /** Receive times of the current put's events that arrived before its response. */
  const early: number[] = [];
  let wake: (() => void) | null = null;

  const createRequest = Buffer.from(WatchRequest.encode(WatchRequest.fromObject({ create_request: { key: KEY } })).finish());
  for (let i = 0; i < plan.watchers; i++) {
    const connection = connections[i % connections.length] as Connection;
    const stream = connection.client.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', identity, identity);
    stream.on('data', (data: Buffer) => {
      const now = performance.now();
      const message = WatchResponse.decode(data) as unknown as DecodedWatchResponse;
      if (message.created) created++;
      for (const event of message.events ?? []) {
        const value = event.kv?.value;
        if (value === undefined || value.length !== 8) continue;
        const index = Buffer.from(value.buffer, value.byteOffset, 8).readUInt32BE(4);
        if (index !== current) throw new Error(`watch-latency: event for put ${index} while put ${current} is current`);
        delivered++;
        if (responseAt === 0) early.push(now);
        else recorder.record(now - responseAt);
      }
      wake?.();
    });
    // A stream ends with an error when the run cancels it; that is not a measurement failure.
    stream.on('error', () => undefined);
    stream.write(createRequest);
    streams.push(stream);
  }

  try {
    if (!(await waitFor(() => created >= plan.watchers, (w) => { wake = w; }, CREATE_TIMEOUT_MS))) {
      throw new Error(`watch-latency: only ${created}/${plan.watchers} watchers created in ${CREATE_TIMEOUT_MS} ms`);
    }
    const writer = connections[0] as Connection;
    const intervalMs = 1000 / plan.putsPerSecond;
    const started = performance.now();
    const deadline = started + plan.maxSeconds * 1000;
    let timedOut = false;
    for (let i = 0; i < plan.puts; i++) {
      const due = started + i * intervalMs;
      if (performance.now() > deadline) {
        timedOut = true;
        break;
      }
      if (due > performance.now()) await delay(due - performance.now());
      current = i;
      responseAt = 0;
      delivered = 0;
      early.length = 0;
      const value = Buffer.alloc(8);
      value.writeUInt32BE(i, 4);
      try {
        await put(writer.client, KEY, value, PUT_DEADLINE_MS);
      } catch {
        recorder.errors++;
        continue;
      }
      responseAt = performance.now();
      for (let e = 0; e < early.length; e++) recorder.record(0);
      if (!(await waitFor(() => delivered >= plan.watchers, (w) => { wake = w; }, DELIVERY_TIMEOUT_MS))) {
        throw new Error(`watch-latency: put ${i} reached ${delivered}/${plan.watchers} watchers in ${DELIVERY_TIMEOUT_MS} ms`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return { summary: recorder.summary(seconds), timedOut };
  } finally {
    for (const stream of streams) stream.cancel();
  }
}
