// Every member syncs its WAL on the event loop while the disk is fast: a follower's acknowledgement
// and a leader's own vote for its entries wait for the sync and nothing else, and the thread pool's
// round trip was a quarter of a one-client write. Proposals made meanwhile must still share a Ready
// and a sync; everything else is handled without waiting for the loop's pending I/O.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/raft/index.js';
import { appendsTo, foundingEntries, leaderOfThree, openTestRaftLog, until } from './raftLogSupport.js';

describe('RaftLog WAL syncs', () => {
  it('a member alone syncs its writes inline and applies each of many concurrent proposals once', async () => {
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

  it('a leader with followers syncs inline, and proposals arriving one per callback during a sync share the next', async () => {
    const { log, wal, sent, applied, ack, fatal } = await leaderOfThree();
    const before = wal.syncs();
    const first = log.committedIndex + 1;
    // Each proposal in a callback of its own, as requests arrive from clients' sockets.
    const proposals = await new Promise<Promise<void>[]>((resolve) => {
      const made: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        setImmediate(() => {
          made.push(log.propose(Buffer.from(`w${i}`)).then(() => undefined));
          if (made.length === 50) resolve(made);
        });
      }
    });
    await until(() => appendsTo(sent, 2n).some((m) => m.entries.some((e) => e.index === first + 49)), 5_000);
    ack(first + 49);
    await Promise.all(proposals);
    await until(() => applied.some((a) => a.index === first + 49), 5_000);
    const after = wal.syncs();
    expect(after.threaded).toBe(before.threaded);
    expect(after.inline).toBeGreaterThan(before.inline);
    expect(after.inline - before.inline).toBeLessThan(25);
    expect(fatal).toEqual([]);
  });

  it("a leader handles a follower's acknowledgement before callbacks already waiting in the loop", async () => {
    const { log, sent, ack, fatal } = await leaderOfThree();
    const index = log.committedIndex + 1;
    await log.propose(Buffer.from('w'));
    await until(() => appendsTo(sent, 2n).some((m) => m.entries.some((e) => e.index === index)), 2_000);
    const before = sent.length;
    let sentWhenWaitingCallbackRan = -1;
    setImmediate(() => {
      sentWhenWaitingCallbackRan = sent.length;
    });
    ack(index);
    await until(() => sentWhenWaitingCallbackRan >= 0, 2_000);
    const notices = sent.slice(before, sentWhenWaitingCallbackRan).filter((m) => m.type === MessageType.MsgApp && m.commit >= index);
    expect(notices.map((m) => m.to).sort()).toEqual([2n, 3n]);
    expect(fatal).toEqual([]);
  });
});
