// Writes a snapshot image to a Maintenance.Snapshot stream as etcd's v3rpc does: 32 KiB chunks with
// the bytes still to come, then one message carrying sha256(image). Honours the stream's backpressure.
import type * as grpc from '@grpc/grpc-js';
import { snapshotMessages } from '../snapshot/stream.js';
import type * as pb from './proto/messages.js';

type SnapshotCall = grpc.ServerWritableStream<pb.SnapshotRequest, pb.SnapshotResponse>;

/** Resolves once the stream can take more, or rejects when the client went away first. */
function drained(call: SnapshotCall): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onGone = () => {
      cleanup();
      reject(new Error('snapshot stream cancelled by the client'));
    };
    const cleanup = () => {
      call.off('drain', onDrain);
      call.off('cancelled', onGone);
      call.off('close', onGone);
    };
    call.on('drain', onDrain);
    call.on('cancelled', onGone);
    call.on('close', onGone);
  });
}

export async function streamSnapshot(call: SnapshotCall, image: Buffer): Promise<void> {
  for (const m of snapshotMessages(image)) {
    if (call.cancelled || call.destroyed) throw new Error('snapshot stream cancelled by the client');
    const more = call.write({ header: null, remaining_bytes: String(m.remainingBytes), blob: m.blob });
    if (!more) await drained(call);
  }
  call.end();
}
