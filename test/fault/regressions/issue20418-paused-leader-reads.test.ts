import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import { runOnce, summarize } from '../harness/run.js';

// etcd #20418 (from 3.4.20/3.5.0; fixed by PRs #21399/#21375): linearizable reads were served stale
// after the leader's process was paused: a ReadIndex reused across retries, and a race with a leader
// change. Here the leader of three members is SIGSTOPped (and, for the leader-change race, cut off
// from its peers) again and again while every client reads and writes, with linearizable reads
// through every member; the recording must pass the linearizability checker and the watch validators. The request deadline is longer than a pause, so reads sent to the
// paused leader are still waiting when it wakes up, believing it still leads.
describeWithReference([], () => {
  it('SIGSTOP of the leader during linearizable reads: no stale read', async () => {
    const report = await runOnce({ seed: 20_418, members: 3, durationMs: 20_000, clients: 6, requestTimeoutMs: 4_000, faults: ['pause-leader', 'partition-leader'] });
    process.stdout.write(`${summarize(report)}\n`);
    expect(report.check.problems.join('\n\n'), `kept ${report.dir}; replay: ${report.replay.join(' or ')}`).toBe('');
    expect(report.check.linearizable).toBe('ok');
    const reads = report.recording.history.filter((op) => op.input.type === 'range' && op.output.status === 'ok').length;
    expect(reads).toBeGreaterThan(50);
    expect(report.faults.filter((f) => f.kind === 'pause-leader' && f.targets.length > 0).length).toBeGreaterThan(1);
  }, 150_000);
});
