import type grpc from '@grpc/grpc-js';
import { protoRoot } from '../../src/server/proto/load.js';
import type { LatencySummary } from '../model.js';
import type { Connection } from './connections.js';
import { put } from './kvCalls.js';
import { LatencyRecorder } from './latencyRecorder.js';

/*
 * Watch delivery latency, measured as etcd's `benchmark watch-latency` does: `watchers` watch streams
 * on one key, a writer putting it at a fixed rate, and for every (put, watcher) pair the time from
 * issuing the put to that watcher receiving the event. The put's index travels in the value, so an
 * event is matched to its put even when it arrives before the put's own response.
 */

const WatchRequest = protoRoot.lookupType('etcdserverpb.WatchRequest');
const WatchResponse = protoRoot.lookupType('etcdserverpb.WatchResponse');

interface DecodedWatchResponse {
  created?: boolean;
  canceled?: boolean;
  cancel_reason?: string;
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
const DRAIN_TIMEOUT_MS = 5_000;
const PUT_DEADLINE_MS = 10_000;
const identity = (b: Buffer): Buffer => b;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runWatchLatency(
  connections: readonly Connection[],
  plan: WatchPlan,
): Promise<{ summary: LatencySummary; timedOut: boolean }> {
  const recorder = new LatencyRecorder(plan.puts * plan.watchers);
  const putStart = new Float64Array(plan.puts);
  const streams: grpc.ClientDuplexStream<Buffer, Buffer>[] = [];
  let created = 0;
  let onCreated: (() => void) | null = null;
  let expected = plan.puts * plan.watchers;
  let onAllDelivered: (() => void) | null = null;

  const createRequest = Buffer.from(WatchRequest.encode(WatchRequest.fromObject({ create_request: { key: KEY } })).finish());
  for (let i = 0; i < plan.watchers; i++) {
    const connection = connections[i % connections.length] as Connection;
    const stream = connection.client.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', identity, identity);
    stream.on('data', (data: Buffer) => {
      const now = performance.now();
      const message = WatchResponse.decode(data) as unknown as DecodedWatchResponse;
      if (message.created) {
        created++;
        if (created === plan.watchers) onCreated?.();
      }
      for (const event of message.events ?? []) {
        const value = event.kv?.value;
        if (value === undefined || value.length !== 8) continue;
        const index = Buffer.from(value.buffer, value.byteOffset, 8).readUInt32BE(4);
        const started = putStart[index];
        if (started === undefined || started === 0) throw new Error(`watch-latency: event for put ${index} that was never issued`);
        recorder.record(now - started);
        if (recorder.count === expected) onAllDelivered?.();
      }
    });
    // A stream ends with an error when the run cancels it; that is not a measurement failure.
    stream.on('error', () => undefined);
    stream.write(createRequest);
    streams.push(stream);
  }

  try {
    if (created < plan.watchers) {
      const ready = new Promise<void>((resolve) => { onCreated = resolve; });
      const outcome = await Promise.race([ready.then(() => 'ok' as const), delay(CREATE_TIMEOUT_MS).then(() => 'timeout' as const)]);
      if (outcome === 'timeout') throw new Error(`watch-latency: only ${created}/${plan.watchers} watchers created in ${CREATE_TIMEOUT_MS} ms`);
    }

    const writer = connections[0] as Connection;
    const intervalMs = 1000 / plan.putsPerSecond;
    const started = performance.now();
    const deadline = started + plan.maxSeconds * 1000;
    let timedOut = false;
    let issued = 0;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < plan.puts; i++) {
      const due = started + i * intervalMs;
      const now = performance.now();
      if (now > deadline) {
        timedOut = true;
        break;
      }
      if (due > now) await delay(due - now);
      const value = Buffer.alloc(8);
      value.writeUInt32BE(i, 4);
      putStart[i] = performance.now();
      issued++;
      inFlight.push(put(writer.client, KEY, value, PUT_DEADLINE_MS).then(() => undefined, () => { recorder.errors++; }));
    }
    await Promise.all(inFlight);
    expected = issued * plan.watchers;
    if (recorder.count < expected) {
      const drained = new Promise<void>((resolve) => { onAllDelivered = resolve; });
      const outcome = await Promise.race([drained.then(() => 'ok' as const), delay(DRAIN_TIMEOUT_MS).then(() => 'timeout' as const)]);
      if (outcome === 'timeout') timedOut = true;
    }
    const seconds = (performance.now() - started) / 1000;
    return { summary: recorder.summary(seconds), timedOut };
  } finally {
    for (const stream of streams) stream.cancel();
  }
}
