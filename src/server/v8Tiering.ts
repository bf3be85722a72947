import { setFlagsFromString } from 'node:v8';

/**
 * V8 optimises a function after it has run a budget of bytecode (`--interrupt-budget`, 66 KiB in
 * Node 20's V8) several times. A member's request path is many small functions, each run once or twice
 * per request, so after a start they stayed in the interpreter and baseline code for thousands of
 * requests: after the benchmark's warm-up (5,300 mixed requests) a fresh 3-member cluster still served
 * its next 1,000 one-client puts 20% slower than its steady rate, and the 3,000 after that kept
 * speeding up. With an eighth of the budget, paired runs (3 rounds, same steps) gave one client's puts
 * 761 -> 945/s (p99 5.3 -> 4.1 ms), 16 clients' 5,006 -> 5,539/s and 256 clients' linearizable reads
 * 34,727 -> 37,016/s; a quarter-size budget again (4 KiB) was no better.
 */
export const INTERRUPT_BUDGET = 8192;

/**
 * Whether this V8 sizes tier-up budgets with `--interrupt-budget`. V8 11.3 (every Node 20) does; later
 * V8s (Node 22 on) multiply invocation counts by the function's size instead and ignore the flag. What
 * would match it there has not been measured, so they keep their defaults.
 */
export function budgetFlagApplies(v8Version: string = process.versions.v8): boolean {
  const [major = 0, minor = 0] = v8Version.split('.').map(Number);
  return major < 11 || (major === 11 && minor <= 3);
}

/** Asks V8 to optimise hot functions sooner, unless the command line already chose a budget. */
export function optimiseSooner(execArgv: readonly string[] = process.execArgv, v8Version: string = process.versions.v8): boolean {
  if (!budgetFlagApplies(v8Version)) return false;
  if (execArgv.some((a) => a.startsWith('--interrupt-budget=') || a.startsWith('--interrupt_budget='))) return false;
  // The budget is read each time a function's counter is reset, so setting it once the isolate runs
  // takes effect for every function from its next reset on.
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  return true;
}
