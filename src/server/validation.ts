// Request checks done before anything is proposed, as etcd's v3rpc/key.go does them, so that a bad
// request fails with etcd's error and never reaches the log.
import { EtcdError, GrpcCode } from '../mvcc/errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../mvcc/types.js';

const invalid = (message: string) => () => new EtcdError(GrpcCode.INVALID_ARGUMENT, message);
export const requestErrors = {
  emptyKey: invalid('etcdserver: key is not provided'),
  valueProvided: invalid('etcdserver: value is provided'),
  leaseProvided: invalid('etcdserver: lease is provided'),
  tooManyOps: invalid('etcdserver: too many operations in txn request'),
  duplicateKey: invalid('etcdserver: duplicate key given in txn request'),
  invalidSortOption: invalid('etcdserver: invalid sort option'),
  requestTooLarge: invalid('etcdserver: request is too large'),
} as const;

export function checkRange(r: RangeRequest): void {
  if (r.key.length === 0) throw requestErrors.emptyKey();
}

export function checkPut(r: PutRequest): void {
  if (r.key.length === 0) throw requestErrors.emptyKey();
  if (r.ignoreValue && r.value.length !== 0) throw requestErrors.valueProvided();
  if (r.ignoreLease && r.lease !== 0n) throw requestErrors.leaseProvided();
}

export function checkDeleteRange(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw requestErrors.emptyKey();
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  if ('range' in op) checkRange(op.range);
  else if ('put' in op) checkPut(op.put);
  else if ('deleteRange' in op) checkDeleteRange(op.deleteRange);
  else checkTxnShape(op.txn, maxTxnOps);
}

function checkTxnShape(r: TxnRequest, maxTxnOps: number): void {
  const ops = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (ops > maxTxnOps) throw requestErrors.tooManyOps();
  for (const c of r.compare) if (c.key.length === 0) throw requestErrors.emptyKey();
  for (const op of r.success) checkOp(op, maxTxnOps);
  for (const op of r.failure) checkOp(op, maxTxnOps);
}

/** The whole check etcd's Txn handler runs: shape, then no key written twice on any path. */
export function checkTxn(r: TxnRequest, maxTxnOps: number): void {
  checkTxnShape(r, maxTxnOps);
  writtenKeys(r.success);
  writtenKeys(r.failure);
}

// A deleted interval [begin, end); end === null means up to +infinity. A point delete is [k, k\0).
interface Interval {
  begin: Buffer;
  end: Buffer | null;
}

const POINT_SUFFIX = Buffer.from([0]);
const pointInterval = (k: Buffer): Interval => ({ begin: k, end: Buffer.concat([k, POINT_SUFFIX]) });

function contains(dels: readonly Interval[], key: Buffer): boolean {
  return dels.some((iv) => Buffer.compare(iv.begin, key) <= 0 && (iv.end === null || Buffer.compare(key, iv.end) < 0));
}

// Mirrors etcd's checkIntervals: a key may not be put twice, nor put and deleted, on one execution path
// of a txn. Puts in the then- and else-branches of a nested txn may repeat each other (only one runs).
// Like etcd, a delete's range_end is taken literally, so a from-key delete (range_end "\0") covers no key.
function writtenKeys(reqs: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of reqs) {
    if (!('deleteRange' in op)) continue;
    const d = op.deleteRange;
    dels.push(d.rangeEnd.length !== 0 ? { begin: d.key, end: d.rangeEnd } : pointInterval(d.key));
  }
  const puts = new Set<string>();
  const putKey = (k: string) => {
    if (contains(dels, Buffer.from(k, 'latin1'))) throw requestErrors.duplicateKey();
    puts.add(k);
  };
  for (const op of reqs) {
    if (!('txn' in op)) continue;
    const then = writtenKeys(op.txn.success);
    const otherwise = writtenKeys(op.txn.failure);
    for (const k of then.puts) {
      if (puts.has(k)) throw requestErrors.duplicateKey();
      putKey(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw requestErrors.duplicateKey();
      putKey(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of reqs) {
    if (!('put' in op)) continue;
    const k = op.put.key.toString('latin1');
    if (puts.has(k)) throw requestErrors.duplicateKey();
    putKey(k);
  }
  return { puts, dels };
}
