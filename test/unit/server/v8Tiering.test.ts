import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { budgetFlagApplies, optimiseSooner } from '../../../src/server/v8Tiering.js';
import { REPO_ROOT } from '../../support/repoRoot.js';

const run = promisify(execFile);
const tieringModule = pathToFileURL(path.join(REPO_ROOT, 'dist/src/server/v8Tiering.js')).href;

/**
 * In a fresh process, calls a small function 250 times and says whether V8 has optimised it. Without
 * OSR and with synchronous compilation, V8's default budget optimises it after ~500 calls, an eighth of
 * it after ~100.
 */
async function optimisedAfter250Calls(tuned: boolean): Promise<boolean> {
  const script = `
    const { optimiseSooner } = await import(${JSON.stringify(tieringModule)});
    if (process.argv[1] === 'tuned') optimiseSooner();
    function work(x) { let s = 0; for (let i = 0; i < 4; i++) s += (x * i) % 7; return s; }
    for (let i = 0; i < 250; i++) work(i);
    console.log((%GetOptimizationStatus(work) & (1 << 4)) !== 0 ? 'optimised' : 'not yet');
  `;
  const { stdout } = await run(process.execPath, [
    '--allow-natives-syntax', '--no-use-osr', '--no-concurrent-recompilation',
    '--input-type=module', '-e', script, tuned ? 'tuned' : 'default',
  ]);
  return stdout.trim() === 'optimised';
}

describe('optimiseSooner', () => {
  it('makes V8 optimise a function after fewer calls, in a process already running', async () => {
    expect(await optimisedAfter250Calls(false)).toBe(false);
    // Node 20's V8 is the one measured; a later one is left alone (budgetFlagApplies() is false there).
    expect(await optimisedAfter250Calls(true)).toBe(budgetFlagApplies());
  });

  it('leaves a budget chosen on the command line alone', () => {
    expect(optimiseSooner(['--interrupt-budget=100000'])).toBe(false);
  });

  it('applies to V8 11.3 and earlier only: later V8s ignore --interrupt-budget', () => {
    expect(budgetFlagApplies('11.3.244.8-node.38')).toBe(true);
    expect(budgetFlagApplies('10.2.154.26-node.36')).toBe(true);
    expect(budgetFlagApplies('12.4.254.21-node.33')).toBe(false);
    expect(optimiseSooner([], '13.6.233.10-node.27')).toBe(false);
  });
});
