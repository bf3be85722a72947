import { expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { runOnce, summarize, type RunOptions } from './harness/run.js';

// The short fault campaign of `npm test`: a one-member run (kill -9 and SIGSTOP of the only member) and
// a three-member run (kill -9 of leader/follower/majority, pauses, peer partitions and delays through
// the proxies), each recorded and checked for linearizability and watch guarantees. The long campaign
// is `npm run faults -- --runs N`. Seeds are fixed so a failure here replays with the printed command.
describeWithReference([], () => {
  const run = async (options: Omit<RunOptions, 'clients' | 'requestTimeoutMs'>) => {
    const report = await runOnce({ clients: 6, requestTimeoutMs: 1_500, ...options });
    process.stdout.write(`${summarize(report)}\n`);
    const problems = report.check.problems.join('\n\n');
    expect(problems, `seed ${report.seed}: kept ${report.dir}; replay: ${report.replay.join(' or ')}`).toBe('');
    expect(report.check.linearizable).toBe('ok');
    expect(report.watchComplete).toBe(true);
    expect(report.faults.filter((f) => f.targets.length > 0).length).toBeGreaterThan(0);
    expect(report.outcomes.ok).toBeGreaterThan(50);
    return report;
  };

  it('one member under kill -9 and SIGSTOP: linearizable, watches keep every guarantee', async () => {
    await run({ seed: 101, members: 1, durationMs: 15_000 });
  }, 150_000);

  it('three members under kills, pauses, partitions and delays: linearizable, watches keep every guarantee', async () => {
    await run({ seed: 301, members: 3, durationMs: 20_000 });
  }, 180_000);
});
