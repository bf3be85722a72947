import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { WalRecord } from '../../../src/server/wal/index.js';

// Under the OS temp dir, which is a real disk on the dev and CI machines (not tmpfs): fsync matters.
export async function tempDir(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `capstan-wal-${label}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** A `newDir(label)` whose directories are removed after each test of the calling file. */
export function tempDirsPerTest(): (label: string) => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await removeDir(d);
  });
  return async (label) => {
    const d = await tempDir(label);
    dirs.push(d);
    return d;
  };
}

/** A record whose bytes encode its index, so order and content can be checked. */
export function recordFor(i: number, size = 16 + (i % 97)): WalRecord {
  const data = new Uint8Array(size);
  for (let k = 0; k < size; k++) data[k] = (i * 31 + k * 7 + 1) & 0xff;
  new DataView(data.buffer).setUint32(0, i, true);
  return { type: 1 + (i % 200), data };
}

export function plain(records: readonly WalRecord[]): { type: number; data: number[] }[] {
  return records.map((r) => ({ type: r.type, data: Array.from(r.data) }));
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}

export async function copyDir(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true });
}
