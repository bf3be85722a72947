import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCommand, tempDir } from '../support/processes.js';
import { describeWithReference } from '../support/reference.js';
import { REPO_ROOT } from '../support/repoRoot.js';

/*
 * Smoke test of the benchmark harness: `bench --quick` with tiny counts produces its three report
 * files. Performance itself is never asserted here; bench/ measures it.
 */

const BENCH_MAIN = path.join(REPO_ROOT, 'dist', 'bench', 'main.js');
const LIMIT_MS = 170_000;

describeWithReference(['etcd', 'benchmark'], () => {
  it('bench --quick writes the markdown, JSON and SVG reports', async () => {
    expect(existsSync(BENCH_MAIN), `${BENCH_MAIN} is missing; run \`npm run build\``).toBe(true);
    const out = tempDir('bench-quick');
    const result = await runCommand(process.execPath,
      [BENCH_MAIN, '--quick', '--sizes=1', '--scale=0.05', '--recovery-keys=1000', `--out=${out}`],
      { timeoutMs: LIMIT_MS });
    expect(result.code, `bench exited ${result.code}:\n${result.stderr.slice(-4000)}`).toBe(0);
    for (const ext of ['md', 'json', 'svg']) expect(existsSync(path.join(out, `bench-quick.${ext}`)), ext).toBe(true);
    const report = JSON.parse(readFileSync(path.join(out, 'bench-quick.json'), 'utf8')) as { mode?: string };
    expect(report.mode).toBe('quick');
    expect(readFileSync(path.join(out, 'bench-quick.svg'), 'utf8')).toMatch(/^<svg /);
  }, LIMIT_MS + 10_000);
});
