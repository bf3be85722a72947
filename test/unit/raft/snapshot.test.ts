import { describe, expect, it } from 'vitest';
import { MessageType, ProgressState, StateType } from './raft-exports.js';
import { TestNet } from './net.js';

function compactLeader(net: TestNet, id: number): void {
  const tn = net.get(id);
  const applied = tn.node.status().applied;
  tn.storage.createSnapshot(applied, tn.confState ?? tn.node.status().confState, new TextEncoder().encode(`state@${applied}`));
  tn.storage.compact(applied);
}

describe('snapshots', () => {
  it('sends a snapshot to a follower whose next entries were compacted away, then resumes replication', () => {
    const net = TestNet.of([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 10; i++) net.propose(1, `e${i}`);
    compactLeader(net, 1);
    expect(net.get(1).storage.firstIndex()).toBeGreaterThan(net.raft(3).raftLog.lastIndex() + 1);
    net.clearFilters();
    net.tickAll(3);
    const snaps = net.sent.filter((m) => m.type === MessageType.MsgSnap && m.to === 3n);
    expect(snaps).toHaveLength(1);
    const installed = net.get(3).storage.snapshot();
    expect(new TextDecoder().decode(installed.data)).toBe(`state@${installed.metadata.index}`);
    expect(net.raft(3).raftLog.committed).toBe(net.raft(1).raftLog.committed);
    net.propose(1, 'after');
    expect(net.appliedData(3)).toEqual(['after']);
    expect(net.raft(1).trk.progress.get(3n)?.state).toBe(ProgressState.Replicate);
  });

  it('waits in Snapshot state until the snapshot is reported, and retries after a failure', () => {
    const net = TestNet.of([1, 2, 3]);
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `e${i}`);
    compactLeader(net, 1);
    net.clearFilters();
    net.dropType(MessageType.MsgSnap);
    net.tickAll(1);
    const pr = net.raft(1).trk.progress.get(3n);
    expect(pr?.state).toBe(ProgressState.Snapshot);
    net.get(1).node.reportSnapshot(3n, 'failure');
    expect(pr?.state).toBe(ProgressState.Probe);
    net.clearFilters();
    net.tickAll(3);
    expect(net.raft(3).raftLog.committed).toBe(net.raft(1).raftLog.committed);
  });

  it('a follower ignores a snapshot that is not newer than its commit index', () => {
    const net = TestNet.of([1, 2]);
    net.campaign(1);
    net.propose(1, 'x');
    const r2 = net.raft(2);
    const before = r2.raftLog.committed;
    const ok = r2.restore({
      data: new Uint8Array(),
      metadata: { index: before, term: r2.term, confState: { voters: [1n, 2n], learners: [] } },
    });
    expect(ok).toBe(false);
    expect(r2.state).toBe(StateType.Follower);
  });
});
