import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];

/** A fresh directory under os.tmpdir(), removed by removeTempDirs() at teardown. */
export function tempDir(prefix: string): string {
  if (!/^[A-Za-z0-9._-]{1,60}$/.test(prefix)) throw new Error(`tempDir: unsafe prefix ${JSON.stringify(prefix)}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `capstan-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Whether a failing test's directories are kept for inspection (KEEP_TEST_DIRS=1). */
export function keepDirsOnFailure(): boolean {
  return process.env.KEEP_TEST_DIRS === '1';
}

/**
 * Removes every directory tempDir() made, unless `keep` (then lists them on stderr so they can be found).
 */
export function removeTempDirs(keep: boolean): void {
  const dirs = created.splice(0, created.length);
  if (keep) {
    if (dirs.length > 0) process.stderr.write(`KEEP_TEST_DIRS=1: kept ${dirs.join(' ')}\n`);
    return;
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
