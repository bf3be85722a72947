// The contract between the MVCC store and the server. Plain data only: the server converts gRPC
// messages to and from these shapes, the store never sees protobuf or gRPC.
//
// Revisions fit in a JS number (2^53 writes is centuries at any rate we reach). Lease IDs are int64
// chosen by clients or by us, so they are bigint (0n means "no lease").

export type LeaseId = bigint;

export interface KeyValue {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  lease: LeaseId;
}

export type EventType = 'PUT' | 'DELETE';

export interface MvccEvent {
  type: EventType;
  /** For DELETE: key, modRevision = the delete revision, everything else zero/empty (as etcd). */
  kv: KeyValue;
  /** The key's state just before this event, when the watcher asked for prev_kv; else null. */
  prevKv: KeyValue | null;
}

export interface ResponseHeader {
  /** The store's current revision when the response was produced (etcd: always current, even for a historical Range). */
  revision: number;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  key: Buffer;
  /** Empty: the single key. [0x00]: every key >= key. Otherwise the half-open [key, rangeEnd). */
  rangeEnd: Buffer;
  limit: number;
  /** 0 = current. */
  revision: number;
  sortOrder: SortOrder;
  sortTarget: SortTarget;
  serializable: boolean;
  keysOnly: boolean;
  countOnly: boolean;
  minModRevision: number;
  maxModRevision: number;
  minCreateRevision: number;
  maxCreateRevision: number;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease: LeaseId;
  prevKv: boolean;
  ignoreValue: boolean;
  ignoreLease: boolean;
}

export interface PutResponse {
  header: ResponseHeader;
  prevKv: KeyValue | null;
}

export interface DeleteRangeRequest {
  key: Buffer;
  rangeEnd: Buffer;
  prevKv: boolean;
}

export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: number;
  prevKvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  /** As in RangeRequest: a compare over a range holds only if it holds for every key in it. */
  rangeEnd: Buffer;
  /** Only the field named by `target` is read. */
  version: number;
  createRevision: number;
  modRevision: number;
  value: Buffer;
  lease: LeaseId;
}

export type RequestOp =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest };

export type ResponseOp =
  | { range: RangeResponse }
  | { put: PutResponse }
  | { deleteRange: DeleteRangeResponse }
  | { txn: TxnResponse };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: number;
  physical: boolean;
}

export interface CompactionResponse {
  header: ResponseHeader;
}

export interface Lease {
  id: LeaseId;
  /** TTL granted (seconds). */
  ttl: number;
  /** Remaining TTL persisted by the last checkpoint (seconds), 0 if never checkpointed. */
  remainingTtl: number;
}

export interface HashKVResult {
  hash: number;
  compactRevision: number;
  hashRevision: number;
  header: ResponseHeader;
}
