// Converters round-trip store → wire → bytes → wire → store, so nothing the store says is lost or
// bent on the way to a client (or into the log and back).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as convert from '../../../src/server/proto/convert.js';
import { KVService } from '../../../src/server/proto/load.js';
import { codecFor } from '../../../src/server/proto/codec.js';
import type * as pb from '../../../src/server/proto/messages.js';
import type * as store from '../../../src/mvcc/types.js';
import { EtcdError } from '../../../src/mvcc/errors.js';

const buf = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
const safeInt = fc.maxSafeInteger();
const natural = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const leaseId = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

const keyValue: fc.Arbitrary<store.KeyValue> = fc.record({
  key: buf,
  createRevision: natural,
  modRevision: natural,
  version: natural,
  value: buf,
  lease: leaseId,
});
const header: fc.Arbitrary<store.ResponseHeader> = fc.record({ revision: natural });
const identity: fc.Arbitrary<convert.HeaderIdentity> = fc.record({
  clusterId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  memberId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  raftTerm: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});

const rangeRequest: fc.Arbitrary<store.RangeRequest> = fc.record({
  key: buf,
  rangeEnd: buf,
  limit: safeInt,
  revision: safeInt,
  sortOrder: fc.constantFrom('NONE', 'ASCEND', 'DESCEND'),
  sortTarget: fc.constantFrom('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
  serializable: fc.boolean(),
  keysOnly: fc.boolean(),
  countOnly: fc.boolean(),
  minModRevision: safeInt,
  maxModRevision: safeInt,
  minCreateRevision: safeInt,
  maxCreateRevision: safeInt,
});
const putRequest: fc.Arbitrary<store.PutRequest> = fc.record({
  key: buf,
  value: buf,
  lease: leaseId,
  prevKv: fc.boolean(),
  ignoreValue: fc.boolean(),
  ignoreLease: fc.boolean(),
});
const deleteRangeRequest: fc.Arbitrary<store.DeleteRangeRequest> = fc.record({
  key: buf,
  rangeEnd: buf,
  prevKv: fc.boolean(),
});

// Only the field the target names survives the wire (it is the one etcd reads), so generate that way.
const compare: fc.Arbitrary<store.Compare> = fc
  .record({
    result: fc.constantFrom('EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'),
    target: fc.constantFrom('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'),
    key: buf,
    rangeEnd: buf,
    number: safeInt,
    value: buf,
    lease: leaseId,
  })
  .map(({ number, value, lease, ...c }) => ({
    ...c,
    version: c.target === 'VERSION' ? number : 0,
    createRevision: c.target === 'CREATE' ? number : 0,
    modRevision: c.target === 'MOD' ? number : 0,
    value: c.target === 'VALUE' ? value : Buffer.alloc(0),
    lease: c.target === 'LEASE' ? lease : 0n,
  }));

const { txnRequest } = fc.letrec<{ txnRequest: store.TxnRequest; requestOp: store.RequestOp }>((tie) => ({
  txnRequest: fc.record({
    compare: fc.array(compare, { maxLength: 3 }),
    success: fc.array(tie('requestOp'), { maxLength: 3 }),
    failure: fc.array(tie('requestOp'), { maxLength: 3 }),
  }),
  requestOp: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeRequest.map((range) => ({ range })),
    putRequest.map((put) => ({ put })),
    deleteRangeRequest.map((deleteRange) => ({ deleteRange })),
    tie('txnRequest').map((txn) => ({ txn })),
  ),
}));

const rangeResponse: fc.Arbitrary<store.RangeResponse> = fc.record({
  header,
  kvs: fc.array(keyValue, { maxLength: 3 }),
  more: fc.boolean(),
  count: natural,
});
const putResponse: fc.Arbitrary<store.PutResponse> = fc.record({ header, prevKv: fc.option(keyValue, { nil: null }) });
const deleteRangeResponse: fc.Arbitrary<store.DeleteRangeResponse> = fc.record({
  header,
  deleted: natural,
  prevKvs: fc.array(keyValue, { maxLength: 3 }),
});
const { txnResponse } = fc.letrec<{ txnResponse: store.TxnResponse; responseOp: store.ResponseOp }>((tie) => ({
  txnResponse: fc.record({
    header,
    succeeded: fc.boolean(),
    responses: fc.array(tie('responseOp'), { maxLength: 3 }),
  }),
  responseOp: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeResponse.map((range) => ({ range })),
    putResponse.map((put) => ({ put })),
    deleteRangeResponse.map((deleteRange) => ({ deleteRange })),
    tie('txnResponse').map((txn) => ({ txn })),
  ),
}));

/** Through the bytes a gRPC peer would see, using the same serializers grpc-js uses. */
function viaRequestBytes<T>(method: string, message: T): T {
  const def = KVService[method]!;
  return def.requestDeserialize(def.requestSerialize(message)) as T;
}
function viaResponseBytes<T>(method: string, message: T): T {
  const def = KVService[method]!;
  return def.responseDeserialize(def.responseSerialize(message)) as T;
}

const RUNS = { numRuns: 200 };

describe('request converters round-trip through the wire', () => {
  it('RangeRequest', () => {
    fc.assert(
      fc.property(rangeRequest, (r) => {
        const back = convert.rangeRequestFromProto(viaRequestBytes('Range', convert.rangeRequestToProto(r)));
        expect(back).toEqual(r);
      }),
      RUNS,
    );
  });

  it('PutRequest, with any int64 lease', () => {
    fc.assert(
      fc.property(putRequest, (r) => {
        expect(convert.putRequestFromProto(viaRequestBytes('Put', convert.putRequestToProto(r)))).toEqual(r);
      }),
      RUNS,
    );
  });

  it('DeleteRangeRequest', () => {
    fc.assert(
      fc.property(deleteRangeRequest, (r) => {
        const back = convert.deleteRangeRequestFromProto(viaRequestBytes('DeleteRange', convert.deleteRangeRequestToProto(r)));
        expect(back).toEqual(r);
      }),
      RUNS,
    );
  });

  it('TxnRequest, nested txns and every compare target', () => {
    fc.assert(
      fc.property(txnRequest, (r) => {
        expect(convert.txnRequestFromProto(viaRequestBytes('Txn', convert.txnRequestToProto(r)))).toEqual(r);
      }),
      RUNS,
    );
  });

  it('CompactionRequest', () => {
    fc.assert(
      fc.property(fc.record({ revision: safeInt, physical: fc.boolean() }), (r) => {
        const back = convert.compactionRequestFromProto(viaRequestBytes('Compact', convert.compactionRequestToProto(r)));
        expect(back).toEqual(r);
      }),
      RUNS,
    );
  });
});

describe('response converters round-trip through the wire', () => {
  it('RangeResponse, and the header carries identity and revision', () => {
    fc.assert(
      fc.property(rangeResponse, identity, (r, id) => {
        const wire = viaResponseBytes('Range', convert.rangeResponseToProto(r, id));
        expect(wire.header).toEqual({
          cluster_id: id.clusterId.toString(),
          member_id: id.memberId.toString(),
          revision: String(r.header.revision),
          raft_term: id.raftTerm.toString(),
        });
        expect(convert.rangeResponseFromProto(wire)).toEqual(r);
      }),
      RUNS,
    );
  });

  it('PutResponse', () => {
    fc.assert(
      fc.property(putResponse, identity, (r, id) => {
        expect(convert.putResponseFromProto(viaResponseBytes('Put', convert.putResponseToProto(r, id)))).toEqual(r);
      }),
      RUNS,
    );
  });

  it('DeleteRangeResponse', () => {
    fc.assert(
      fc.property(deleteRangeResponse, identity, (r, id) => {
        const back = convert.deleteRangeResponseFromProto(viaResponseBytes('DeleteRange', convert.deleteRangeResponseToProto(r, id)));
        expect(back).toEqual(r);
      }),
      RUNS,
    );
  });

  it('TxnResponse: nested responses each carry a header', () => {
    fc.assert(
      fc.property(txnResponse, identity, (r, id) => {
        const wire = viaResponseBytes('Txn', convert.txnResponseToProto(r, id));
        for (const op of wire.responses) {
          const inner = op.response === undefined ? null : (op as Record<string, unknown>)[op.response];
          expect((inner as { header: pb.ResponseHeader | null }).header?.cluster_id).toBe(id.clusterId.toString());
        }
        expect(convert.txnResponseFromProto(wire)).toEqual(r);
      }),
      RUNS,
    );
  });
});

describe('events', () => {
  const event = codecFor('mvccpb.Event');

  it('PUT events round-trip with prev_kv', () => {
    fc.assert(
      fc.property(keyValue, fc.option(keyValue, { nil: null }), (kv, prevKv) => {
        const e: store.MvccEvent = { type: 'PUT', kv, prevKv };
        expect(convert.eventFromProto(event.decode(event.encode(convert.eventToProto(e))))).toEqual(e);
      }),
      RUNS,
    );
  });

  it('DELETE events carry only key and mod_revision, as etcd sends them', () => {
    fc.assert(
      fc.property(keyValue, (kv) => {
        const wire = event.decode(event.encode(convert.eventToProto({ type: 'DELETE', kv, prevKv: null })));
        expect(wire).toEqual({
          type: 'DELETE',
          kv: { key: kv.key, create_revision: '0', mod_revision: String(kv.modRevision), version: '0', value: Buffer.alloc(0), lease: '0' },
          prev_kv: null,
        });
      }),
      RUNS,
    );
  });
});

describe('edges', () => {
  it('int64 strings beyond 2^53 clamp, keeping their order against real revisions', () => {
    expect(convert.int64ToNumber('9223372036854775807')).toBe(Number.MAX_SAFE_INTEGER);
    expect(convert.int64ToNumber('-9223372036854775808')).toBe(Number.MIN_SAFE_INTEGER);
    expect(convert.int64ToNumber('-1')).toBe(-1);
  });

  it('lease ids outside int64 and non-integer revisions are refused, not wrapped', () => {
    expect(() => convert.leaseIdToProto(1n << 63n)).toThrow(/outside int64/);
    expect(() => convert.numberToInt64(1.5)).toThrow(/safe integer/);
    expect(() => convert.uint64ToProto(-1n)).toThrow(/outside uint64/);
  });

  it('an empty RequestOp is refused with etcd\'s "key not found"', () => {
    const error = (() => {
      try {
        convert.requestOpFromProto({});
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(EtcdError);
    expect((error as EtcdError).message).toBe('etcdserver: key not found');
  });

  it('an unknown sort order number is "invalid sort option"', () => {
    const r = convert.rangeRequestToProto({
      key: Buffer.from('a'),
      rangeEnd: Buffer.alloc(0),
      limit: 0,
      revision: 0,
      sortOrder: 'NONE',
      sortTarget: 'KEY',
      serializable: false,
      keysOnly: false,
      countOnly: false,
      minModRevision: 0,
      maxModRevision: 0,
      minCreateRevision: 0,
      maxCreateRevision: 0,
    });
    const decoded = KVService['Range']!.requestDeserialize(Buffer.concat([KVService['Range']!.requestSerialize(r), Buffer.from([0x28, 0x07])])) as pb.RangeRequest;
    expect(() => convert.rangeRequestFromProto(decoded)).toThrow('etcdserver: invalid sort option');
  });

  it('a compare whose union member differs from its target compares against zero, as etcd does', () => {
    const c = convert.compareFromProto({
      result: 'EQUAL',
      target: 'VERSION',
      key: Buffer.from('a'),
      range_end: Buffer.alloc(0),
      target_union: 'mod_revision',
      mod_revision: '5',
    });
    expect([c.version, c.modRevision]).toEqual([0, 5]);
  });

  it('txnHasPuts counts top-level puts only, like etcd\'s quota cost', () => {
    const put: store.PutRequest = { key: Buffer.from('a'), value: Buffer.alloc(0), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
    expect(convert.txnHasPuts({ compare: [], success: [], failure: [{ put }] })).toBe(true);
    expect(convert.txnHasPuts({ compare: [], success: [{ txn: { compare: [], success: [{ put }], failure: [] } }], failure: [] })).toBe(false);
  });
});
