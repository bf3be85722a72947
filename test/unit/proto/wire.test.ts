// Bytes on the wire: what capstan's serializers produce and how they read bytes a Go etcd client
// writes. Expected bytes are worked out by hand from the protobuf encoding rules and etcd's numbers.
import { describe, expect, it } from 'vitest';
import { codecFor, decodeInternalRaftRequest, encodeInternalRaftRequest } from '../../../src/server/proto/codec.js';
import { KVService, WatchService } from '../../../src/server/proto/load.js';
import type * as pb from '../../../src/server/proto/messages.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const b = (s: string) => Buffer.from(s);
const NONE = Buffer.alloc(0);

const putRequest = (over: Partial<pb.PutRequest>): pb.PutRequest => ({
  key: NONE,
  value: NONE,
  lease: '0',
  prev_kv: false,
  ignore_value: false,
  ignore_lease: false,
  ...over,
});

describe('KV serializers', () => {
  const put = KVService['Put']!;
  const range = KVService['Range']!;

  it('PutRequest fields 1..6 have etcd tags 0a 12 18 20 28 30', () => {
    const bytes = put.requestSerialize(
      putRequest({ key: b('k'), value: b('v'), lease: '5', prev_kv: true, ignore_value: true, ignore_lease: true }),
    );
    expect(bytes).toEqual(hex('0a016b 120176 1805 2001 2801 3001'));
  });

  it('a negative lease is a ten-byte two-complement varint, and reads back negative', () => {
    const bytes = put.requestSerialize(putRequest({ key: b('k'), lease: '-1' }));
    expect(bytes).toEqual(hex('0a016b 18ffffffffffffffffff01'));
    expect((put.requestDeserialize(bytes) as pb.PutRequest).lease).toBe('-1');
  });

  it('reads a Go client RangeRequest with defaults filled in', () => {
    // clientv3 Get("foo", WithPrefix(), WithLimit(10), WithRev(3), WithSerializable())
    const request = range.requestDeserialize(hex('0a03666f6f 1203666f70 180a 2003 3801')) as pb.RangeRequest;
    expect(request).toEqual({
      key: b('foo'),
      range_end: b('fop'),
      limit: '10',
      revision: '3',
      sort_order: 'NONE',
      sort_target: 'KEY',
      serializable: true,
      keys_only: false,
      count_only: false,
      min_mod_revision: '0',
      max_mod_revision: '0',
      min_create_revision: '0',
      max_create_revision: '0',
    });
  });

  it('RangeRequest min/max revision filters are fields 10..13, sort fields 5 and 6', () => {
    const request = range.requestDeserialize(hex('0a0161 2802 3003 500b 580c 600d 680e')) as pb.RangeRequest;
    expect([request.sort_order, request.sort_target]).toEqual(['DESCEND', 'MOD']);
    expect([request.min_mod_revision, request.max_mod_revision, request.min_create_revision, request.max_create_revision]).toEqual(['11', '12', '13', '14']);
  });

  it('Compare range_end is field 64 (tag 82 04) and target_union members are 4..8', () => {
    const txn = KVService['Txn']!;
    const bytes = hex('0a0d 0801 1002 1a0161 3007 82040162');
    const request = txn.requestDeserialize(bytes) as pb.TxnRequest;
    const compare = request.compare[0]!;
    expect(compare.result).toBe('GREATER');
    expect(compare.target).toBe('MOD');
    expect(compare.range_end).toEqual(b('b'));
    expect(compare.target_union).toBe('mod_revision');
    if (compare.target_union !== 'mod_revision') throw new Error('unreachable');
    expect(compare.mod_revision).toBe('7');
    expect(txn.requestSerialize(request)).toEqual(bytes);
  });

  it('a set oneof member keeps its zero value on the wire (Go writes it: presence matters)', () => {
    const compare = codecFor('etcdserverpb.Compare');
    const bytes = compare.encode({
      result: 'EQUAL',
      target: 'VERSION',
      key: b('a'),
      range_end: NONE,
      target_union: 'version',
      version: '0',
    });
    expect(bytes).toEqual(hex('1a0161 2000'));
    expect(compare.decode(bytes).target_union).toBe('version');
  });

  it('RequestOp and ResponseOp oneofs are tagged by member name', () => {
    const txn = KVService['Txn']!;
    const request = txn.requestDeserialize(hex('1204 1202 0a00 1a02 0a00')) as pb.TxnRequest;
    expect(request.success[0]!.request).toBe('request_put');
    expect(request.failure[0]!.request).toBe('request_range');
    const response = txn.responseDeserialize(hex('1001 1a04 1a02 1000')) as pb.TxnResponse;
    expect(response.succeeded).toBe(true);
    expect(response.responses[0]!.response).toBe('response_delete_range');
  });
});

describe('Watch serializers', () => {
  it('WatchResponse events are field 11 (tag 5a); fragment 7, cancel_reason 6', () => {
    const watch = WatchService['Watch']!;
    const response: pb.WatchResponse = {
      header: { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' },
      watch_id: '0',
      created: false,
      canceled: false,
      compact_revision: '0',
      cancel_reason: 'x',
      fragment: true,
      events: [
        {
          type: 'DELETE',
          kv: { key: b('k'), create_revision: '0', mod_revision: '3', version: '0', value: NONE, lease: '0' },
          prev_kv: null,
        },
      ],
    };
    expect(watch.responseSerialize(response)).toEqual(
      hex('0a08 0801 1002 1803 2004 320178 3801 5a09 0801 1205 0a016b 1803'),
    );
  });

  it('WatchCreateRequest fields 1..8 as a Go client sends them', () => {
    const watch = WatchService['Watch']!;
    const request = watch.requestDeserialize(
      hex('0a14 0a0161 120162 1805 2001 2a020001 3001 3809 4001'),
    ) as pb.WatchRequest;
    expect(request.request_union).toBe('create_request');
    if (request.request_union !== 'create_request') throw new Error('unreachable');
    expect(request.create_request).toEqual({
      key: b('a'),
      range_end: b('b'),
      start_revision: '5',
      progress_notify: true,
      filters: ['NOPUT', 'NODELETE'],
      prev_kv: true,
      watch_id: '9',
      fragment: true,
    });
  });
});

describe('codecs', () => {
  it('KeyValue omits zero fields as gogoproto does (the bytes bbolt snapshots hold)', () => {
    const kv = codecFor('mvccpb.KeyValue');
    const bytes = kv.encode({ key: b('k'), create_revision: '2', mod_revision: '2', version: '1', value: NONE, lease: '0' });
    expect(bytes).toEqual(hex('0a016b 1002 1802 2001'));
    expect(kv.decode(bytes)).toEqual({ key: b('k'), create_revision: '2', mod_revision: '2', version: '1', value: NONE, lease: '0' });
  });

  it('decoded Buffers do not share memory with the input', () => {
    const kv = codecFor('mvccpb.KeyValue');
    const input = hex('0a016b');
    const decoded = kv.decode(input);
    input[2] = 0x6c;
    expect(decoded.key).toEqual(b('k'));
  });

  it('InternalRaftRequest: fields in number order, header 100 (a2 06), auth_enable 1000 (c2 3e)', () => {
    const request: pb.InternalRaftRequest = {
      header: { ID: '7', username: 'root', auth_revision: '2' },
      ID: '7',
      request: 'auth_enable',
      auth_enable: {},
    };
    const bytes = encodeInternalRaftRequest(request);
    expect(bytes).toEqual(hex('0807 a2060a 0807 1204726f6f74 1802 c23e00'));
    expect(decodeInternalRaftRequest(bytes)).toEqual(request);
  });

  it('InternalRaftRequest put is field 4, uint64 ids above 2^63 survive', () => {
    const request: pb.InternalRaftRequest = {
      header: { ID: '18446744073709551615', username: '', auth_revision: '0' },
      ID: '18446744073709551615',
      request: 'put',
      put: putRequest({ key: b('k'), lease: '-9223372036854775808' }),
    };
    const bytes = encodeInternalRaftRequest(request);
    expect(bytes.subarray(0, 11)).toEqual(hex('08ffffffffffffffffff01'));
    expect(bytes[11]).toBe(0x22);
    expect(decodeInternalRaftRequest(bytes)).toEqual(request);
  });

  it('refuses to encode an InternalRaftRequest without exactly the tagged request', () => {
    const header = { ID: '1', username: '', auth_revision: '0' };
    const none = { header, ID: '1' } as pb.InternalRaftRequest;
    expect(() => encodeInternalRaftRequest(none)).toThrow(/exactly one request/);
    const two = { header, ID: '1', request: 'put', put: putRequest({ key: b('k') }), auth_enable: {} } as pb.InternalRaftRequest;
    expect(() => encodeInternalRaftRequest(two)).toThrow(/exactly one request/);
    const mistagged = { header, ID: '1', request: 'range', put: putRequest({ key: b('k') }) } as unknown as pb.InternalRaftRequest;
    expect(() => encodeInternalRaftRequest(mistagged)).toThrow(/exactly one request/);
  });

  it('refuses to decode a log entry that carries no request', () => {
    expect(() => decodeInternalRaftRequest(hex('0807'))).toThrow(/carries no request/);
  });
});
