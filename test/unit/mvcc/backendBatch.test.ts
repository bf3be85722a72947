// Batched backend commits follow etcd's --backend-batch-interval and --backend-batch-limit: applied
// writes reach LevelDB in one batch per interval, or at once when the limit is reached or a commit
// that is not batched is asked for.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backend, type BackendOptions } from '../../../src/mvcc/backend.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(opts: BackendOptions): Promise<{ backend: Backend; dir: string; commits: number[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-batch-'));
  dirs.push(dir);
  const commits: number[] = [];
  const backend = await Backend.open(dir, { ...opts, onCommit: (s) => commits.push(s) });
  return { backend, dir, commits };
}

const key = (i: number): Buffer => Buffer.from(`k${i}`);

async function timed(p: Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await p;
  return performance.now() - t0;
}

describe('Backend batched commits', () => {
  it('wait out the batch interval and go to LevelDB together', async () => {
    const { backend, dir, commits } = await open({ batchIntervalMs: 300 });
    backend.put('key', key(1), Buffer.from('a'));
    const first = backend.commit({ batched: true });
    backend.put('key', key(2), Buffer.from('b'));
    const second = backend.commit({ batched: true });
    const waited = await timed(Promise.all([first, second]));
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(commits).toHaveLength(1);
    await backend.close();
    const reopened = await Backend.open(dir);
    expect((await reopened.get('key', key(2)))?.toString()).toBe('b');
    await reopened.close();
  });

  it('go at once when the batch limit is reached', async () => {
    const { backend, commits } = await open({ batchIntervalMs: 60_000, batchLimit: 3 });
    backend.put('key', key(1), Buffer.from('a'));
    const waiting = backend.commit({ batched: true });
    backend.put('key', key(2), Buffer.from('b'));
    backend.put('key', key(3), Buffer.from('c'));
    expect(await timed(Promise.all([waiting, backend.commit({ batched: true })]))).toBeLessThan(5_000);
    expect(commits).toHaveLength(1);
    await backend.close();
  });

  it('go at once when a commit that is not batched is asked for', async () => {
    const { backend } = await open({ batchIntervalMs: 60_000 });
    backend.put('key', key(1), Buffer.from('a'));
    const waiting = backend.commit({ batched: true });
    expect(await timed(Promise.all([waiting, backend.commit({ sync: true })]))).toBeLessThan(5_000);
    await backend.close();
  });
});
