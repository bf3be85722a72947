// Committed entries are applied while the hard state that records their commit is still being
// written without a sync (etcd's MustSync lets a commit-only hard state skip the fsync). A crash in
// that window leaves the store's applied index ahead of the WAL's commit index; the member must
// restart from that state rather than refuse it.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfChangeType, encodeConfChange, EntryType, type Entry } from '../../../src/raft/index.js';
import { entryRecord, hardStateRecord } from '../../../src/server/log/entryRecord.js';
import { RaftLog } from '../../../src/server/log/raftLog.js';
import { createNopLogger } from '../../../src/server/logger.js';
import { Wal } from '../../../src/server/wal/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const founding: Entry = {
  term: 1,
  index: 1,
  type: EntryType.EntryConfChange,
  data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 1n, context: new Uint8Array(0) }),
};
const normal = (index: number): Entry => ({ term: 2, index, type: EntryType.EntryNormal, data: new Uint8Array(0) });

describe('RaftLog restart with the store ahead of the recorded commit', () => {
  it('takes the store applied index as committed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-unsynced-commit-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await Wal.open(path.join(dir, 'wal'));
    // Entries 1..5 are durable; the last durable hard state says commit 3; the store applied 5.
    await first.wal.append([
      ...[founding, normal(2), normal(3), normal(4), normal(5)].map(entryRecord),
      hardStateRecord({ term: 2, vote: 1n, commit: 3 }),
    ]);
    await first.wal.close();
    const opened = await Wal.open(path.join(dir, 'wal'));
    cleanups.push(() => opened.wal.close());
    const fatal: Error[] = [];
    const log = new RaftLog({
      id: 1n,
      wal: opened.wal,
      walRecords: opened.records,
      walFirstRecordSeq: opened.firstRecordSeq,
      maxWals: 5,
      storeApplied: 5,
      storeTerm: 2,
      bootstrap: null,
      heartbeatMs: 100,
      electionTimeoutMs: 1000,
      preVote: true,
      snapshotCount: 10_000,
      snapshotCatchupEntries: 5_000,
      requestTimeoutMs: 5_000,
      sender: { send: () => undefined, sendSnapshot: (_m, _d, done) => done(false) },
      snapshots: {
        exportState: async () => ({ data: new Uint8Array(0), index: 5, term: 2 }),
        installState: async () => {},
        persist: async () => {},
        appliedIndex: () => 5,
      },
      logger: createNopLogger(),
      onFatal: (e) => fatal.push(e),
    });
    cleanups.push(() => log.stop());
    expect(log.committedIndex).toBe(5);
    const applied: number[] = [];
    await log.start(async (entries) => {
      applied.push(...entries.map((e) => e.index));
    });
    await new Promise((r) => setTimeout(r, 300));
    // Nothing at or below the store's applied index is handed out again.
    expect(applied.every((i) => i > 5)).toBe(true);
    expect(fatal.map((e) => e.message)).toEqual([]);
  });
});
