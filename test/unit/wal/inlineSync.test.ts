import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Wal } from '../../../src/server/wal/index.js';
import { InlineSyncGate } from '../../../src/server/wal/inlineSyncGate.js';
import { plain, recordFor, tempDirsPerTest } from './helpers.js';

const newDir = tempDirsPerTest();

/**
 * Fills every thread-pool thread with slow key derivations (at most 1024 threads, libuv's limit, and
 * far more than the default 4). A thread-pool fdatasync queues behind them; an inline one does not.
 * `first` resolves with the time until the first of them finished: no thread is free before then.
 */
function busyThreadPool(): { first: Promise<number> } {
  const t0 = performance.now();
  const jobs = Array.from(
    { length: Math.max(4, Number(process.env.UV_THREADPOOL_SIZE ?? 4)) },
    () => new Promise<void>((resolve, reject) => crypto.pbkdf2('p', 's', 400_000, 32, 'sha256', (err) => (err ? reject(err) : resolve()))),
  );
  return { first: Promise.race(jobs).then(() => performance.now() - t0) };
}

async function timeAppend(wal: Wal, i: number, inlineSync: boolean): Promise<number> {
  const t0 = performance.now();
  await wal.append([recordFor(i)], { inlineSync });
  return performance.now() - t0;
}

describe('Wal inline syncs', () => {
  it('syncs an inline append on the event loop, without waiting for a busy thread pool', async () => {
    const dir = await newDir('inline');
    const fsyncs: number[] = [];
    const { wal } = await Wal.open(dir, { onFsync: (s) => fsyncs.push(s), inlineSyncBudgetMs: 10_000 });
    const busy = busyThreadPool();
    const inlineMs = await timeAppend(wal, 0, true);
    const busyMs = await busy.first;
    // The derivations take a hundred milliseconds or more; the inline sync does not wait for them.
    expect(inlineMs).toBeLessThan(busyMs / 2);
    expect(wal.syncs()).toEqual({ inline: 1, threaded: 0 });
    expect(fsyncs).toHaveLength(1);

    // A batch with one append that did not ask for an inline sync goes to the thread pool.
    await Promise.all([wal.append([recordFor(1)], { inlineSync: true }), wal.append([recordFor(2)])]);
    expect(wal.syncs()).toEqual({ inline: 1, threaded: 1 });
    await wal.close();
    const opened = await Wal.open(dir);
    expect(plain(opened.records)).toEqual(plain([0, 1, 2].map((i) => recordFor(i))));
    await opened.wal.close();
  });

  it('goes back to the thread pool while syncs are slower than its budget', async () => {
    const dir = await newDir('inline-slow');
    // With a zero budget, any sync makes the average "slow".
    const { wal } = await Wal.open(dir, { inlineSyncBudgetMs: 0 });
    await timeAppend(wal, 0, true);
    const busy = busyThreadPool();
    const pausedMs = await timeAppend(wal, 1, true);
    const busyMs = await busy.first;
    expect(wal.syncs()).toEqual({ inline: 1, threaded: 1 });
    // This sync queued behind the derivations.
    expect(pausedMs).toBeGreaterThan(busyMs * 0.8);
    await wal.close();
  });

  it('an unsynced inline append neither syncs nor counts', async () => {
    const dir = await newDir('inline-nosync');
    const { wal } = await Wal.open(dir);
    await wal.append([recordFor(0)], { sync: false, inlineSync: true });
    expect(wal.syncs()).toEqual({ inline: 0, threaded: 0 });
    await wal.close();
  });
});

describe('InlineSyncGate', () => {
  it('allows inline syncs while the moving average of sync times is within budget', () => {
    const gate = new InlineSyncGate(2);
    expect(gate.allowed()).toBe(true);
    for (let i = 0; i < 50; i++) gate.observe(0.4);
    expect(gate.allowed()).toBe(true);
    // One 50 ms sync among fast ones: only the next few go to the thread pool.
    gate.observe(50);
    let away = 0;
    while (!gate.allowed()) {
      gate.observe(0.4);
      away++;
      expect(away).toBeLessThan(20);
    }
    expect(away).toBeGreaterThan(5);
    // A disk that is slow on average stays in the thread pool.
    for (let i = 0; i < 100; i++) gate.observe(i % 2 === 0 ? 1 : 4);
    expect(gate.allowed()).toBe(false);
  });
});
