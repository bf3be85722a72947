// Txn compare evaluation (etcdserver/txn applyCompare/compareKV).

import type { Compare, KeyValue } from './types.js';

const ABSENT: KeyValue = {
  key: Buffer.alloc(0),
  createRevision: 0,
  modRevision: 0,
  version: 0,
  value: Buffer.alloc(0),
  lease: 0n,
};

function sign(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareKv(c: Compare, kv: KeyValue): boolean {
  let r: number;
  switch (c.target) {
    case 'VALUE':
      r = Buffer.compare(kv.value, c.value);
      break;
    case 'CREATE':
      r = sign(kv.createRevision, c.createRevision);
      break;
    case 'MOD':
      r = sign(kv.modRevision, c.modRevision);
      break;
    case 'VERSION':
      r = sign(kv.version, c.version);
      break;
    case 'LEASE':
      r = sign(kv.lease, c.lease);
      break;
  }
  switch (c.result) {
    case 'EQUAL':
      return r === 0;
    case 'NOT_EQUAL':
      return r !== 0;
    case 'GREATER':
      return r > 0;
    case 'LESS':
      return r < 0;
  }
}

/**
 * A compare over the kvs currently in its range: it holds when it holds for every kv. Over no keys it
 * is evaluated against an absent (all-zero) kv, except VALUE, which then always fails.
 */
export function evaluateCompare(c: Compare, kvs: KeyValue[]): boolean {
  if (kvs.length === 0) return c.target === 'VALUE' ? false : compareKv(c, ABSENT);
  return kvs.every((kv) => compareKv(c, kv));
}
