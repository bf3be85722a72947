import { describe, expect, it } from 'vitest';
import { simulateHistory } from '../linearizability/simulatedHistory.js';
import { checkRecording, type Recording } from './checkRecording.js';

// A recording's check, offline: a clean simulated run passes; a run someone else wrote into is void;
// members whose hashes differ are a problem.
describe('checkRecording', () => {
  const base = (): Recording => ({
    version: 1, seed: 1, members: 3, initialRevision: 1, finalRevision: 1, watchComplete: false,
    keyPrefix: 'k', prefixEnd: 'l', history: simulateHistory({ seed: 3, clients: 4, operations: 200, keys: 4 }),
    streams: [], faults: [], foreignKeys: [], memberHashes: [{ name: 'a', hash: 1 }, { name: 'b', hash: 1 }],
  });

  it('passes a linearizable history with agreeing members', () => {
    const result = checkRecording(base());
    expect(result.problems).toEqual([]);
    expect(result.linearizable).toBe('ok');
    expect(result.void).toBe(false);
  });

  it('calls a run with foreign keys void, not a violation', () => {
    const result = checkRecording({ ...base(), foreignKeys: ['failover/0/0'] });
    expect(result.void).toBe(true);
    expect(result.problems[0]).toMatch(/void run: another process wrote/);
  });

  it('reports members whose HashKV differ', () => {
    const result = checkRecording({ ...base(), memberHashes: [{ name: 'a', hash: 1 }, { name: 'b', hash: 2 }, { name: 'c', hash: null }] });
    expect(result.problems.join('\n')).toMatch(/members diverge/);
  });
});
