// Scenarios from the Raft paper (Ongaro & Ousterhout, 2014): figure 7 (a new leader brings
// divergent follower logs in line with its own) and figure 8 (the commit rule).
import { describe, expect, it } from 'vitest';
import { MessageType, StateType, makeMessage } from './raft-exports.js';
import { TestNet, ents } from './net.js';

describe('figure 7: the leader makes every follower log identical to its own', () => {
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, log] of Object.entries(followers)) {
    it(`follower (${name})`, () => {
      const logs = new Map([
        [1, { entries: ents(...leaderLog), term: 7 }],
        [2, { entries: ents(...log), term: 7 }],
        [3, { entries: [], term: 7 }],
      ]);
      const net = TestNet.of([1, 2, 3], {}, logs);
      net.campaign(1);
      expect(net.state(1)).toBe(StateType.Leader);
      expect(net.raft(1).term).toBe(8);
      const expected = [...leaderLog, 8];
      expect(net.logTerms(1)).toEqual(expected);
      expect(net.logTerms(2)).toEqual(expected);
      expect(net.logTerms(3)).toEqual(expected);
      expect(net.raft(2).raftLog.committed).toBe(11);
    });
  }
});

describe('figure 8: entries from earlier terms are never committed by counting replicas', () => {
  it('an old-term entry on a majority stays uncommitted, and is safely overwritten later', () => {
    // (b)/(c): S1 had index 2 in term 2 on S1,S2; S5 wrote index 2 in term 3; all are in term 3.
    const logs = new Map([
      [1, { entries: ents(1, 2), term: 3 }],
      [2, { entries: ents(1, 2), term: 3 }],
      [3, { entries: ents(1), term: 3 }],
      [4, { entries: ents(1), term: 3 }],
      [5, { entries: ents(1, 3), term: 3 }],
    ]);
    const net = TestNet.of([1, 2, 3, 4, 5], { maxSizePerMsg: 1 }, logs);
    // S1 reaches only S2 and S3, and its own term-4 entry never gets out: index 2 (term 2) reaches
    // a majority (S1, S2, S3) without any entry of term 4.
    net.isolate(4);
    net.isolate(5);
    net.mapper = (m) => (m.type === MessageType.MsgApp ? { ...m, entries: m.entries.filter((e) => e.term !== 4) } : m);
    net.campaign(1);
    expect(net.state(1)).toBe(StateType.Leader);
    expect(net.raft(1).term).toBe(4);
    expect(net.logTerms(3)).toEqual([1, 2]);
    expect(net.raft(1).trk.progress.get(3n)?.match).toBe(2);
    expect(net.raft(1).trk.progress.get(2n)?.match).toBe(2);
    // The commit rule: index 2 is on S1, S2, S3 but is of term 2, so it is not committed.
    expect(net.raft(1).raftLog.committed).toBe(0);
    for (const id of [1, 2, 3]) expect(net.get(id).applied.filter((e) => e.index === 2)).toEqual([]);

    // (d): S1 crashes; S5 is elected (its last term 3 beats 2) and overwrites index 2 everywhere.
    net.clearFilters();
    net.mapper = undefined;
    net.isolate(1);
    net.campaign(5);
    if (net.state(5) !== StateType.Leader) net.campaign(5);
    expect(net.state(5)).toBe(StateType.Leader);
    for (const id of [2, 3, 4, 5]) expect(net.logTerms(id).slice(0, 2)).toEqual([1, 3]);
    expect(net.raft(5).raftLog.committed).toBeGreaterThanOrEqual(3);
  });

  it('commits an old-term entry together with an entry of the current term', () => {
    const logs = new Map([
      [1, { entries: ents(1, 2), term: 2 }],
      [2, { entries: ents(1), term: 2 }],
      [3, { entries: ents(1), term: 2 }],
    ]);
    const net = TestNet.of([1, 2, 3], {}, logs);
    net.campaign(1);
    expect(net.state(1)).toBe(StateType.Leader);
    expect(net.raft(1).raftLog.committed).toBe(3);
    expect(net.get(2).applied.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 2], [3, 3]]);
  });

  it('a leader counts acknowledgements only for entries of its own term', () => {
    const logs = new Map([
      [1, { entries: ents(1, 1), term: 1 }],
      [2, { entries: [], term: 1 }],
      [3, { entries: [], term: 1 }],
    ]);
    const net = TestNet.of([1, 2, 3], {}, logs);
    const r = net.raft(1);
    r.becomeCandidate();
    r.becomeLeader();
    expect(r.raftLog.lastIndex()).toBe(3);
    // Index 2 (term 1) is now on the leader and node 2: a majority, but not of this term.
    r.selfAck(2, 1);
    r.step(makeMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: 2 }));
    expect(r.trk.committed()).toBe(2);
    expect(r.raftLog.committed).toBe(0);
    r.selfAck(3, r.term);
    r.step(makeMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: 3 }));
    expect(r.raftLog.committed).toBe(3);
    expect(r.raftLog.term(3)).toBe(2);
  });
});
