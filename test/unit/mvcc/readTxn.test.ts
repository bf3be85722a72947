// A txn that only reads is served outside the log (MvccStore.readTxn), as etcd serves it. It must
// answer exactly what applying the same txn through the log would, including historical ranges,
// and its compares and ranges must see one revision even when a write lands while history is read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EtcdError } from '../../../src/mvcc/errors.js';
import { isReadOnlyTxn } from '../../../src/mvcc/store.js';
import type { RequestOp, TxnRequest } from '../../../src/mvcc/types.js';
import { cmp, delReq, openStore, putReq, rangeReq, txnReq } from './support.js';

const keys = ['a', 'b', 'c', 'd'];

async function outcome<T>(run: () => Promise<T>): Promise<T | string> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof EtcdError) return error.message;
    throw error;
  }
}

describe('MvccStore.readTxn', () => {
  it('tells read-only txns apart as etcd does (a nested txn is a write)', () => {
    expect(isReadOnlyTxn(txnReq({ success: [{ range: rangeReq('a') }], failure: [{ range: rangeReq('b') }] }))).toBe(true);
    expect(isReadOnlyTxn(txnReq({ success: [{ range: rangeReq('a') }], failure: [{ put: putReq('b', '1') }] }))).toBe(false);
    expect(isReadOnlyTxn(txnReq({ success: [{ txn: txnReq({}) }] }))).toBe(false);
  });

  it('answers what applyTxn answers, for any history and any read-only txn', async () => {
    const write = fc.oneof(
      fc.record({ put: fc.record({ key: fc.constantFrom(...keys), value: fc.string({ maxLength: 3 }) }) }),
      fc.record({ del: fc.constantFrom(...keys) }),
    );
    const range = fc.record({
      key: fc.constantFrom(...keys),
      wide: fc.boolean(),
      back: fc.nat({ max: 6 }),
      limit: fc.nat({ max: 2 }),
      countOnly: fc.boolean(),
    });
    const compare = fc.record({ key: fc.constantFrom(...keys), version: fc.nat({ max: 3 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { maxLength: 12 }),
        fc.nat({ max: 4 }),
        fc.array(compare, { maxLength: 2 }),
        fc.array(range, { maxLength: 3 }),
        fc.array(range, { maxLength: 3 }),
        async (writes, compactBack, compares, success, failure) => {
          const { store } = await openStore();
          for (const w of writes) {
            if ('put' in w) await store.applyPut(putReq(w.put.key, w.put.value));
            else await store.applyDeleteRange(delReq(w.del));
          }
          const compactAt = store.currentRevision - compactBack;
          if (compactAt > 1) await store.applyCompaction({ revision: compactAt, physical: false });
          const op = (r: (typeof success)[number]): RequestOp => ({
            range: rangeReq(r.key, {
              rangeEnd: r.wide ? Buffer.from('\0') : Buffer.alloc(0),
              revision: r.back === 0 ? 0 : Math.max(1, store.currentRevision - r.back),
              limit: r.limit,
              countOnly: r.countOnly,
            }),
          });
          const txn: TxnRequest = txnReq({
            compare: compares.map((c) => cmp(c.key, 'VERSION', 'EQUAL', c.version)),
            success: success.map(op),
            failure: failure.map(op),
          });
          const local = await outcome(() => store.readTxn(txn));
          const logged = await outcome(() => store.applyTxn(txn));
          expect(local).toEqual(logged);
          await store.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sees one revision when a write lands while a historical range is read', async () => {
    const { store } = await openStore();
    await store.applyPut(putReq('flag', 'old'));
    await store.applyPut(putReq('x', '1'));
    const txn = txnReq({
      compare: [cmp('flag', 'VALUE', 'EQUAL', 'old')],
      success: [{ range: rangeReq('x', { revision: 2 }) }, { range: rangeReq('flag') }],
      failure: [{ range: rangeReq('x', { revision: 3 }) }, { range: rangeReq('flag') }],
    });
    const pending = store.readTxn(txn);
    // Lands after the compares were first evaluated, while the historical range is being fetched.
    await store.applyPut(putReq('flag', 'new'));
    const resp = await pending;
    expect(resp).not.toBeNull();
    // Whichever branch it took, the values it returns agree with the branch's compare.
    const flag = resp!.responses.at(-1)!;
    if (!('range' in flag)) throw new Error('expected a range response');
    expect(flag.range.kvs[0]!.value.toString()).toBe(resp!.succeeded ? 'old' : 'new');
    expect(resp!.header.revision).toBe(store.currentRevision);
  });
});
