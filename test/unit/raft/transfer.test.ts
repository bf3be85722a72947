import { describe, expect, it } from 'vitest';
import { MessageType, ProposalDroppedError, StateType } from './raft-exports.js';
import { TestNet } from './net.js';

function started(opts = {}): TestNet {
  const net = TestNet.of([1, 2, 3], opts);
  net.campaign(1);
  expect(net.state(1)).toBe(StateType.Leader);
  return net;
}

describe('leader transfer', () => {
  for (const opts of [{}, { preVote: true, checkQuorum: true }]) {
    it(`hands leadership to an up-to-date follower with TimeoutNow ${JSON.stringify(opts)}`, () => {
      const net = started(opts);
      const term = net.raft(1).term;
      net.get(1).node.transferLeader(2n);
      net.settle();
      expect(net.sent.some((m) => m.type === MessageType.MsgTimeoutNow && m.to === 2n)).toBe(true);
      expect(net.state(2)).toBe(StateType.Leader);
      expect(net.raft(2).term).toBe(term + 1);
      expect(net.state(1)).toBe(StateType.Follower);
      net.propose(2, 'new leader');
      expect(net.appliedData(1)).toEqual(['new leader']);
    });
  }

  it('catches a lagging transferee up before sending TimeoutNow', () => {
    const net = started();
    net.isolate(3);
    net.propose(1, 'a');
    net.propose(1, 'b');
    net.clearFilters();
    net.get(1).node.transferLeader(3n);
    net.settle();
    expect(net.state(3)).toBe(StateType.Leader);
    expect(net.appliedData(3)).toEqual(['a', 'b']);
  });

  it('drops proposals while a transfer is in progress, and aborts it after an election timeout', () => {
    const net = started();
    net.isolate(3);
    net.get(1).node.transferLeader(3n);
    net.settle();
    expect(net.raft(1).leadTransferee).toBe(3n);
    expect(() => net.get(1).node.propose(new Uint8Array([1]))).toThrow(ProposalDroppedError);
    net.tick(1, 10);
    expect(net.raft(1).leadTransferee).toBe(0n);
    expect(net.state(1)).toBe(StateType.Leader);
    net.propose(1, 'resumed');
    expect(net.appliedData(2)).toEqual(['resumed']);
  });

  it('a transfer request made on a follower is forwarded to the leader', () => {
    const net = started();
    net.get(3).node.transferLeader(3n);
    net.settle();
    expect(net.state(3)).toBe(StateType.Leader);
  });

  it('ignores a transfer to itself or to a learner', () => {
    const net = started();
    net.get(1).node.transferLeader(1n);
    net.settle();
    expect(net.raft(1).leadTransferee).toBe(0n);
    expect(net.state(1)).toBe(StateType.Leader);
  });
});
