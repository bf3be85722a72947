// Request builders and a temp-dir store for the mvcc tests.

import { afterEach } from 'vitest';
import { MvccStore } from '../../../src/mvcc/store.js';
import type {
  Compare,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from '../../../src/mvcc/types.js';
import { removeTempDirs, tempDir } from '../../support/tempDirs.js';

export const b = (s: string): Buffer => Buffer.from(s);

export function rangeReq(key: string | Buffer, opts: Partial<RangeRequest> = {}): RangeRequest {
  return {
    key: typeof key === 'string' ? b(key) : key,
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
    ...opts,
  };
}

export function putReq(key: string | Buffer, value: string | Buffer, opts: Partial<PutRequest> = {}): PutRequest {
  return {
    key: typeof key === 'string' ? b(key) : key,
    value: typeof value === 'string' ? b(value) : value,
    lease: 0n,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
    ...opts,
  };
}

export function delReq(key: string | Buffer, opts: Partial<DeleteRangeRequest> = {}): DeleteRangeRequest {
  return { key: typeof key === 'string' ? b(key) : key, rangeEnd: Buffer.alloc(0), prevKv: false, ...opts };
}

export function cmp(key: string, target: Compare['target'], result: Compare['result'], value: number | string | bigint, rangeEnd = ''): Compare {
  return {
    key: b(key),
    rangeEnd: b(rangeEnd),
    target,
    result,
    version: target === 'VERSION' ? Number(value) : 0,
    createRevision: target === 'CREATE' ? Number(value) : 0,
    modRevision: target === 'MOD' ? Number(value) : 0,
    value: target === 'VALUE' ? b(String(value)) : Buffer.alloc(0),
    lease: target === 'LEASE' ? BigInt(value) : 0n,
  };
}

export function txnReq(t: Partial<TxnRequest>): TxnRequest {
  return { compare: [], success: [], failure: [], ...t };
}

const open: MvccStore[] = [];

export async function openStore(dir = tempDir('mvcc')): Promise<{ store: MvccStore; dir: string }> {
  const store = await MvccStore.open(dir);
  open.push(store);
  return { store, dir };
}

export async function reopen(store: MvccStore, dir: string): Promise<MvccStore> {
  await store.close();
  return (await openStore(dir)).store;
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  removeTempDirs(false);
});
