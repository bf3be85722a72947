// Watchers created at random points see exactly the model's event stream from their start revision,
// whether they keep up or are congested and caught up from history.

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MvccStore } from '../../src/mvcc/store.js';
import type { MvccEvent, RequestOp } from '../../src/mvcc/types.js';
import type { Watcher, WatchOptions } from '../../src/mvcc/watchableStore.js';
import { removeTempDirs, tempDir } from '../support/tempDirs.js';
import { Model } from './mvccModel.js';

const keyArb = fc.constantFrom('a', 'ab', 'b', 'c').map((k) => Buffer.from(k));
const endArb = fc.constantFrom('', '', '\0', 'b', 'c').map((v) => Buffer.from(v));
const valueArb = fc.constantFrom('x', 'y').map((v) => Buffer.from(v));
const putArb = fc.record({ key: keyArb, value: valueArb }).map((p) => ({
  ...p, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
}));
const delArb = fc.record({ key: keyArb, rangeEnd: endArb }).map((d) => ({ ...d, prevKv: false }));
const writeOpArb: fc.Arbitrary<RequestOp> = fc.oneof(putArb.map((put) => ({ put })), delArb.map((deleteRange) => ({ deleteRange })));

type Op =
  | { k: 'put'; req: ReturnType<typeof putArb.generate>['value'] }
  | { k: 'del'; req: ReturnType<typeof delArb.generate>['value'] }
  | { k: 'txn'; ops: RequestOp[] }
  | { k: 'watch'; key: Buffer; rangeEnd: Buffer; back: number; prevKv: boolean; filterPut: boolean; filterDelete: boolean; congestEvery: number }
  | { k: 'tick'; n: number }
  | { k: 'resume' }
  | { k: 'commit' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: putArb.map((req) => ({ k: 'put' as const, req })), weight: 5 },
  { arbitrary: delArb.map((req) => ({ k: 'del' as const, req })), weight: 2 },
  { arbitrary: fc.array(writeOpArb, { minLength: 1, maxLength: 4 }).map((ops) => ({ k: 'txn' as const, ops })), weight: 2 },
  {
    arbitrary: fc.record({
      key: keyArb, rangeEnd: endArb,
      // -1: start 0 (from now); -2: a future revision; >= 0: this many revisions back
      back: fc.integer({ min: -2, max: 8 }),
      prevKv: fc.boolean(), filterPut: fc.constantFrom(false, false, false, true), filterDelete: fc.boolean(),
      congestEvery: fc.constantFrom(0, 0, 1, 2, 3),
    }).map((w) => ({ k: 'watch' as const, ...w, filterPut: w.filterPut && !w.filterDelete })),
    weight: 2,
  },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({ k: 'tick' as const, n })), weight: 2 },
  { arbitrary: fc.constant({ k: 'resume' as const }), weight: 1 },
  { arbitrary: fc.constant({ k: 'commit' as const }), weight: 1 },
);

interface Recorded {
  opts: WatchOptions;
  from: number;
  calls: MvccEvent[][];
  watcher: Watcher;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

afterEach(() => removeTempDirs(false));

describe('watchable store against the model event stream', () => {
  it('delivers every event exactly once, in order, from the start revision', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(1, 3, 1000), async (ops, chunk) => {
        const store = await MvccStore.open(tempDir('mvcc-watch'), { watchHistoryChunk: chunk });
        const model = new Model();
        const watchers: Recorded[] = [];
        try {
          for (const op of ops) {
            if (op.k === 'put') {
              await store.applyPut(op.req);
              model.put(op.req);
            } else if (op.k === 'del') {
              await store.applyDeleteRange(op.req);
              model.deleteRange(op.req);
            } else if (op.k === 'txn') {
              const t = { compare: [], success: op.ops, failure: [] };
              await store.applyTxn(t);
              model.txn(t);
            } else if (op.k === 'watch') {
              const start = op.back === -1 ? 0 : op.back === -2 ? model.rev + 2 : Math.max(1, model.rev - op.back);
              const opts: WatchOptions = {
                key: op.key, rangeEnd: op.rangeEnd, startRevision: start,
                prevKv: op.prevKv, filterPut: op.filterPut, filterDelete: op.filterDelete,
              };
              const rec: Recorded = { opts, from: start === 0 ? model.rev + 1 : start, calls: [], watcher: undefined as never };
              let n = 0;
              rec.watcher = store.watchable.watch(opts, {
                send: (evs) => {
                  rec.calls.push(evs);
                  n++;
                  return op.congestEvery === 0 || n % op.congestEvery !== 0;
                },
                compacted: () => {
                  throw new Error('no compaction happens in this test');
                },
              });
              watchers.push(rec);
            } else if (op.k === 'tick') {
              for (let i = 0; i < op.n; i++) await tick();
            } else if (op.k === 'resume') {
              for (const w of watchers) w.watcher.resume();
            } else {
              await store.commit();
            }
          }
          // Let everyone catch up: resume congested watchers until all are synced (bounded).
          const deadline = Date.now() + 10_000;
          for (let i = 0; i < 10_000 && Date.now() < deadline && !watchers.every((w) => w.watcher.isSynced()); i++) {
            for (const w of watchers) w.watcher.resume();
            await new Promise((r) => setTimeout(r, 1));
          }
          expect(watchers.every((w) => w.watcher.isSynced())).toBe(true);

          for (const w of watchers) {
            const want: MvccEvent[][] = [];
            for (let rev = w.from; rev <= model.rev; rev++) {
              const evs = (model.events.get(rev) ?? [])
                .filter((e) => {
                  const k = e.kv.key;
                  const { key, rangeEnd } = w.opts;
                  const inR = rangeEnd.length === 0 ? k.equals(key)
                    : Buffer.compare(k, key) >= 0 && ((rangeEnd.length === 1 && rangeEnd[0] === 0) || Buffer.compare(k, rangeEnd) < 0);
                  return inR && !(e.type === 'PUT' && w.opts.filterPut) && !(e.type === 'DELETE' && w.opts.filterDelete);
                })
                .map((e) => ({ ...e, prevKv: w.opts.prevKv ? e.prevKv : null }));
              if (evs.length > 0) want.push(evs);
            }
            expect(w.calls).toEqual(want);
          }
        } finally {
          for (const w of watchers) w.watcher.cancel();
          await store.close();
        }
      }),
      { numRuns: 120 },
    );
  }, 120_000);
});
