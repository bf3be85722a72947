// Converters between the wire shapes (messages.ts, as proto-loader delivers them) and the store's plain
// types (mvcc/types.ts). Requests go both ways: gRPC → store for the applier, store → wire for tests and
// for building log entries from store-shaped requests. Responses go both ways likewise.
import { EtcdError, GrpcCode } from '../../mvcc/errors.js';
import type * as store from '../../mvcc/types.js';
import type * as pb from './messages.js';

/** Who is answering: every ResponseHeader carries these next to the store's revision. */
export interface HeaderIdentity {
  clusterId: bigint;
  memberId: bigint;
  raftTerm: bigint | number;
}

// ---- scalars ----

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^-?\d+$/;

function parseDecimal(value: string, field: string): bigint {
  // proto-loader always delivers int64s as decimal strings; anything else is a wiring bug.
  if (!DECIMAL.test(value)) throw new Error(`invariant: ${field} is not a decimal int64 string: ${JSON.stringify(value)}`);
  return BigInt(value);
}

/**
 * Revisions, counts, limits and versions as JS numbers. Values beyond 2^53 cannot be real revisions;
 * they are clamped so that ordering against real revisions still holds (a huge requested revision is
 * still "in the future").
 */
export function int64ToNumber(value: pb.Int64, field = 'int64'): number {
  // Up to 15 digits a decimal is exact as a number: no BigInt on the common path.
  if (value.length <= 15 && DECIMAL.test(value)) return Number(value) || 0;
  const big = parseDecimal(value, field);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (big < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(big);
}

export function numberToInt64(value: number, field = 'int64'): pb.Int64 {
  if (!Number.isSafeInteger(value)) throw new Error(`invariant: ${field} is not a safe integer: ${value}`);
  return String(value);
}

/** Lease IDs are int64 and may be negative on the wire. */
export function leaseIdFromProto(value: pb.Int64): store.LeaseId {
  if (value === '0') return 0n;
  const id = parseDecimal(value, 'lease');
  if (id < INT64_MIN || id > INT64_MAX) throw new Error(`invariant: lease ${value} outside int64`);
  return id;
}

export function leaseIdToProto(id: store.LeaseId): pb.Int64 {
  // protobufjs would wrap an out-of-range value silently, turning it into another lease.
  if (id < INT64_MIN || id > INT64_MAX) throw new Error(`invariant: lease ${id} outside int64`);
  return id.toString();
}

export function uint64ToProto(value: bigint | number, field = 'uint64'): pb.UInt64 {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  // Every response header names the same cluster and member: remember their decimal forms.
  const known = recentUint64s.get(value as bigint);
  if (known !== undefined) return known;
  const big = BigInt(value);
  if (big < 0n || big > UINT64_MAX) throw new Error(`invariant: ${field} ${big} outside uint64`);
  const text = big.toString();
  if (typeof value === 'bigint') {
    if (recentUint64s.size >= 16) recentUint64s.clear();
    recentUint64s.set(value, text);
  }
  return text;
}
const recentUint64s = new Map<bigint, string>();

function oneOf<T extends string>(value: string, allowed: readonly T[], error: () => Error): T {
  // A client may send an enum number this schema does not know; protobufjs then delivers the number.
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw error();
  return found;
}

const invalidArgument = (message: string) => () => new EtcdError(GrpcCode.INVALID_ARGUMENT, message);
const invalidSortOption = invalidArgument('etcdserver: invalid sort option');

// ---- header, KeyValue, Event ----

export function headerToProto(header: store.ResponseHeader, identity: HeaderIdentity): pb.ResponseHeader {
  return {
    cluster_id: uint64ToProto(identity.clusterId, 'cluster_id'),
    member_id: uint64ToProto(identity.memberId, 'member_id'),
    revision: numberToInt64(header.revision, 'revision'),
    raft_term: uint64ToProto(identity.raftTerm, 'raft_term'),
  };
}

export function headerFromProto(header: pb.ResponseHeader | null): store.ResponseHeader {
  return { revision: header === null ? 0 : int64ToNumber(header.revision, 'revision') };
}

export function keyValueToProto(kv: store.KeyValue): pb.KeyValue {
  return {
    key: kv.key,
    create_revision: numberToInt64(kv.createRevision, 'create_revision'),
    mod_revision: numberToInt64(kv.modRevision, 'mod_revision'),
    version: numberToInt64(kv.version, 'version'),
    value: kv.value,
    lease: leaseIdToProto(kv.lease),
  };
}

export function keyValueFromProto(kv: pb.KeyValue): store.KeyValue {
  return {
    key: kv.key,
    createRevision: int64ToNumber(kv.create_revision, 'create_revision'),
    modRevision: int64ToNumber(kv.mod_revision, 'mod_revision'),
    version: int64ToNumber(kv.version, 'version'),
    value: kv.value,
    lease: leaseIdFromProto(kv.lease),
  };
}

const EMPTY = Buffer.alloc(0);

/** A DELETE event's kv carries only the key and the deletion revision, as etcd sends it. */
export function eventToProto(event: store.MvccEvent): pb.Event {
  const kv: pb.KeyValue =
    event.type === 'PUT'
      ? keyValueToProto(event.kv)
      : {
          key: event.kv.key,
          create_revision: '0',
          mod_revision: numberToInt64(event.kv.modRevision, 'mod_revision'),
          version: '0',
          value: EMPTY,
          lease: '0',
        };
  return { type: event.type, kv, prev_kv: event.prevKv === null ? null : keyValueToProto(event.prevKv) };
}

export function eventFromProto(event: pb.Event): store.MvccEvent {
  if (event.kv === null) throw new Error('invariant: mvccpb.Event without kv');
  const type = oneOf(event.type, ['PUT', 'DELETE'] as const, invalidArgument('etcdserver: unknown event type'));
  return {
    type,
    kv: keyValueFromProto(event.kv),
    prevKv: event.prev_kv === null ? null : keyValueFromProto(event.prev_kv),
  };
}

// ---- requests: wire → store ----

const SORT_ORDERS = ['NONE', 'ASCEND', 'DESCEND'] as const;
const SORT_TARGETS = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
const COMPARE_RESULTS = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
const COMPARE_TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;

export function rangeRequestFromProto(r: pb.RangeRequest): store.RangeRequest {
  return {
    key: r.key,
    rangeEnd: r.range_end,
    limit: int64ToNumber(r.limit, 'limit'),
    revision: int64ToNumber(r.revision, 'revision'),
    sortOrder: oneOf(r.sort_order, SORT_ORDERS, invalidSortOption),
    sortTarget: oneOf(r.sort_target, SORT_TARGETS, invalidSortOption),
    serializable: r.serializable,
    keysOnly: r.keys_only,
    countOnly: r.count_only,
    minModRevision: int64ToNumber(r.min_mod_revision, 'min_mod_revision'),
    maxModRevision: int64ToNumber(r.max_mod_revision, 'max_mod_revision'),
    minCreateRevision: int64ToNumber(r.min_create_revision, 'min_create_revision'),
    maxCreateRevision: int64ToNumber(r.max_create_revision, 'max_create_revision'),
  };
}

export function putRequestFromProto(r: pb.PutRequest): store.PutRequest {
  return {
    key: r.key,
    value: r.value,
    lease: leaseIdFromProto(r.lease),
    prevKv: r.prev_kv,
    ignoreValue: r.ignore_value,
    ignoreLease: r.ignore_lease,
  };
}

export function deleteRangeRequestFromProto(r: pb.DeleteRangeRequest): store.DeleteRangeRequest {
  return { key: r.key, rangeEnd: r.range_end, prevKv: r.prev_kv };
}

/**
 * Only the target_union member that is set is read; the other targets stay zero, which is what etcd
 * compares against when a client names one target and sets another (or none).
 */
export function compareFromProto(c: pb.Compare): store.Compare {
  const compare: store.Compare = {
    result: oneOf(c.result, COMPARE_RESULTS, invalidArgument('etcdserver: unknown compare result')),
    target: oneOf(c.target, COMPARE_TARGETS, invalidArgument('etcdserver: unknown compare target')),
    key: c.key,
    rangeEnd: c.range_end,
    version: 0,
    createRevision: 0,
    modRevision: 0,
    value: EMPTY,
    lease: 0n,
  };
  switch (c.target_union) {
    case 'version':
      compare.version = int64ToNumber(c.version, 'version');
      break;
    case 'create_revision':
      compare.createRevision = int64ToNumber(c.create_revision, 'create_revision');
      break;
    case 'mod_revision':
      compare.modRevision = int64ToNumber(c.mod_revision, 'mod_revision');
      break;
    case 'value':
      compare.value = c.value;
      break;
    case 'lease':
      compare.lease = leaseIdFromProto(c.lease);
      break;
    case undefined:
      break;
  }
  return compare;
}

/** An op with no request set is refused as etcd's checkRequestOp refuses it. */
export function requestOpFromProto(op: pb.RequestOp): store.RequestOp {
  switch (op.request) {
    case 'request_range':
      return { range: rangeRequestFromProto(op.request_range) };
    case 'request_put':
      return { put: putRequestFromProto(op.request_put) };
    case 'request_delete_range':
      return { deleteRange: deleteRangeRequestFromProto(op.request_delete_range) };
    case 'request_txn':
      return { txn: txnRequestFromProto(op.request_txn) };
    case undefined:
      throw new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: key not found');
  }
}

export function txnRequestFromProto(r: pb.TxnRequest): store.TxnRequest {
  return {
    compare: r.compare.map(compareFromProto),
    success: r.success.map(requestOpFromProto),
    failure: r.failure.map(requestOpFromProto),
  };
}

export function compactionRequestFromProto(r: pb.CompactionRequest): store.CompactionRequest {
  return { revision: int64ToNumber(r.revision, 'revision'), physical: r.physical };
}

/**
 * Whether the txn can write a key, as etcd's quota decides it for the NOSPACE alarm: only the puts
 * directly in success or failure count (etcd's costTxn does not look into nested txns).
 */
export function txnHasPuts(txn: store.TxnRequest): boolean {
  return txn.success.some((op) => 'put' in op) || txn.failure.some((op) => 'put' in op);
}

// ---- requests: store → wire ----

export function rangeRequestToProto(r: store.RangeRequest): pb.RangeRequest {
  return {
    key: r.key,
    range_end: r.rangeEnd,
    limit: numberToInt64(r.limit, 'limit'),
    revision: numberToInt64(r.revision, 'revision'),
    sort_order: r.sortOrder,
    sort_target: r.sortTarget,
    serializable: r.serializable,
    keys_only: r.keysOnly,
    count_only: r.countOnly,
    min_mod_revision: numberToInt64(r.minModRevision, 'min_mod_revision'),
    max_mod_revision: numberToInt64(r.maxModRevision, 'max_mod_revision'),
    min_create_revision: numberToInt64(r.minCreateRevision, 'min_create_revision'),
    max_create_revision: numberToInt64(r.maxCreateRevision, 'max_create_revision'),
  };
}

export function putRequestToProto(r: store.PutRequest): pb.PutRequest {
  return {
    key: r.key,
    value: r.value,
    lease: leaseIdToProto(r.lease),
    prev_kv: r.prevKv,
    ignore_value: r.ignoreValue,
    ignore_lease: r.ignoreLease,
  };
}

export function deleteRangeRequestToProto(r: store.DeleteRangeRequest): pb.DeleteRangeRequest {
  return { key: r.key, range_end: r.rangeEnd, prev_kv: r.prevKv };
}

/** Sets the target_union member that `target` names, the one field etcd reads. */
export function compareToProto(c: store.Compare): pb.Compare {
  const base = { result: c.result, target: c.target, key: c.key, range_end: c.rangeEnd };
  switch (c.target) {
    case 'VERSION':
      return { ...base, target_union: 'version', version: numberToInt64(c.version, 'version') };
    case 'CREATE':
      return {
        ...base,
        target_union: 'create_revision',
        create_revision: numberToInt64(c.createRevision, 'create_revision'),
      };
    case 'MOD':
      return { ...base, target_union: 'mod_revision', mod_revision: numberToInt64(c.modRevision, 'mod_revision') };
    case 'VALUE':
      return { ...base, target_union: 'value', value: c.value };
    case 'LEASE':
      return { ...base, target_union: 'lease', lease: leaseIdToProto(c.lease) };
  }
}

export function requestOpToProto(op: store.RequestOp): pb.RequestOp {
  if ('range' in op) return { request: 'request_range', request_range: rangeRequestToProto(op.range) };
  if ('put' in op) return { request: 'request_put', request_put: putRequestToProto(op.put) };
  if ('deleteRange' in op) {
    return { request: 'request_delete_range', request_delete_range: deleteRangeRequestToProto(op.deleteRange) };
  }
  return { request: 'request_txn', request_txn: txnRequestToProto(op.txn) };
}

export function txnRequestToProto(r: store.TxnRequest): pb.TxnRequest {
  return {
    compare: r.compare.map(compareToProto),
    success: r.success.map(requestOpToProto),
    failure: r.failure.map(requestOpToProto),
  };
}

export function compactionRequestToProto(r: store.CompactionRequest): pb.CompactionRequest {
  return { revision: numberToInt64(r.revision, 'revision'), physical: r.physical };
}

// ---- responses: store → wire ----

export function rangeResponseToProto(r: store.RangeResponse, identity: HeaderIdentity): pb.RangeResponse {
  return {
    header: headerToProto(r.header, identity),
    kvs: r.kvs.map(keyValueToProto),
    more: r.more,
    count: numberToInt64(r.count, 'count'),
  };
}

export function putResponseToProto(r: store.PutResponse, identity: HeaderIdentity): pb.PutResponse {
  return {
    header: headerToProto(r.header, identity),
    prev_kv: r.prevKv === null ? null : keyValueToProto(r.prevKv),
  };
}

export function deleteRangeResponseToProto(
  r: store.DeleteRangeResponse,
  identity: HeaderIdentity,
): pb.DeleteRangeResponse {
  return {
    header: headerToProto(r.header, identity),
    deleted: numberToInt64(r.deleted, 'deleted'),
    prev_kvs: r.prevKvs.map(keyValueToProto),
  };
}

/** Nested responses carry a full header too: etcd clients read the revision from each. */
export function responseOpToProto(op: store.ResponseOp, identity: HeaderIdentity): pb.ResponseOp {
  if ('range' in op) return { response: 'response_range', response_range: rangeResponseToProto(op.range, identity) };
  if ('put' in op) return { response: 'response_put', response_put: putResponseToProto(op.put, identity) };
  if ('deleteRange' in op) {
    return {
      response: 'response_delete_range',
      response_delete_range: deleteRangeResponseToProto(op.deleteRange, identity),
    };
  }
  return { response: 'response_txn', response_txn: txnResponseToProto(op.txn, identity) };
}

export function txnResponseToProto(r: store.TxnResponse, identity: HeaderIdentity): pb.TxnResponse {
  return {
    header: headerToProto(r.header, identity),
    succeeded: r.succeeded,
    responses: r.responses.map((op) => responseOpToProto(op, identity)),
  };
}

export function compactionResponseToProto(r: store.CompactionResponse, identity: HeaderIdentity): pb.CompactionResponse {
  return { header: headerToProto(r.header, identity) };
}

// ---- responses: wire → store ----

export function rangeResponseFromProto(r: pb.RangeResponse): store.RangeResponse {
  return {
    header: headerFromProto(r.header),
    kvs: r.kvs.map(keyValueFromProto),
    more: r.more,
    count: int64ToNumber(r.count, 'count'),
  };
}

export function putResponseFromProto(r: pb.PutResponse): store.PutResponse {
  return { header: headerFromProto(r.header), prevKv: r.prev_kv === null ? null : keyValueFromProto(r.prev_kv) };
}

export function deleteRangeResponseFromProto(r: pb.DeleteRangeResponse): store.DeleteRangeResponse {
  return {
    header: headerFromProto(r.header),
    deleted: int64ToNumber(r.deleted, 'deleted'),
    prevKvs: r.prev_kvs.map(keyValueFromProto),
  };
}

export function responseOpFromProto(op: pb.ResponseOp): store.ResponseOp {
  switch (op.response) {
    case 'response_range':
      return { range: rangeResponseFromProto(op.response_range) };
    case 'response_put':
      return { put: putResponseFromProto(op.response_put) };
    case 'response_delete_range':
      return { deleteRange: deleteRangeResponseFromProto(op.response_delete_range) };
    case 'response_txn':
      return { txn: txnResponseFromProto(op.response_txn) };
    case undefined:
      throw new Error('invariant: ResponseOp without a response');
  }
}

export function txnResponseFromProto(r: pb.TxnResponse): store.TxnResponse {
  return {
    header: headerFromProto(r.header),
    succeeded: r.succeeded,
    responses: r.responses.map(responseOpFromProto),
  };
}

export function compactionResponseFromProto(r: pb.CompactionResponse): store.CompactionResponse {
  return { header: headerFromProto(r.header) };
}

export function hashKVResponseToProto(r: store.HashKVResult, identity: HeaderIdentity): pb.HashKVResponse {
  // hash is a uint32 on the wire; the store must not hand out a signed or wider value.
  if (!Number.isInteger(r.hash) || r.hash < 0 || r.hash > 0xffffffff) throw new Error(`invariant: hash ${r.hash} is not a uint32`);
  return {
    header: headerToProto(r.header, identity),
    hash: r.hash,
    compact_revision: numberToInt64(r.compactRevision, 'compact_revision'),
    hash_revision: numberToInt64(r.hashRevision, 'hash_revision'),
  };
}
