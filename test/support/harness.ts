import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { killAllChildren } from './childRegistry.js';
import { startedMembers, tailLines } from './members.js';
import { keepDirsOnFailure, removeTempDirs } from './tempDirs.js';

const LOG_TAIL_LINES = 120;

/**
 * Installs, in the current describe block (or file), what every test that runs processes needs:
 * on a failed test, what the block's members logged during that test goes to stderr; after the block,
 * every child is killed and the temp dirs are removed (kept when a test failed and KEEP_TEST_DIRS=1).
 */
export function useProcessHarness(): void {
  let firstMember = 0;
  let failed = false;
  // How much of each log file existed when the current test began: only what a test logged is shown.
  let logLengthAtTestStart = new Map<string, number>();

  beforeAll(() => {
    firstMember = startedMembers().length;
  });

  beforeEach(() => {
    logLengthAtTestStart = new Map();
    for (const member of startedMembers().slice(firstMember)) {
      logLengthAtTestStart.set(member.logFile, member.logs().length);
    }
  });

  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    failed = true;
    const printed = new Set<string>();
    for (const member of startedMembers().slice(firstMember)) {
      if (printed.has(member.logFile)) continue;
      printed.add(member.logFile);
      const during = member.logs().slice(logLengthAtTestStart.get(member.logFile) ?? 0);
      if (during.length === 0) continue;
      process.stderr.write(
        `\n===== ${member.kind} ${member.name} log ${member.logFile}, during "${context.task.name}"` +
          ` (last ${LOG_TAIL_LINES} lines)\n${tailLines(during, LOG_TAIL_LINES)}\n`,
      );
    }
  });

  afterAll(async () => {
    try {
      await killAllChildren();
    } finally {
      removeTempDirs(failed && keepDirsOnFailure());
    }
  });
}
