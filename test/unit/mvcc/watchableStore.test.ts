import { describe, expect, it } from 'vitest';
import type { MvccEvent } from '../../../src/mvcc/types.js';
import { MAX_CONCURRENT_CATCH_UPS, type WatchOptions } from '../../../src/mvcc/watchableStore.js';
import { b, delReq, openStore, putReq, txnReq } from './support.js';

const opts = (key: string, o: Partial<WatchOptions> = {}): WatchOptions => ({
  key: b(key), rangeEnd: Buffer.alloc(0), startRevision: 0, prevKv: false, filterPut: false, filterDelete: false, ...o,
});

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in 5 s');
    await new Promise((r) => setTimeout(r, 1));
  }
}

const summary = (calls: MvccEvent[][]) =>
  calls.map((evs) => evs.map((e) => `${e.type} ${e.kv.key} @${e.kv.modRevision}${e.prevKv ? ` prev=${e.prevKv.value}` : ''}`));

describe('WatchableStore', () => {
  it('delivers one call per revision with the txn events in order, DELETE kv carrying only key and revision', async () => {
    const { store } = await openStore();
    const calls: MvccEvent[][] = [];
    const w = store.watchable.watch(opts('a', { rangeEnd: b('z'), prevKv: true }), { send: (e) => (calls.push(e), true), compacted: () => {} });
    expect(w.isSynced()).toBe(true);
    await store.applyPut(putReq('a', '1'));
    await store.applyTxn(txnReq({ success: [{ put: putReq('a', '2') }, { put: putReq('b', '3') }, { deleteRange: delReq('a') }] }));
    await store.applyPut(putReq('zz', 'out of range'));
    expect(summary(calls)).toEqual([['PUT a @2'], ['PUT a @3 prev=1', 'PUT b @3', 'DELETE a @3 prev=1']]);
    expect(calls[1]![2]!.kv).toEqual({ key: b('a'), createRevision: 0, modRevision: 3, version: 0, value: Buffer.alloc(0), lease: 0n });
    w.cancel();
    await store.applyPut(putReq('a', '4'));
    expect(calls.length).toBe(2);
  });

  it('catches a watcher up from history, with prev_kv read at rev-1', async () => {
    const { store } = await openStore();
    await store.applyPut(putReq('k', '1'));
    await store.applyPut(putReq('k', '2'));
    await store.commit();
    await store.applyDeleteRange(delReq('k'));
    const calls: MvccEvent[][] = [];
    const w = store.watchable.watch(opts('k', { startRevision: 2, prevKv: true }), { send: (e) => (calls.push(e), true), compacted: () => {} });
    expect(w.isSynced()).toBe(false);
    await until(() => w.isSynced());
    await store.applyPut(putReq('k', '5'));
    expect(summary(calls)).toEqual([['PUT k @2'], ['PUT k @3 prev=1'], ['DELETE k @4 prev=2'], ['PUT k @5']]);
  });

  it('a congested watcher stops receiving and resumes from history without gaps or repeats', async () => {
    const { store } = await openStore();
    const calls: MvccEvent[][] = [];
    let accept = false;
    const w = store.watchable.watch(opts('k'), { send: (e) => (calls.push(e), accept), compacted: () => {} });
    await store.applyPut(putReq('k', '1'));
    expect(w.isSynced()).toBe(false);
    for (let i = 2; i <= 5; i++) await store.applyPut(putReq('k', String(i)));
    expect(calls.length).toBe(1);
    accept = true;
    w.resume();
    await until(() => w.isSynced());
    await store.applyPut(putReq('k', '6'));
    expect(calls.map((c) => c[0]!.kv.modRevision)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('hands a sink that is not ready nothing, and on resume delivers from the first revision it missed', async () => {
    const { store } = await openStore();
    const calls: MvccEvent[][] = [];
    let ready = false;
    const w = store.watchable.watch(opts('k'), { send: (e) => (calls.push(e), true), compacted: () => {}, ready: () => ready });
    for (let i = 1; i <= 4; i++) await store.applyPut(putReq('k', String(i)));
    expect(calls.length).toBe(0);
    expect(w.isSynced()).toBe(false);
    w.resume(); // still not ready: the catch-up reads nothing and waits again
    await until(() => !w.isSynced());
    expect(calls.length).toBe(0);
    ready = true;
    w.resume();
    await until(() => w.isSynced());
    await store.applyPut(putReq('k', '5'));
    expect(calls.map((c) => c[0]!.kv.modRevision)).toEqual([2, 3, 4, 5, 6]);
  });

  it(`runs at most ${MAX_CONCURRENT_CATCH_UPS} catch-ups at once, and every waiting watcher gets its turn`, async () => {
    const { store } = await openStore();
    for (let i = 1; i <= 3; i++) await store.applyPut(putReq('k', String(i)));
    await store.commit();
    // A catch-up asks ready() before it reads history and sends once the read is back: a watcher
    // is reading from its first ready() to its next send.
    let reading = 0;
    let maxReading = 0;
    const watchers = Array.from({ length: MAX_CONCURRENT_CATCH_UPS * 4 }, () => {
      const got: number[] = [];
      let inRead = false;
      const w = store.watchable.watch(opts('k', { startRevision: 2 }), {
        send: (e) => {
          if (inRead) reading--;
          inRead = false;
          got.push(e[0]!.kv.modRevision);
          return true;
        },
        compacted: () => {},
        ready: () => {
          if (!inRead) {
            inRead = true;
            maxReading = Math.max(maxReading, ++reading);
          }
          return true;
        },
      });
      return { w, got };
    });
    await until(() => watchers.every(({ w }) => w.isSynced()));
    for (const { got } of watchers) expect(got).toEqual([2, 3, 4]);
    expect(maxReading).toBeGreaterThan(1);
    // +1: a watcher past its read asks again before each later send, in the same synchronous run.
    expect(maxReading).toBeLessThanOrEqual(MAX_CONCURRENT_CATCH_UPS + 1);
  });

  it('reports compaction to a watcher starting below the compact revision, once and instead of events', async () => {
    const { store } = await openStore();
    for (let i = 0; i < 5; i++) await store.applyPut(putReq('k', String(i)));
    await store.applyCompaction({ revision: 4, physical: false });
    const got: number[] = [];
    const calls: MvccEvent[][] = [];
    store.watchable.watch(opts('k', { startRevision: 3 }), { send: (e) => (calls.push(e), true), compacted: (r) => got.push(r) });
    await until(() => got.length > 0);
    expect(got).toEqual([4]);
    expect(calls).toEqual([]);
    // At exactly the compact revision the watch works.
    const ok: MvccEvent[][] = [];
    const w = store.watchable.watch(opts('k', { startRevision: 4 }), { send: (e) => (ok.push(e), true), compacted: () => {} });
    await until(() => w.isSynced());
    expect(ok.map((c) => c[0]!.kv.modRevision)).toEqual([4, 5, 6]);
  });

  it('filters, and a watch starting in the future sees nothing before its start', async () => {
    const { store } = await openStore();
    const puts: MvccEvent[][] = [];
    const future: MvccEvent[][] = [];
    store.watchable.watch(opts('k', { filterDelete: true }), { send: (e) => (puts.push(e), true), compacted: () => {} });
    store.watchable.watch(opts('k', { startRevision: 4 }), { send: (e) => (future.push(e), true), compacted: () => {} });
    await store.applyPut(putReq('k', '1'));
    await store.applyDeleteRange(delReq('k'));
    await store.applyPut(putReq('k', '2'));
    expect(summary(puts)).toEqual([['PUT k @2'], ['PUT k @4']]);
    expect(summary(future)).toEqual([['PUT k @4']]);
  });

  it('thousands of synced watchers on other keys do not see an unrelated write', async () => {
    const { store } = await openStore();
    let sends = 0;
    for (let i = 0; i < 5000; i++) store.watchable.watch(opts(`key-${i}`), { send: () => (sends++, true), compacted: () => {} });
    for (let i = 0; i < 50; i++) store.watchable.watch(opts('pfx/', { rangeEnd: b('pfx0') }), { send: () => (sends++, true), compacted: () => {} });
    expect(store.watchable.syncedWatchers).toBe(5050);
    await store.applyPut(putReq('key-17', 'x'));
    expect(sends).toBe(1);
    await store.applyPut(putReq('pfx/a', 'x'));
    expect(sends).toBe(51);
  });

  it('hands its watchers to a store that replaces it (a snapshot install), which catches them up from its history', async () => {
    const { store: old } = await openStore();
    const { store: next } = await openStore();
    for (const st of [old, next]) await st.applyPut(putReq('k', '1'));
    for (let i = 2; i <= 4; i++) await next.applyPut(putReq('k', String(i)));
    await next.commit();
    const calls: MvccEvent[][] = [];
    let accept = true;
    const synced = old.watchable.watch(opts('k', { startRevision: 2 }), { send: (e) => (calls.push(e), true), compacted: () => {} });
    const congestedCalls: MvccEvent[][] = [];
    const congested = old.watchable.watch(opts('k'), { send: (e) => (congestedCalls.push(e), accept), compacted: () => {} });
    await until(() => synced.isSynced());
    accept = false;
    await old.applyPut(putReq('k', 'old-only'));
    expect(congested.isSynced()).toBe(false);
    old.watchable.detachAll();
    await old.applyPut(putReq('k', 'after detach'));
    next.watchable.adopt(old.watchable);
    await until(() => synced.isSynced());
    await next.applyPut(putReq('k', '5'));
    expect(summary(calls)).toEqual([['PUT k @2'], ['PUT k @3'], ['PUT k @4'], ['PUT k @5'], ['PUT k @6']]);
    accept = true;
    congested.resume();
    await until(() => congested.isSynced());
    expect(summary(congestedCalls)).toEqual([['PUT k @3'], ['PUT k @4'], ['PUT k @5'], ['PUT k @6']]);
  });

  it('a watch created while a snapshot replaces the store is served by the new store', async () => {
    const { store: old } = await openStore();
    const { store: next } = await openStore();
    for (const st of [old, next]) await st.applyPut(putReq('k', '1'));
    await next.applyPut(putReq('k', '2'));
    old.watchable.detachAll();
    const calls: MvccEvent[][] = [];
    const fromNow = old.watchable.watch(opts('k'), { send: (e) => (calls.push(e), true), compacted: () => {} });
    const pastCalls: MvccEvent[][] = [];
    const fromPast = old.watchable.watch(opts('k', { startRevision: 2 }), { send: (e) => (pastCalls.push(e), true), compacted: () => {} });
    // Timers still run: nothing spins on the detached store.
    await new Promise((r) => setTimeout(r, 20));
    next.watchable.adopt(old.watchable);
    await until(() => fromNow.isSynced() && fromPast.isSynced());
    await next.applyPut(putReq('k', '3'));
    expect(summary(calls)).toEqual([['PUT k @3'], ['PUT k @4']]);
    expect(summary(pastCalls)).toEqual([['PUT k @2'], ['PUT k @3'], ['PUT k @4']]);
  });
});
