import { describe, expect, it } from 'vitest';
import { MessageType, StateType, makeMessage, MemoryStorage, Raft, SeededRng } from './raft-exports.js';
import { TestNet, ents } from './net.js';

function electFirst(net: TestNet, id = 1): void {
  net.campaign(id);
  expect(net.state(id)).toBe(StateType.Leader);
}

describe('leader election', () => {
  it('elects exactly one leader that all members follow', () => {
    const net = TestNet.of([1, 2, 3]);
    for (let i = 0; i < 100 && net.leaders().length === 0; i++) net.tickAll();
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    for (const id of [1, 2, 3]) expect(net.raft(id).lead).toBe(leaders[0]);
  });

  it('elects a leader with one of three members down, but not with two', () => {
    const net = TestNet.of([1, 2, 3]);
    net.isolate(3);
    electFirst(net);
    const lonely = TestNet.of([1, 2, 3]);
    lonely.isolate(2);
    lonely.isolate(3);
    lonely.campaign(1);
    expect(lonely.state(1)).toBe(StateType.Candidate);
    expect(lonely.raft(1).term).toBe(2);
  });

  it('a single-member cluster elects itself and commits', () => {
    const net = TestNet.of([1]);
    electFirst(net);
    net.propose(1, 'solo');
    expect(net.appliedData(1)).toEqual(['solo']);
  });

  it('refuses to vote for a candidate whose log is behind (§5.4.1)', () => {
    const logs = new Map([
      [1, { entries: ents(1), term: 1 }],
      [2, { entries: ents(1, 1), term: 1 }],
      [3, { entries: ents(1, 1), term: 1 }],
    ]);
    const net = TestNet.of([1, 2, 3], {}, logs);
    net.campaign(1);
    expect(net.state(1)).not.toBe(StateType.Leader);
    const rejections = net.sent.filter((m) => m.type === MessageType.MsgVoteResp && m.reject);
    expect(rejections.map((m) => m.from).sort()).toEqual([2n, 3n]);
    net.campaign(2);
    expect(net.state(2)).toBe(StateType.Leader);
  });

  it('grants at most one vote per term', () => {
    const net = TestNet.of([1, 2, 3]);
    const r3 = net.raft(3);
    r3.step(makeMessage({ type: MessageType.MsgVote, from: 1n, to: 3n, term: 5, index: 3, logTerm: 1 }));
    r3.step(makeMessage({ type: MessageType.MsgVote, from: 2n, to: 3n, term: 5, index: 3, logTerm: 1 }));
    const resps = r3.msgs.filter((m) => m.type === MessageType.MsgVoteResp);
    expect(resps.map((m) => [m.to, m.reject])).toEqual([[1n, false], [2n, true]]);
    expect(r3.vote).toBe(1n);
  });

  it('randomizes the election timeout within [electionTick, 2*electionTick)', () => {
    const storage = new MemoryStorage();
    storage.presetConfState({ voters: [1n, 2n, 3n], learners: [] });
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const r = new Raft({ id: 1n, storage, electionTick: 10, heartbeatTick: 1, rng: new SeededRng(seed) });
      let ticks = 0;
      while (r.state === StateType.Follower && ticks < 100) {
        r.tick();
        ticks++;
      }
      seen.add(ticks);
    }
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...seen)).toBeLessThan(20);
    expect(seen.size).toBeGreaterThan(5);
  });
});

describe('pre-vote', () => {
  it('a partitioned node does not raise its term, and does not disrupt the leader when it returns', () => {
    const net = TestNet.of([1, 2, 3], { preVote: true });
    electFirst(net);
    const term = net.raft(1).term;
    net.isolate(3);
    net.tick(3, 100);
    expect(net.raft(3).term).toBe(term);
    expect(net.state(3)).toBe(StateType.PreCandidate);
    net.clearFilters();
    net.tickAll(5);
    expect(net.state(1)).toBe(StateType.Leader);
    expect(net.raft(1).term).toBe(term);
    expect(net.raft(3).lead).toBe(1n);
  });

  it('without pre-vote the same partition inflates the term and deposes the leader', () => {
    const net = TestNet.of([1, 2, 3]);
    electFirst(net);
    const term = net.raft(1).term;
    net.isolate(3);
    net.tick(3, 100);
    expect(net.raft(3).term).toBeGreaterThan(term + 2);
    net.clearFilters();
    net.tick(3, 30);
    expect(net.raft(1).term).toBeGreaterThan(term);
  });
});

describe('check-quorum', () => {
  it('a leader that cannot hear from a quorum steps down after an election timeout', () => {
    const net = TestNet.of([1, 2, 3], { checkQuorum: true });
    electFirst(net);
    net.isolate(1);
    net.tick(1, 21);
    expect(net.state(1)).toBe(StateType.Follower);
  });

  it('a follower that heard from its leader recently ignores a higher-term vote request', () => {
    const net = TestNet.of([1, 2, 3], { checkQuorum: true });
    electFirst(net);
    const r2 = net.raft(2);
    const term = r2.term;
    r2.step(makeMessage({ type: MessageType.MsgVote, from: 3n, to: 2n, term: term + 1, index: 99, logTerm: 99 }));
    expect(r2.term).toBe(term);
    expect(r2.lead).toBe(1n);
  });
});
