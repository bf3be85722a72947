import { describe, expect, it } from 'vitest';
import { ConfChangeType, EntryType, MemoryStorage, MessageType, StateType } from './raft-exports.js';
import { TestNet } from './net.js';

const ctx = new Uint8Array();

function started(ids: number[]): TestNet {
  const net = TestNet.of(ids);
  net.campaign(ids[0] as number);
  expect(net.state(ids[0] as number)).toBe(StateType.Leader);
  return net;
}

describe('membership changes', () => {
  it('adds a voter that starts empty and catches up from the leader', () => {
    const net = started([1, 2, 3]);
    net.propose(1, 'before');
    net.add(4n, new MemoryStorage());
    net.get(1).node.proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4n, context: ctx });
    net.settle();
    net.tickAll(2);
    expect(net.get(1).confState?.voters).toEqual([1n, 2n, 3n, 4n]);
    expect(net.appliedData(4)).toEqual(['before']);
    expect(net.get(4).confState?.voters).toEqual([1n, 2n, 3n, 4n]);
    // Quorum is now 3 of 4: with two members down nothing commits.
    net.isolate(3);
    net.isolate(4);
    const committed = net.raft(1).raftLog.committed;
    net.propose(1, 'needs three');
    expect(net.raft(1).raftLog.committed).toBe(committed);
  });

  it('removes a follower; the smaller cluster keeps committing', () => {
    const net = started([1, 2, 3]);
    net.get(1).node.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 3n, context: ctx });
    net.settle();
    expect(net.get(1).confState?.voters).toEqual([1n, 2n]);
    net.isolate(3);
    net.propose(1, 'two of two');
    expect(net.appliedData(2)).toEqual(['two of two']);
  });

  it('removes the leader itself: it leads without counting itself until the removal commits, then steps down', () => {
    const net = started([1, 2, 3]);
    net.isolate(3);
    net.get(1).node.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1n, context: ctx });
    net.settle();
    // Appended: the configuration is {2, 3} at once, so 1 and 2 alone cannot commit the removal.
    expect(net.raft(1).trk.confState().voters).toEqual([2n, 3n]);
    expect(net.state(1)).toBe(StateType.Leader);
    expect(() => net.get(1).node.propose(new Uint8Array([1]))).toThrow(/removed/);
    net.clearFilters();
    net.tickAll(1);
    expect(net.state(1)).toBe(StateType.Follower);
    expect(net.get(2).confState?.voters).toEqual([2n, 3n]);
    expect(net.get(3).confState?.voters).toEqual([2n, 3n]);
    net.isolate(1);
    for (let i = 0; i < 50 && net.leaders().length === 0; i++) net.tickAll();
    const [leader] = net.leaders();
    expect(leader === 2n || leader === 3n).toBe(true);
    net.propose(Number(leader), 'without 1');
    expect(net.appliedData(2)).toEqual(['without 1']);
    expect(net.appliedData(3)).toEqual(['without 1']);
    // The removed node is not promotable: it never campaigns.
    net.tick(1, 50);
    expect(net.state(1)).toBe(StateType.Follower);
  });

  it('a removed leader commits with the quorum of the remaining voters only', () => {
    const net = started([1, 2, 3]);
    net.get(1).node.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1n, context: ctx });
    net.settle();
    net.isolate(3);
    const r = net.raft(1);
    const lastBefore = r.raftLog.lastIndex();
    // A proposal forwarded by member 2 is refused by the removed leader.
    expect(r.step({ ...net.sent[0]!, type: MessageType.MsgProp, from: 2n, to: 1n, term: 0, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: new Uint8Array([1]) }] })).toBeInstanceOf(Error);
    expect(r.raftLog.lastIndex()).toBe(lastBefore);
  });

  it('adds a learner that replicates but neither votes nor counts, then promotes it', () => {
    const net = started([1, 2, 3]);
    net.add(4n, new MemoryStorage());
    net.get(1).node.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4n, context: ctx });
    net.settle();
    net.propose(1, 'to learner');
    expect(net.appliedData(4)).toEqual(['to learner']);
    expect(net.get(4).confState?.learners).toEqual([4n]);
    expect(net.raft(4).isLearner).toBe(true);
    net.tick(4, 100);
    expect(net.state(4)).toBe(StateType.Follower);
    // Learner acks do not make a quorum: with 2 and 3 down nothing commits.
    net.isolate(2);
    net.isolate(3);
    const committed = net.raft(1).raftLog.committed;
    net.propose(1, 'learner only');
    expect(net.raft(1).raftLog.committed).toBe(committed);
    net.clearFilters();
    net.tickAll(2);
    net.get(1).node.proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4n, context: ctx });
    net.settle();
    expect(net.get(4).confState?.voters).toEqual([1n, 2n, 3n, 4n]);
    expect(net.get(4).confState?.learners).toEqual([]);
    expect(net.raft(4).isLearner).toBe(false);
  });

  it('allows only one pending conf change: a second one becomes an empty entry', () => {
    const net = started([1, 2, 3]);
    net.isolate(2);
    net.isolate(3);
    const node = net.get(1).node;
    node.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4n, context: ctx });
    node.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 5n, context: ctx });
    net.settle();
    const log = net.raft(1).raftLog;
    const last = log.slice(log.lastIndex() - 1, log.lastIndex() + 1, Infinity);
    expect(last.map((e) => e.type)).toEqual([EntryType.EntryConfChange, EntryType.EntryNormal]);
    expect(last[1]?.data.length).toBe(0);
  });

  it('refuses a conf change before an entry of the leader\'s term commits, and while another is uncommitted', () => {
    const net = TestNet.of([1, 2, 3]);
    net.dropType(MessageType.MsgApp);
    net.campaign(1);
    const r = net.raft(1);
    expect(r.state).toBe(StateType.Leader);
    const lastEntry = (): { type: EntryType; size: number } => {
      const e = r.raftLog.slice(r.raftLog.lastIndex(), r.raftLog.lastIndex() + 1, Infinity)[0];
      return { type: e?.type ?? -1, size: e?.data.length ?? -1 };
    };
    net.get(1).node.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4n, context: ctx });
    net.settle();
    expect(lastEntry()).toEqual({ type: EntryType.EntryNormal, size: 0 });
    net.clearFilters();
    net.tickAll(2);
    net.isolate(2);
    net.isolate(3);
    net.get(1).node.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 4n, context: ctx });
    net.settle();
    expect(lastEntry().type).toBe(EntryType.EntryConfChange);
    net.get(1).node.proposeConfChange({ type: ConfChangeType.AddLearnerNode, nodeId: 5n, context: ctx });
    net.settle();
    expect(lastEntry()).toEqual({ type: EntryType.EntryNormal, size: 0 });
  });
});
