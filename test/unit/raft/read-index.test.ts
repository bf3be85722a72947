import { describe, expect, it } from 'vitest';
import { ConfChangeType, MessageType, ProposalDroppedError, StateType } from './raft-exports.js';
import { TestNet, bytes, text } from './net.js';

function started(opts = {}): TestNet {
  const net = TestNet.of([1, 2, 3], opts);
  net.campaign(1);
  expect(net.state(1)).toBe(StateType.Leader);
  return net;
}

describe('ReadIndex', () => {
  it('the leader answers with its commit index after a heartbeat quorum', () => {
    const net = started();
    net.propose(1, 'x');
    const before = net.sent.length;
    net.get(1).node.readIndex(bytes('r1'));
    net.settle();
    const rs = net.get(1).readStates;
    expect(rs.map((r) => [r.index, text(r.requestCtx)])).toEqual([[net.raft(1).raftLog.committed, 'r1']]);
    const beats = net.sent.slice(before).filter((m) => m.type === MessageType.MsgHeartbeat);
    expect(beats.every((m) => text(m.context) === 'r1')).toBe(true);
  });

  it('a follower gets its read index through the leader', () => {
    const net = started();
    net.propose(1, 'x');
    net.get(3).node.readIndex(bytes('f1'));
    net.settle();
    expect(net.get(3).readStates.map((r) => [r.index, text(r.requestCtx)])).toEqual([[net.raft(1).raftLog.committed, 'f1']]);
    expect(net.get(1).readStates).toEqual([]);
  });

  it('reads requested between two Ready cycles share one heartbeat round', () => {
    const net = started();
    net.propose(1, 'x');
    const before = net.sent.length;
    for (const c of ['a', 'b', 'c', 'd']) net.get(1).node.readIndex(bytes(c));
    net.settle();
    const beats = net.sent.slice(before).filter((m) => m.type === MessageType.MsgHeartbeat);
    expect(beats.map((m) => [m.to, text(m.context)])).toEqual([[2n, 'd'], [3n, 'd']]);
    expect(net.get(1).readStates.map((r) => text(r.requestCtx))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('is never answered by a leader that cannot reach a quorum', () => {
    const net = started();
    net.isolate(1);
    net.get(1).node.readIndex(bytes('stale?'));
    net.tick(1, 5);
    expect(net.get(1).readStates).toEqual([]);
  });

  it('many pending reads are released by one quorum acknowledgement of the latest', () => {
    const net = started();
    net.dropType(MessageType.MsgHeartbeatResp);
    for (const c of ['a', 'b', 'c']) net.get(1).node.readIndex(bytes(c));
    net.settle();
    expect(net.get(1).readStates).toEqual([]);
    net.clearFilters();
    // One heartbeat round carrying the latest context answers all three.
    net.tick(1, 1);
    expect(net.get(1).readStates.map((r) => text(r.requestCtx))).toEqual(['a', 'b', 'c']);
  });

  it('waits until the new leader has committed an entry of its term', () => {
    const net = TestNet.of([1, 2, 3]);
    net.dropType(MessageType.MsgApp);
    net.campaign(1);
    expect(net.state(1)).toBe(StateType.Leader);
    net.get(1).node.readIndex(bytes('early'));
    net.settle();
    expect(net.get(1).readStates).toEqual([]);
    net.clearFilters();
    net.tick(1, 2);
    const rs = net.get(1).readStates;
    expect(rs.map((r) => text(r.requestCtx))).toEqual(['early']);
    expect(rs[0]?.index).toBe(net.raft(1).raftLog.committed);
  });

  it('a leader that removed itself does not answer reads on its own (found by simulation seed 2465)', () => {
    const net = TestNet.of([1, 2]);
    net.campaign(1);
    net.isolate(2);
    net.get(1).node.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1n, context: new Uint8Array() });
    net.settle();
    // Now the only voter is 2, and 1 still leads until its removal commits.
    expect(net.raft(1).trk.confState().voters).toEqual([2n]);
    expect(net.state(1)).toBe(StateType.Leader);
    net.get(1).node.readIndex(bytes('alone?'));
    net.settle();
    expect(net.get(1).readStates).toEqual([]);
  });

  it('throws when there is no leader to ask', () => {
    const net = TestNet.of([1, 2, 3]);
    expect(() => net.get(2).node.readIndex(bytes('x'))).toThrow(ProposalDroppedError);
  });
});
