// Kills a process that is appending to the WAL with SIGKILL, then checks that every append it
// reported as resolved is present after reopening, in order, with nothing in between lost.

import { spawn, execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wal } from '../../../src/server/wal/index.js';
import { removeDir, tempDir } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
let buildDir = '';
let childJs = '';

beforeAll(async () => {
  // The child runs under plain node, so compile it (and the WAL it imports) to JS first.
  buildDir = await tempDir('crash-build');
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--outDir', buildDir, '--rootDir', ROOT,
      '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
      '--types', 'node', '--skipLibCheck', '--strict',
      path.join(ROOT, 'test/unit/wal/crash-child.ts'),
    ],
    { cwd: ROOT, stdio: 'pipe', timeout: 60_000 },
  );
  await fs.writeFile(path.join(buildDir, 'package.json'), '{"type":"module"}\n');
  childJs = path.join(buildDir, 'test/unit/wal/crash-child.js');
});

afterAll(async () => {
  if (buildDir) await removeDir(buildDir);
});

interface RoundResult {
  startedAt: number;
  acked: number[];
  stderr: string;
}

/** Runs the child until it has acked `killAfter` appends (or exits), then SIGKILLs it. */
function runAndKill(
  dir: string,
  segmentBytes: number,
  preallocate: boolean,
  big: boolean,
  inline: boolean,
  killAfter: number,
  killDelayMs: number,
): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childJs, dir, String(segmentBytes), String(preallocate), String(big), String(inline)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let startedAt = -1;
    let buffered = '';
    let stderr = '';
    let killing = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr += s));
    child.stdout.on('data', (s: string) => {
      buffered += s;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [word, num] = line.split(' ');
        if (word === 'ready') startedAt = Number(num);
        else if (word === 'ok') acked.push(Number(num));
      }
      if (acked.length >= killAfter && !killing) {
        killing = true;
        // A varying delay moves the kill around the write/fsync cycle of the next batch.
        setTimeout(() => child.kill('SIGKILL'), killDelayMs);
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      // A partial line was cut by the kill before its newline: that ack was never fully reported.
      resolve({ startedAt, acked, stderr });
    });
  });
}

describe.each([
  { preallocate: true, big: false, inline: false },
  { preallocate: false, big: false, inline: false },
  { preallocate: true, big: true, inline: false },
  { preallocate: false, big: true, inline: false },
  { preallocate: true, big: false, inline: true },
])('WAL under SIGKILL (preallocate=$preallocate, big records=$big, inline syncs=$inline)', ({ preallocate, big, inline }) => {
  it('keeps every append the killed process saw resolve, across repeated crashes', async () => {
    const dir = await tempDir('crash');
    try {
      // Small segments, so crashes also land around segment cuts.
      const segmentBytes = big ? 8 * 1024 * 1024 : 64 * 1024;
      let expectedMin = 0;
      let repairs = 0;
      const rounds = 8;
      for (let round = 0; round < rounds; round++) {
        const killAfter = big ? 5 + ((round * 7919) % 40) : 20 + ((round * 7919) % 300);
        const r = await runAndKill(dir, segmentBytes, preallocate, big, inline, killAfter, round % 4);
        expect(r.stderr).toBe('');
        expect(r.startedAt).toBeGreaterThanOrEqual(expectedMin);
        expect(r.acked.length).toBeGreaterThan(0);

        const { wal, records, firstRecordSeq, repaired } = await Wal.open(dir, { segmentBytes, preallocate });
        if (repaired) repairs++;
        await wal.close();
        expect(firstRecordSeq).toBe(0);
        // Records hold ids 0..n-1 in order: nothing lost in the middle, nothing reordered.
        records.forEach((rec, i) => {
          const view = new DataView(rec.data.buffer, rec.data.byteOffset, rec.data.byteLength);
          expect(view.getUint32(0, true)).toBe(i);
          expect(view.getUint32(4, true)).toBe(rec.data.length);
          expect(rec.type).toBe(1 + (i % 255));
        });
        // Every acked id is durable.
        expect(records.length).toBeGreaterThan(Math.max(...r.acked));
        expectedMin = records.length;
      }
      // Informational: how often the kill landed mid-write (depends on timing; not asserted).
      console.log(`${rounds} SIGKILL rounds, ${repairs} torn tails cut, ${expectedMin} records kept`);
      const segs = (await fs.readdir(dir)).filter((n) => n.endsWith('.wal'));
      expect(segs.length).toBeGreaterThan(1);
    } finally {
      await removeDir(dir);
    }
  });
});
