import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MvccStore } from '../../../src/mvcc/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// A request that meets a closed store (a member stopping, or swapping in a snapshot from the leader)
// must get a status clients retry on, not Unknown.
it('answers reads on a closed store with etcd\'s retryable "server stopped"', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-closed-'));
  dirs.push(dir);
  const store = await MvccStore.open(dir);
  await store.close();
  const req = {
    key: Buffer.from('k'), rangeEnd: Buffer.alloc(0), limit: 0, revision: 0, sortOrder: 'NONE' as const, sortTarget: 'KEY' as const,
    serializable: true, keysOnly: false, countOnly: false, minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0,
  };
  await expect(store.range(req)).rejects.toMatchObject({ code: 14, message: 'etcdserver: server stopped' });
});
