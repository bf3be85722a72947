// A member alone in its cluster commits on its own WAL sync, so it syncs inline like a follower (the
// thread-pool round trip was a quarter of a one-client write there); a leader with followers does not.
import { describe, expect, it } from 'vitest';
import { foundingEntries, openTestRaftLog, until } from './raftLogSupport.js';

describe('RaftLog WAL syncs on a member alone', () => {
  it('syncs its writes inline and applies each of many concurrent proposals once', async () => {
    const applied: number[] = [];
    const { log, wal, fatal } = await openTestRaftLog({ bootstrap: foundingEntries([1n]), electionTimeoutMs: 300, heartbeatMs: 50 });
    await log.start(async (entries) => {
      applied.push(...entries.map((e) => e.index));
    });
    await until(() => log.leaderId === 1n, 5_000);
    const before = wal.syncs();
    const first = log.committedIndex + 1;
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.propose(Buffer.from(`w${i}`))));
    await until(() => applied.includes(first + 49), 5_000);
    const after = wal.syncs();
    expect(after.threaded).toBe(before.threaded);
    expect(after.inline).toBeGreaterThan(before.inline);
    // Proposals made in one turn still share a Ready and a sync.
    expect(after.inline - before.inline).toBeLessThan(10);
    expect(applied.filter((i) => i >= first)).toEqual(Array.from({ length: 50 }, (_, i) => first + i));
    expect(fatal).toEqual([]);
  });
});
