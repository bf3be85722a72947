// Committed entries are applied while the hard state that records their commit is still being
// written without a sync (etcd's MustSync lets a commit-only hard state skip the fsync). A crash in
// that window leaves the store's applied index ahead of the WAL's commit index; the member must
// restart from that state rather than refuse it.

import { describe, expect, it } from 'vitest';
import { EntryType, type Entry } from '../../../src/raft/index.js';
import { entryRecord, hardStateRecord } from '../../../src/server/log/entryRecord.js';
import { foundingEntries, openTestRaftLog } from './raftLogSupport.js';

const normal = (index: number): Entry => ({ term: 2, index, type: EntryType.EntryNormal, data: new Uint8Array(0) });

describe('RaftLog restart with the store ahead of the recorded commit', () => {
  it('takes the store applied index as committed', async () => {
    // Entries 1..5 are durable; the last durable hard state says commit 3; the store applied 5.
    const { log, fatal } = await openTestRaftLog({ storeApplied: 5, storeTerm: 2 }, [
      ...[...foundingEntries([1n]), normal(2), normal(3), normal(4), normal(5)].map(entryRecord),
      hardStateRecord({ term: 2, vote: 1n, commit: 3 }),
    ]);
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
