import { describe, expect, it } from 'vitest';
import { MessageType, ProgressState, ProposalDroppedError, StateType, makeMessage } from './raft-exports.js';
import { TestNet, ents } from './net.js';

function leaderNet(ids: number[], opts = {}): TestNet {
  const net = TestNet.of(ids, opts);
  net.campaign(ids[0] as number);
  expect(net.state(ids[0] as number)).toBe(StateType.Leader);
  return net;
}

describe('replication', () => {
  it('replicates proposals to every member and applies them in order', () => {
    const net = leaderNet([1, 2, 3, 4, 5]);
    for (let i = 0; i < 20; i++) net.propose(1, `v${i}`);
    const expected = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const id of [1, 2, 3, 4, 5]) expect(net.appliedData(id)).toEqual(expected);
  });

  it('commits with a majority while a minority is down, and the minority catches up', () => {
    const net = leaderNet([1, 2, 3, 4, 5]);
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 'a');
    expect(net.appliedData(1)).toEqual(['a']);
    expect(net.appliedData(4)).toEqual([]);
    net.clearFilters();
    net.tickAll(2);
    expect(net.appliedData(4)).toEqual(['a']);
    expect(net.appliedData(5)).toEqual(['a']);
  });

  it('does not commit without a majority', () => {
    const net = leaderNet([1, 2, 3]);
    const committed = net.raft(1).raftLog.committed;
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'lost?');
    expect(net.raft(1).raftLog.committed).toBe(committed);
  });

  it('forwards a follower proposal to the leader', () => {
    const net = leaderNet([1, 2, 3]);
    net.propose(3, 'from follower');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).toEqual(['from follower']);
  });

  it('drops proposals when there is no leader, or when forwarding is disabled', () => {
    const net = TestNet.of([1, 2, 3]);
    expect(() => net.propose(2, 'x')).toThrow(ProposalDroppedError);
    const strict = TestNet.of([1, 2, 3], { disableProposalForwarding: true });
    strict.campaign(1);
    expect(() => strict.propose(2, 'x')).toThrow(/forwarding disabled/);
  });

  it('drops proposals beyond the uncommitted-size budget and accepts them again after commit', () => {
    const net = leaderNet([1, 2, 3], { maxUncommittedEntriesSize: 100 });
    net.isolate(2);
    net.isolate(3);
    net.propose(1, new Uint8Array(60));
    expect(() => net.propose(1, new Uint8Array(60))).toThrow(/too many uncommitted entries/);
    net.clearFilters();
    net.tickAll(2);
    net.propose(1, new Uint8Array(60));
    expect(net.get(2).applied.filter((e) => e.data.length === 60)).toHaveLength(2);
  });

  it('backtracks a long divergent follower log in a few round trips (fast conflict resolution)', () => {
    const divergent = ents(1, ...Array.from({ length: 100 }, () => 2));
    const logs = new Map([
      [1, { entries: ents(1, ...Array.from({ length: 50 }, () => 3)), term: 3 }],
      [2, { entries: divergent, term: 3 }],
      [3, { entries: ents(1), term: 3 }],
    ]);
    const net = TestNet.of([1, 2, 3], {}, logs);
    net.isolate(3);
    net.campaign(1);
    expect(net.state(1)).toBe(StateType.Leader);
    const rejects = net.sent.filter((m) => m.type === MessageType.MsgAppResp && m.reject && m.from === 2n);
    expect(rejects.length).toBeLessThanOrEqual(3);
    expect(net.logTerms(2)).toEqual(net.logTerms(1));
  });

  it('pipelines at most maxInflightMsgs MsgApps to a replicating follower', () => {
    const net = leaderNet([1, 2], { maxInflightMsgs: 3 });
    expect(net.raft(1).trk.progress.get(2n)?.state).toBe(ProgressState.Replicate);
    net.dropType(MessageType.MsgAppResp);
    const before = net.sent.length;
    for (let i = 0; i < 10; i++) net.propose(1, `p${i}`);
    const apps = net.sent.slice(before).filter((m) => m.type === MessageType.MsgApp && m.to === 2n && m.entries.length > 0);
    expect(apps).toHaveLength(3);
    expect(net.raft(1).trk.progress.get(2n)?.isPaused()).toBe(true);
  });

  it('splits MsgApps by maxSizePerMsg but always sends at least one entry', () => {
    const net = leaderNet([1, 2], { maxSizePerMsg: 250 });
    net.isolate(2);
    for (let i = 0; i < 6; i++) net.propose(1, new Uint8Array(100));
    net.propose(1, new Uint8Array(1000));
    net.clearFilters();
    const before = net.sent.length;
    net.tickAll(3);
    const apps = net.sent.slice(before).filter((m) => m.type === MessageType.MsgApp && m.entries.length > 0);
    expect(apps.length).toBeGreaterThanOrEqual(4);
    for (const m of apps) {
      const size = m.entries.reduce((s, e) => s + e.data.length + 24, 0);
      expect(m.entries.length === 1 || size <= 250).toBe(true);
    }
    expect(net.get(2).applied.filter((e) => e.data.length === 1000)).toHaveLength(1);
  });

  it('falls back to probing when the transport reports a follower unreachable', () => {
    const net = leaderNet([1, 2, 3]);
    const pr = net.raft(1).trk.progress.get(2n);
    expect(pr?.state).toBe(ProgressState.Replicate);
    net.get(1).node.reportUnreachable(2n);
    expect(pr?.state).toBe(ProgressState.Probe);
  });

  it('a stale leader learns the new term from a follower and steps down', () => {
    const net = leaderNet([1, 2, 3], { preVote: true, checkQuorum: true });
    net.isolate(1);
    // Followers keep the old leader's lease for an election timeout, then elect among themselves.
    for (let i = 0; i < 100 && net.leaders().filter((id) => id !== 1n).length === 0; i++) {
      net.get(2).node.tick();
      net.get(3).node.tick();
      net.settle();
    }
    const newLeader = net.leaders().find((id) => id !== 1n);
    expect(newLeader).toBeDefined();
    net.clearFilters();
    // Old leader 1 still believes it leads; its next append gets an answer carrying the new term.
    net.get(1).node.raft.step(makeMessage({ type: MessageType.MsgBeat, from: 1n }));
    net.settle();
    expect(net.state(1)).toBe(StateType.Follower);
    expect(net.raft(1).term).toBe(net.raft(newLeader as bigint).term);
    net.tick(Number(newLeader));
    expect(net.raft(1).lead).toBe(newLeader);
    net.propose(1, 'after');
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).toEqual(['after']);
  });
});
