// A real etcd client library (the etcd3 npm package, which ships etcd's own .proto files) against a
// grpc-js server built from capstan's service definitions and converters, on loopback. It proves the
// method paths, field numbers and oneof shapes agree with etcd's in both directions. The handlers only
// record what arrived and answer fixed values: the store is not what is under test here.
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as convert from '../../../src/server/proto/convert.js';
import type { KVHandlers, WatchHandlers } from '../../../src/server/proto/handlers.js';
import { KVService, WatchService } from '../../../src/server/proto/load.js';
import type * as pb from '../../../src/server/proto/messages.js';
import type * as store from '../../../src/mvcc/types.js';

const identity: convert.HeaderIdentity = { clusterId: 0xcdef1234n, memberId: 0xfedcba9876543210n, raftTerm: 3 };
const kv = (key: string, value: string, modRevision: number, lease = 0n): store.KeyValue => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  createRevision: 2,
  modRevision,
  version: 1,
  lease,
});

const received: { put: pb.PutRequest[]; range: pb.RangeRequest[]; txn: pb.TxnRequest[]; watch: pb.WatchRequest[] } = {
  put: [],
  range: [],
  txn: [],
  watch: [],
};

let server: grpc.Server;
let client: Etcd3;

function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

beforeAll(async () => {
  server = new grpc.Server();
  const kvHandlers: Pick<KVHandlers, 'Put' | 'Range' | 'Txn'> = {
    Put(call, done) {
      received.put.push(call.request);
      done(null, convert.putResponseToProto({ header: { revision: 9 }, prevKv: kv('foo', 'old', 4, -5n) }, identity));
    },
    Range(call, done) {
      received.range.push(call.request);
      const kvs = [kv('foo', 'bar', 7), kv('fox', 'baz', 8)];
      done(null, convert.rangeResponseToProto({ header: { revision: 9 }, kvs, more: false, count: kvs.length }, identity));
    },
    Txn(call, done) {
      received.txn.push(call.request);
      const response: store.TxnResponse = {
        header: { revision: 10 },
        succeeded: true,
        responses: [{ put: { header: { revision: 10 }, prevKv: null } }],
      };
      done(null, convert.txnResponseToProto(response, identity));
    },
  };
  server.addService(KVService, kvHandlers);
  const watchHandlers: WatchHandlers = {
    Watch(call) {
      call.on('data', (request: pb.WatchRequest) => {
        received.watch.push(request);
        const header = convert.headerToProto({ revision: 11 }, identity);
        const base = { header, watch_id: '0', created: false, canceled: false, compact_revision: '0', cancel_reason: '', fragment: false };
        if (request.request_union === 'cancel_request') {
          call.write({ ...base, watch_id: request.cancel_request.watch_id, canceled: true, events: [] });
          return;
        }
        if (request.request_union !== 'create_request') return;
        call.write({ ...base, created: true, events: [] });
        const events = [
          convert.eventToProto({ type: 'PUT', kv: kv('foo', 'new', 11), prevKv: null }),
          convert.eventToProto({ type: 'DELETE', kv: kv('foo', '', 12), prevKv: null }),
        ];
        call.write({ ...base, events });
      });
      call.on('end', () => call.end());
    },
  };
  server.addService(WatchService, watchHandlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  client = new Etcd3({ hosts: `http://127.0.0.1:${port}` });
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

describe('the etcd3 client speaks to capstan definitions', () => {
  it('Put: key, value, negative lease and prev_kv arrive; prev_kv and header come back', async () => {
    const previous = await within(10_000, client.put('foo').value('bar').lease('-5').getPrevious(), 'put');
    expect(received.put.at(-1)).toMatchObject({ key: Buffer.from('foo'), value: Buffer.from('bar'), lease: '-5', prev_kv: true });
    expect(previous.value.toString()).toBe('old');
    expect(previous.lease).toBe('-5');
    expect(previous.header.member_id).toBe(0xfedcba9876543210n.toString());
    expect(previous.header.revision).toBe('9');
  });

  it('Range: prefix, limit and sort arrive; kvs come back', async () => {
    const values = await within(10_000, client.getAll().prefix('fo').limit(3).sort('Mod', 'Descend').strings(), 'range');
    expect(values).toEqual({ foo: 'bar', fox: 'baz' });
    const request = received.range.at(-1)!;
    expect(request.key).toEqual(Buffer.from('fo'));
    expect(request.range_end).toEqual(Buffer.from('fp'));
    expect([request.limit, request.sort_order, request.sort_target]).toEqual(['3', 'DESCEND', 'MOD']);
  });

  it('Txn: compare target_union and request ops arrive as etcd encodes them', async () => {
    const result = await within(
      10_000,
      client.if('foo', 'Mod', '>', 3).then(client.put('a').value('b')).else(client.get('x')).commit(),
      'txn',
    );
    expect(result.succeeded).toBe(true);
    expect(result.responses[0]?.response_put?.header?.revision).toBe('10');
    const txn = convert.txnRequestFromProto(received.txn.at(-1)!);
    expect(txn.compare).toEqual([
      {
        result: 'GREATER',
        target: 'MOD',
        key: Buffer.from('foo'),
        rangeEnd: Buffer.alloc(0),
        version: 0,
        createRevision: 0,
        modRevision: 3,
        value: Buffer.alloc(0),
        lease: 0n,
      },
    ]);
    expect(txn.success).toHaveLength(1);
    expect('put' in txn.success[0]! && txn.success[0].put.key.toString()).toBe('a');
    expect('range' in txn.failure[0]! && txn.failure[0].range.key.toString()).toBe('x');
  });

  it('Watch: create request arrives; created, PUT and DELETE events reach the watcher', async () => {
    const watcher = await within(10_000, client.watch().key('foo').create(), 'watch create');
    const seen = within(
      10_000,
      new Promise<Array<[string, string, string]>>((resolve) => {
        const events: Array<[string, string, string]> = [];
        const record = (type: string) => (k: { key: Buffer; mod_revision: string }) => {
          events.push([type, k.key.toString(), k.mod_revision]);
          if (events.length === 2) resolve(events);
        };
        watcher.on('put', record('put'));
        watcher.on('delete', record('delete'));
      }),
      'watch events',
    );
    expect(await seen).toEqual([
      ['put', 'foo', '11'],
      ['delete', 'foo', '12'],
    ]);
    const create = received.watch.find((r) => r.request_union === 'create_request');
    expect(create?.request_union === 'create_request' && create.create_request.key).toEqual(Buffer.from('foo'));
    await within(10_000, watcher.cancel(), 'watch cancel');
    expect(received.watch.some((r) => r.request_union === 'cancel_request' && r.cancel_request.watch_id === '0')).toBe(true);
  });
});
