import type grpc from '@grpc/grpc-js';
import { protoRoot } from '../../src/server/proto/load.js';

/*
 * The unary KV calls the generator makes, encoded with the project's protobufjs types. Responses are
 * not decoded: a call's success is its gRPC status, and decoding would only add client-side CPU.
 */

const PutRequest = protoRoot.lookupType('etcdserverpb.PutRequest');
const RangeRequest = protoRoot.lookupType('etcdserverpb.RangeRequest');
const RangeResponse = protoRoot.lookupType('etcdserverpb.RangeResponse');

const identity = (b: Buffer): Buffer => b;

function unary(client: grpc.Client, method: string, request: Uint8Array, deadlineMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method, identity, identity, Buffer.from(request.buffer, request.byteOffset, request.byteLength),
      { deadline: Date.now() + deadlineMs },
      (err, response) => (err || response === undefined ? reject(err ?? new Error(`${method}: no response`)) : resolve(response)));
  });
}

export function encodePut(key: Buffer, value: Buffer): Uint8Array {
  return PutRequest.encode(PutRequest.fromObject({ key, value })).finish();
}

export function put(client: grpc.Client, key: Buffer, value: Buffer, deadlineMs: number): Promise<Buffer> {
  return unary(client, '/etcdserverpb.KV/Put', encodePut(key, value), deadlineMs);
}

export function encodeRange(key: Buffer, serializable: boolean): Uint8Array {
  return RangeRequest.encode(RangeRequest.fromObject({ key, serializable })).finish();
}

export function range(client: grpc.Client, request: Uint8Array, deadlineMs: number): Promise<Buffer> {
  return unary(client, '/etcdserverpb.KV/Range', request, deadlineMs);
}

/** Number of kvs in an encoded RangeResponse (used once per run, to check the read key exists). */
export function rangeCount(response: Buffer): number {
  const decoded = RangeResponse.toObject(RangeResponse.decode(response), { longs: Number }) as { kvs?: unknown[] };
  return decoded.kvs?.length ?? 0;
}

/** etcd benchmark's sequential key: the index, big-endian, in `size` bytes. */
export function sequentialKey(index: number, size: number): Buffer {
  const key = Buffer.alloc(size);
  let v = index;
  for (let i = size - 1; i >= 0 && v > 0; i--) {
    key[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return key;
}
