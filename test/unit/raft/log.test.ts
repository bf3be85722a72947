import { describe, expect, it } from 'vitest';
import {
  ErrCompacted,
  Inflights,
  MemoryStorage,
  Progress,
  ProgressState,
  RaftLog,
  SeededRng,
  VoteResult,
  majorityCommitted,
  majorityVoteResult,
} from './raft-exports.js';
import { ents } from './net.js';

function logWith(terms: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(ents(...terms));
  return new RaftLog(s, Infinity);
}

describe('MemoryStorage', () => {
  it('serves terms and entries, compacts, snapshots, and replaces conflicting suffixes', () => {
    const s = new MemoryStorage();
    s.append(ents(1, 1, 2, 3, 3));
    expect([s.firstIndex(), s.lastIndex(), s.term(3)]).toEqual([1, 5, 2]);
    expect(s.entries(2, 4, Infinity).map((e) => e.index)).toEqual([2, 3]);
    expect(s.entries(2, 6, 1).map((e) => e.index)).toEqual([2]);
    s.createSnapshot(3, { voters: [1n], learners: [] }, new Uint8Array([7]));
    s.compact(3);
    expect([s.firstIndex(), s.lastIndex(), s.term(3)]).toEqual([4, 5, 2]);
    expect(() => s.term(2)).toThrow(ErrCompacted);
    expect(() => s.entries(3, 5, Infinity)).toThrow(ErrCompacted);
    s.append([{ term: 4, index: 5, type: 0, data: new Uint8Array() }]);
    expect([s.lastIndex(), s.term(5)]).toEqual([5, 4]);
    expect(() => s.append([{ term: 4, index: 9, type: 0, data: new Uint8Array() }])).toThrow(/missing log entry/);
    s.applySnapshot({ data: new Uint8Array(), metadata: { index: 10, term: 5, confState: { voters: [1n], learners: [] } } });
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 10, 5]);
  });
});

describe('RaftLog', () => {
  it('appends after a matching entry, truncating a conflicting uncommitted suffix', () => {
    const log = logWith([1, 2, 2]);
    const last = log.maybeAppend(1, 1, 0, [{ term: 3, index: 2, type: 0, data: new Uint8Array() }]);
    expect(last).toBe(2);
    expect([log.lastIndex(), log.term(2)]).toEqual([2, 3]);
    expect(log.maybeAppend(2, 2, 0, [])).toBeUndefined();
  });

  it('refuses to truncate committed entries', () => {
    const log = logWith([1, 2, 2]);
    log.commitTo(3);
    expect(() => log.maybeAppend(1, 1, 3, [{ term: 3, index: 2, type: 0, data: new Uint8Array() }])).toThrow(/conflicts with committed/);
  });

  it('commits only up to the last new entry of a message', () => {
    const log = logWith([1, 1, 1, 1]);
    log.maybeAppend(1, 1, 4, [{ term: 1, index: 2, type: 0, data: new Uint8Array() }]);
    expect(log.committed).toBe(2);
  });

  it('finds the conflict point by term for fast backtracking', () => {
    const log = logWith([1, 1, 2, 2, 2, 4, 4]);
    expect(log.findConflictByTerm(7, 3)).toEqual({ index: 5, term: 2 });
    expect(log.findConflictByTerm(7, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(7, 4)).toEqual({ index: 7, term: 4 });
  });

  it('compares log freshness by last term, then length', () => {
    const log = logWith([1, 2, 2]);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(9, 1)).toBe(false);
  });

  it('moves entries from unstable to stable and serves slices across both', () => {
    const s = new MemoryStorage();
    s.append(ents(1, 1));
    const log = new RaftLog(s, Infinity);
    log.append([{ term: 2, index: 3, type: 0, data: new Uint8Array() }, { term: 2, index: 4, type: 0, data: new Uint8Array() }]);
    expect(log.unstableEntries().map((e) => e.index)).toEqual([3, 4]);
    expect(log.slice(1, 5, Infinity).map((e) => e.term)).toEqual([1, 1, 2, 2]);
    s.append(log.unstableEntries());
    log.stableTo(4, 2);
    expect(log.unstableEntries()).toEqual([]);
    log.stableTo(4, 9);
    expect(log.lastIndex()).toBe(4);
  });
});

describe('flow control', () => {
  it('inflights is a bounded ring that frees by index', () => {
    const inf = new Inflights(3, 0);
    inf.add(1, 10);
    inf.add(2, 10);
    inf.add(5, 10);
    expect(inf.full()).toBe(true);
    inf.freeLE(2);
    expect([inf.size(), inf.full()]).toEqual([1, false]);
    inf.add(6, 1);
    inf.add(7, 1);
    expect(() => inf.add(8, 1)).toThrow(/full/);
    const bytesBound = new Inflights(10, 15);
    bytesBound.add(1, 10);
    expect(bytesBound.full()).toBe(false);
    bytesBound.add(2, 10);
    expect(bytesBound.full()).toBe(true);
  });

  it('progress decrements only on the rejection of its latest probe, and pipelines in replicate', () => {
    const pr = new Progress(10, 4, 0, false);
    expect(pr.maybeDecrTo(5, 5)).toBe(false);
    expect(pr.maybeDecrTo(9, 3)).toBe(true);
    expect(pr.next).toBe(4);
    pr.sentEntries(1, 1);
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(4);
    pr.becomeReplicate();
    for (let i = 0; i < 4; i++) pr.sentEntries(1, 1);
    expect([pr.next, pr.isPaused()]).toEqual([9, true]);
    pr.inflights.freeLE(6);
    expect(pr.isPaused()).toBe(false);
    expect(pr.maybeDecrTo(3, 0)).toBe(false);
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect([pr.state, pr.next]).toEqual([ProgressState.Probe, 21]);
  });

  it('majority arithmetic', () => {
    const voters = new Set([1n, 2n, 3n, 4n, 5n]);
    const match = new Map([[1n, 9], [2n, 7], [3n, 5], [4n, 1], [5n, 0]]);
    expect(majorityCommitted(voters, (id) => match.get(id) ?? 0)).toBe(5);
    expect(majorityVoteResult(voters, new Map([[1n, true], [2n, true]]))).toBe(VoteResult.Pending);
    expect(majorityVoteResult(voters, new Map([[1n, true], [2n, true], [3n, true]]))).toBe(VoteResult.Won);
    expect(majorityVoteResult(voters, new Map([[1n, false], [2n, false], [3n, false]]))).toBe(VoteResult.Lost);
  });

  it('the seeded rng is deterministic and in range', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const xs = Array.from({ length: 100 }, () => a.intn(7));
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.intn(7)));
    expect(xs.every((x) => x >= 0 && x < 7)).toBe(true);
  });
});
