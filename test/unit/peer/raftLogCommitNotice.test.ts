// When an entry commits, the leader tells its followers the new commit index (an empty MsgApp to
// each) before it applies the entry, as etcd does, whoever proposed it: a follower's forwarded
// proposal is answered by that follower once it hears, and watchers on followers learn of a write
// proposed on the leader no later than they must.

import { describe, expect, it } from 'vitest';
import { makeMessage, MessageType, type Message } from '../../../src/raft/index.js';
import type { CommittedEntry } from '../../../src/server/log/consensusLog.js';
import { foundingEntries, openTestRaftLog, until } from './raftLogSupport.js';

const appendsTo = (sent: readonly Message[], to: bigint, from = 0) =>
  sent.slice(from).filter((m) => m.type === MessageType.MsgApp && m.to === to);

/** Member 1 of three, elected with member 2's votes; `applied` records each apply with how many messages had gone out. */
async function leaderOfThree() {
  const applied: { index: number; sentBefore: number }[] = [];
  const opened = await openTestRaftLog({ bootstrap: foundingEntries([1n, 2n, 3n]), electionTimeoutMs: 300, heartbeatMs: 50 });
  const { log, sent } = opened;
  await log.start(async (entries: CommittedEntry[]) => {
    for (const e of entries) applied.push({ index: e.index, sentBefore: sent.length });
  });
  for (const [ask, answer] of [
    [MessageType.MsgPreVote, MessageType.MsgPreVoteResp],
    [MessageType.MsgVote, MessageType.MsgVoteResp],
  ] as const) {
    await until(() => sent.some((m) => m.type === ask && m.to === 2n), 5_000);
    const m = sent.find((x) => x.type === ask && x.to === 2n)!;
    log.step(makeMessage({ type: answer, from: 2n, to: 1n, term: m.term }), null);
  }
  await until(() => log.leaderId === 1n, 5_000);
  const ack = (index: number, from = 2n) => log.step(makeMessage({ type: MessageType.MsgAppResp, from, to: 1n, term: log.term, index }), null);
  // Both followers take the new leader's empty entry, so both are sent every later entry at once.
  for (const follower of [2n, 3n]) {
    await until(() => appendsTo(sent, follower).some((m) => m.entries.length > 0), 2_000);
    ack(appendsTo(sent, follower).find((m) => m.entries.length > 0)!.entries.at(-1)!.index, follower);
  }
  await until(() => applied.length > 0, 2_000);
  await new Promise((r) => setImmediate(r));
  return { ...opened, applied, ack };
}

describe('RaftLog commit notices', () => {
  it('a write proposed on the leader has its commit announced before the leader applies it', async () => {
    const { log, sent, applied, ack, fatal } = await leaderOfThree();
    const index = log.committedIndex + 1;
    await log.propose(Buffer.from('local'));
    await until(() => appendsTo(sent, 2n).some((m) => m.entries.some((e) => e.index === index)), 2_000);
    const beforeAck = sent.length;
    ack(index);
    await until(() => applied.some((a) => a.index === index), 2_000);
    const apply = applied.find((a) => a.index === index)!;
    const noticesFirst = sent.slice(beforeAck, apply.sentBefore).filter((m) => m.type === MessageType.MsgApp && m.commit >= index);
    expect(noticesFirst.map((m) => m.to).sort()).toEqual([2n, 3n]);
    expect(fatal).toEqual([]);
  });

  it("a follower's forwarded proposal has its commit announced before the leader applies it", async () => {
    const { log, sent, applied, ack, fatal } = await leaderOfThree();
    const index = log.committedIndex + 1;
    log.step(
      makeMessage({ type: MessageType.MsgProp, from: 2n, to: 1n, term: 0, entries: [{ term: 0, index: 0, type: 0, data: Buffer.from('forwarded') }] }),
      null,
    );
    await until(() => appendsTo(sent, 2n).some((m) => m.entries.some((e) => e.index === index)), 2_000);
    const beforeAck = sent.length;
    ack(index);
    await until(() => applied.some((a) => a.index === index), 2_000);
    const apply = applied.find((a) => a.index === index)!;
    const noticesFirst = sent.slice(beforeAck, apply.sentBefore).filter((m) => m.type === MessageType.MsgApp && m.commit >= index);
    expect(noticesFirst.map((m) => m.to).sort()).toEqual([2n, 3n]);
    expect(fatal).toEqual([]);
  });
});
