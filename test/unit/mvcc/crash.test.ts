// kill -9 a process that applies and commits, restart it from its consistent index, repeat; the
// final store must equal one that never crashed, and after every crash the data must be exactly
// what the persisted consistent index covers.

import { spawn, execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MvccStore } from '../../../src/mvcc/store.js';
import type { RangeRequest } from '../../../src/mvcc/types.js';
import { REPO_ROOT } from '../../support/repoRoot.js';
import { tempDir } from '../../support/tempDirs.js';
import { applyEntry } from './crashWorkload.js';
import { openStore } from './support.js';

const TOTAL = 1500;

const CHILD = `
import { MvccStore } from './src/mvcc/store.js';
import { applyEntry } from './test/unit/mvcc/crashWorkload.js';
const [dir, total, batch] = process.argv.slice(2).map((x, i) => (i === 0 ? x : Number(x)));
const store = await MvccStore.open(dir);
for (let i = store.consistentIndex + 1; i <= total; i++) {
  await applyEntry(store, i);
  store.setConsistentIndex(i, 1);
  if (i % batch === 0 || i === total) {
    await store.commit();
    process.stdout.write('committed ' + i + '\\n');
  }
}
await store.close();
process.stdout.write('done\\n');
`;

function build(): string {
  const out = tempDir('mvcc-crash-build');
  execFileSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '--outDir', out, '--rootDir', REPO_ROOT, '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--target', 'ES2022', '--types', 'node', '--skipLibCheck', '--strict',
      path.join(REPO_ROOT, 'test/unit/mvcc/crashWorkload.ts'),
    ],
    { stdio: 'pipe', timeout: 60_000 },
  );
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(out, 'node_modules'));
  writeFileSync(path.join(out, 'child.mjs'), CHILD);
  return out;
}

/** Run the child; kill -9 it once it has reported `killAfter` commits (or let it finish). */
function runChild(buildDir: string, dir: string, batch: number, killAfter: number | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(buildDir, 'child.mjs'), dir, String(TOTAL), String(batch)], {
      cwd: buildDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let commits = 0;
    let lastCommitted = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        const m = /^committed (\d+)$/.exec(line);
        if (!m) continue;
        lastCommitted = Number(m[1]);
        if (killAfter !== null && ++commits === killAfter) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' || code === 0) resolve(lastCommitted);
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

const ALL: RangeRequest = {
  key: Buffer.from([0]), rangeEnd: Buffer.from([0]), limit: 0, revision: 0, sortOrder: 'NONE', sortTarget: 'KEY',
  serializable: false, keysOnly: false, countOnly: false, minModRevision: 0, maxModRevision: 0,
  minCreateRevision: 0, maxCreateRevision: 0,
};

async function referenceAt(index: number): Promise<MvccStore> {
  const { store } = await openStore();
  for (let i = 1; i <= index; i++) await applyEntry(store, i);
  return store;
}

describe('crash consistency', () => {
  it('after kill -9 the data is exactly what the consistent index covers, and replay converges', async () => {
    const buildDir = build();
    const dir = tempDir('mvcc-crash');
    for (const [batch, killAfter] of [[7, 5], [13, 9], [3, 40]] as const) {
      const reported = await runChild(buildDir, dir, batch, killAfter);
      const store = await MvccStore.open(dir);
      const ci = store.consistentIndex;
      expect(ci).toBeGreaterThanOrEqual(reported);
      const ref = await referenceAt(ci);
      expect(store.currentRevision).toBe(ref.currentRevision);
      expect(store.compactRevision).toBe(ref.compactRevision);
      expect(await store.range(ALL)).toEqual(await ref.range(ALL));
      await ref.close();
      await store.close();
    }
    const last = await runChild(buildDir, dir, 10, null);
    expect(last).toBe(TOTAL);
    const store = await MvccStore.open(dir);
    const ref = await referenceAt(TOTAL);
    expect(store.consistentIndex).toBe(TOTAL);
    expect(await store.range(ALL)).toEqual(await ref.range(ALL));
    expect((await store.hashKV(0)).hash).toBe((await ref.hashKV(0)).hash);
    await store.close();
  }, 120_000);
});
