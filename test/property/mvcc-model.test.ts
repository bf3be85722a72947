// The store against the reference model: random sequences of writes, txns (nested, compares over
// ranges), compactions, reads (historical, limits, sorts, filters), leases and restarts; every
// response field and every error must be equal.

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdError } from '../../src/mvcc/errors.js';
import { MvccStore } from '../../src/mvcc/store.js';
import type { Compare, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../../src/mvcc/types.js';
import { removeTempDirs, tempDir } from '../support/tempDirs.js';
import { Model, ModelError } from './mvccModel.js';

const KEYS = ['a', 'ab', 'b', 'c', 'd'];
const keyArb = fc.constantFrom(...KEYS).map((k) => Buffer.from(k));
const valueArb = fc.constantFrom('', 'x', 'y', 'zz').map((v) => Buffer.from(v));
const endArb = fc.constantFrom('', '', '\0', 'b', 'c', 'e', 'a').map((v) => Buffer.from(v));
const revArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 25 }));
const leaseArb = fc.constantFrom(0n, 0n, 1n, 2n);

const rangeArb: fc.Arbitrary<RangeRequest> = fc.record({
  key: keyArb,
  rangeEnd: endArb,
  limit: fc.constantFrom(0, 0, 1, 2, 3),
  revision: revArb,
  sortOrder: fc.constantFrom('NONE', 'NONE', 'ASCEND', 'DESCEND'),
  sortTarget: fc.constantFrom('KEY', 'KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
  serializable: fc.boolean(),
  keysOnly: fc.boolean(),
  countOnly: fc.constantFrom(false, false, false, true),
  minModRevision: fc.constantFrom(0, 0, 0, 3, 6),
  maxModRevision: fc.constantFrom(0, 0, 0, 5, 10),
  minCreateRevision: fc.constantFrom(0, 0, 0, 2, 4),
  maxCreateRevision: fc.constantFrom(0, 0, 0, 6, 12),
}) as fc.Arbitrary<RangeRequest>;

const putArb = fc
  .record({
    key: keyArb,
    value: valueArb,
    lease: leaseArb,
    prevKv: fc.boolean(),
    ignoreValue: fc.boolean(),
    ignoreLease: fc.boolean(),
  })
  // Mostly well-formed ignore_* requests, occasionally the invalid combinations.
  .chain((p) =>
    fc.constantFrom(0, 1, 2, 3, 4).map((n) =>
      n === 0 ? p : { ...p, ignoreValue: n === 1, ignoreLease: n === 2, value: n === 1 ? Buffer.alloc(0) : p.value, lease: n === 2 ? 0n : p.lease },
    ),
  )
  .map((p) => (p.ignoreValue || p.ignoreLease ? p : { ...p }));

const delArb = fc.record({ key: keyArb, rangeEnd: endArb, prevKv: fc.boolean() });

const compareArb: fc.Arbitrary<Compare> = fc.record({
  result: fc.constantFrom('EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'),
  target: fc.constantFrom('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'),
  key: keyArb,
  rangeEnd: endArb,
  version: fc.integer({ min: 0, max: 3 }),
  createRevision: fc.integer({ min: 0, max: 8 }),
  modRevision: fc.integer({ min: 0, max: 8 }),
  value: valueArb,
  lease: leaseArb,
}) as fc.Arbitrary<Compare>;

const { txn: txnArb } = fc.letrec<{ txn: TxnRequest; op: RequestOp }>((tie) => ({
  txn: fc.record({
    compare: fc.array(compareArb, { maxLength: 2 }),
    success: fc.array(tie('op'), { maxLength: 3 }),
    failure: fc.array(tie('op'), { maxLength: 3 }),
  }),
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeArb.map((range) => ({ range })),
    putArb.map((put) => ({ put })),
    delArb.map((deleteRange) => ({ deleteRange })),
    tie('txn').map((txn) => ({ txn: txn as TxnRequest })),
  ) as fc.Arbitrary<RequestOp>,
}));

type Op =
  | { k: 'put'; req: PutRequest }
  | { k: 'del'; req: Parameters<Model['deleteRange']>[0] }
  | { k: 'range'; req: RangeRequest }
  | { k: 'txn'; req: TxnRequest }
  | { k: 'compact'; rev: number }
  | { k: 'grant'; id: bigint }
  | { k: 'revoke'; id: bigint }
  | { k: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: putArb.map((req) => ({ k: 'put' as const, req })), weight: 6 },
  { arbitrary: delArb.map((req) => ({ k: 'del' as const, req })), weight: 2 },
  { arbitrary: rangeArb.map((req) => ({ k: 'range' as const, req })), weight: 5 },
  { arbitrary: txnArb.map((req) => ({ k: 'txn' as const, req })), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 20 }).map((rev) => ({ k: 'compact' as const, rev })), weight: 1 },
  { arbitrary: fc.constantFrom(1n, 2n).map((id) => ({ k: 'grant' as const, id })), weight: 1 },
  { arbitrary: fc.constantFrom(1n, 2n).map((id) => ({ k: 'revoke' as const, id })), weight: 1 },
  { arbitrary: fc.constant({ k: 'reopen' as const }), weight: 1 },
);

type Outcome = { ok: unknown } | { err: string };

async function outcome(fn: () => unknown): Promise<Outcome> {
  try {
    return { ok: await fn() };
  } catch (e) {
    if (e instanceof EtcdError || e instanceof ModelError) return { err: e.message };
    throw e;
  }
}

afterEach(() => removeTempDirs(false));

describe('MvccStore against the reference model', () => {
  it('gives every response and error the model gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const dir = tempDir('mvcc-model');
        let store = await MvccStore.open(dir);
        const model = new Model();
        let index = 0;
        try {
          for (const op of ops) {
            let got: Outcome;
            let want: Outcome;
            switch (op.k) {
              case 'put':
                got = await outcome(() => store.applyPut(op.req));
                want = await outcome(() => model.put(op.req));
                break;
              case 'del':
                got = await outcome(() => store.applyDeleteRange(op.req));
                want = await outcome(() => model.deleteRange(op.req));
                break;
              case 'range':
                got = await outcome(() => store.range(op.req));
                want = await outcome(() => model.range(op.req));
                break;
              case 'txn':
                got = await outcome(() => store.applyTxn(op.req));
                want = await outcome(() => model.txn(op.req));
                break;
              case 'compact':
                got = await outcome(() => store.applyCompaction({ revision: op.rev, physical: false }));
                want = await outcome(() => model.compact(op.rev));
                break;
              case 'grant':
                got = await outcome(() => store.applyLeaseGrant(op.id, 30));
                want = await outcome(() => model.leaseGrant(op.id, 30));
                break;
              case 'revoke':
                got = await outcome(() => store.applyLeaseRevoke(op.id));
                want = await outcome(() => model.leaseRevoke(op.id));
                break;
              case 'reopen':
                store.setConsistentIndex(++index, 1);
                await store.commit();
                store = await (async () => {
                  await store.close();
                  return MvccStore.open(dir);
                })();
                expect(store.consistentIndex).toBe(index);
                got = want = { ok: null };
                break;
            }
            expect(got).toEqual(want);
            expect(store.currentRevision).toBe(model.rev);
            expect(store.compactRevision).toBe(Math.max(0, model.compactRev));
          }
          // Every revision not compacted away reads back exactly, and leases hold the right keys.
          for (let rev = Math.max(1, model.compactRev); rev <= model.rev; rev++) {
            const all: RangeRequest = {
              key: Buffer.from([0]), rangeEnd: Buffer.from([0]), limit: 0, revision: rev, sortOrder: 'NONE',
              sortTarget: 'KEY', serializable: false, keysOnly: false, countOnly: false, minModRevision: 0,
              maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0,
            };
            expect(await store.range(all)).toEqual(model.range(all));
          }
          for (const id of [1n, 2n]) {
            expect(store.leaseKeys(id).map((k) => k.toString('hex'))).toEqual(model.leaseKeys(id));
            expect(store.getLease(id) !== undefined).toBe(model.leases.has(id));
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
