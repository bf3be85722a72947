import { describe, expect, it } from 'vitest';
import { checkPut, checkTxn } from '../../src/server/validation.js';
import type { RequestOp, TxnRequest } from '../../src/mvcc/types.js';

const b = (s: string) => Buffer.from(s);
const put = (k: string): RequestOp => ({
  put: { key: b(k), value: b('v'), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false },
});
const del = (k: string, end = ''): RequestOp => ({ deleteRange: { key: b(k), rangeEnd: b(end), prevKv: false } });
const txn = (success: RequestOp[], failure: RequestOp[] = []): TxnRequest => ({ compare: [], success, failure });

describe('etcd request checks', () => {
  it('rejects ignore flags with a value or lease, in etcd words', () => {
    const p = { key: b('k'), value: b('x'), lease: 0n, prevKv: false, ignoreValue: true, ignoreLease: false };
    expect(() => checkPut(p)).toThrow('etcdserver: value is provided');
    expect(() => checkPut({ ...p, value: b(''), ignoreValue: false, ignoreLease: true, lease: 5n })).toThrow(
      'etcdserver: lease is provided',
    );
    expect(() => checkPut({ ...p, key: b('') })).toThrow('etcdserver: key is not provided');
  });

  it('counts ops per list against --max-txn-ops', () => {
    const ops = Array.from({ length: 129 }, (_, i) => put(`k${i}`));
    expect(() => checkTxn(txn(ops), 128)).toThrow('etcdserver: too many operations in txn request');
    expect(() => checkTxn(txn(ops.slice(0, 128)), 128)).not.toThrow();
  });

  it('finds keys written twice on one path, as etcd checkIntervals does', () => {
    const dup = 'etcdserver: duplicate key given in txn request';
    expect(() => checkTxn(txn([put('a'), put('a')]), 128)).toThrow(dup);
    expect(() => checkTxn(txn([put('b'), del('a', 'c')]), 128)).toThrow(dup);
    expect(() => checkTxn(txn([put('a'), del('a')]), 128)).toThrow(dup);
    expect(() => checkTxn(txn([put('a'), { txn: txn([put('a')]) }]), 128)).toThrow(dup);
    // then/else of a nested txn are exclusive: the same key in both is fine.
    expect(() => checkTxn(txn([{ txn: txn([put('a')], [put('a')]) }]), 128)).not.toThrow();
    // success and failure of the top-level txn are separate paths.
    expect(() => checkTxn(txn([put('a')], [put('a')]), 128)).not.toThrow();
    // a delete range that ends before the key does not cover it.
    expect(() => checkTxn(txn([put('c'), del('a', 'c')]), 128)).not.toThrow();
  });
});
