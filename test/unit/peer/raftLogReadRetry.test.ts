// A follower's ReadIndex request travels to the leader and its answer back over the peer transport,
// which drops messages when a peer's queue is full or its connection breaks. A lost one must not hold
// linearizable reads until the request timeout: like etcd (readIndexRetryTime), the round asks again
// every 500 ms under a fresh context, and an answer to any of its contexts serves it.

import { describe, expect, it } from 'vitest';
import { makeMessage, MessageType, type Message } from '../../../src/raft/index.js';
import { foundingEntries, openTestRaftLog, until } from './raftLogSupport.js';

/** Member 1 of three, following member 2. */
async function followerOfTwo() {
  const opened = await openTestRaftLog({
    bootstrap: foundingEntries([1n, 2n, 3n]),
    // Long enough that this follower never campaigns during the test.
    electionTimeoutMs: 60_000,
    requestTimeoutMs: 30_000,
  });
  const { log } = opened;
  await log.start(async () => {});
  log.step(makeMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 2, commit: 3 }), null);
  await until(() => log.leaderId === 2n, 2_000);
  return opened;
}

describe('RaftLog ReadIndex rounds', () => {
  it('ask the leader again when a request or its answer is lost', async () => {
    const { log, sent } = await followerOfTwo();

    const started = Date.now();
    const read = log.readIndex();
    const asks = () => sent.filter((m) => m.type === MessageType.MsgReadIndex);
    // The first request is "lost"; the round asks again under another context.
    await until(() => asks().length >= 2, 3_000);
    const [first, second] = asks();
    const ctx = (m: Message) => Buffer.from(m.entries[0]!.data).toString();
    expect(ctx(first!)).not.toBe(ctx(second!));
    log.step(makeMessage({ type: MessageType.MsgReadIndexResp, from: 2n, to: 1n, term: 2, index: 3, entries: second!.entries }), null);
    expect(await read).toBe(3);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('keeps one round in flight: reads arriving meanwhile share the next round', async () => {
    const { log, sent } = await followerOfTwo();
    const asks = () => sent.filter((m) => m.type === MessageType.MsgReadIndex);
    const answer = (m: Message, index: number) =>
      log.step(makeMessage({ type: MessageType.MsgReadIndexResp, from: 2n, to: 1n, term: 2, index, entries: m.entries }), null);

    const first = log.readIndex();
    await until(() => asks().length === 1, 2_000);
    // While the first round is out, more reads arrive over several turns of the loop.
    const later: Array<Promise<number>> = [];
    for (let i = 0; i < 5; i++) {
      later.push(log.readIndex());
      await new Promise((r) => setImmediate(r));
    }
    expect(asks()).toHaveLength(1);
    answer(asks()[0]!, 3);
    expect(await first).toBe(3);
    // The five share one round, asked once the first was answered.
    await until(() => asks().length === 2, 2_000);
    answer(asks()[1]!, 4);
    expect(await Promise.all(later)).toEqual([4, 4, 4, 4, 4]);
    expect(asks()).toHaveLength(2);
  });
});
