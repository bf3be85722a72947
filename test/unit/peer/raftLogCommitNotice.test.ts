// When an entry commits, the leader tells its followers the new commit index (an empty MsgApp to
// each) before it applies the entry, as etcd does, whoever proposed it: a follower's forwarded
// proposal is answered by that follower once it hears, and watchers on followers learn of a write
// proposed on the leader no later than they must.

import { describe, expect, it } from 'vitest';
import { makeMessage, MessageType } from '../../../src/raft/index.js';
import { appendsTo, leaderOfThree, until } from './raftLogSupport.js';

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
