// When an entry commits, the leader tells its followers the new commit index (an empty MsgApp to
// each) before it applies the entry, as etcd does, whoever proposed it: a follower's forwarded
// proposal is answered by that follower once it hears, and watchers on followers learn of a write
// proposed on the leader no later than they must.

import { describe, expect, it } from 'vitest';
import { makeMessage, MessageType } from '../../../src/raft/index.js';
import { appendsTo, leaderOfThree, until } from './raftLogSupport.js';

type Leader = Awaited<ReturnType<typeof leaderOfThree>>;

const proposers: [string, (leader: Leader) => Promise<unknown>][] = [
  ['a write proposed on the leader', ({ log }) => log.propose(Buffer.from('local'))],
  [
    "a follower's forwarded proposal",
    async ({ log }) =>
      log.step(
        makeMessage({ type: MessageType.MsgProp, from: 2n, to: 1n, term: 0, entries: [{ term: 0, index: 0, type: 0, data: Buffer.from('forwarded') }] }),
        null,
      ),
  ],
];

describe('RaftLog commit notices', () => {
  it.each(proposers)('%s has its commit announced before the leader applies it', async (_name, propose) => {
    const leader = await leaderOfThree();
    const { log, sent, applied, ack, fatal } = leader;
    const index = log.committedIndex + 1;
    await propose(leader);
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
