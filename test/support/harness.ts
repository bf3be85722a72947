import { afterAll, afterEach, beforeAll } from 'vitest';
import { killAllChildren } from './childRegistry.js';
import { startedMembers, tailLines } from './members.js';
import { keepDirsOnFailure, removeTempDirs } from './tempDirs.js';

const LOG_TAIL_LINES = 120;

/**
 * Installs, in the current describe block (or file), what every test that runs processes needs:
 * on a failed test, the logs of the members started in this block go to stderr; after the block,
 * every child is killed and the temp dirs are removed (kept when a test failed and KEEP_TEST_DIRS=1).
 */
export function useProcessHarness(): void {
  let firstMember = 0;
  let failed = false;

  beforeAll(() => {
    firstMember = startedMembers().length;
  });

  afterEach((context) => {
    const state = context.task.result?.state;
    if (state !== 'fail') return;
    failed = true;
    for (const member of startedMembers().slice(firstMember)) {
      process.stderr.write(
        `\n===== ${member.kind} ${member.name} (pid ${member.pid}) log ${member.logFile} (last ${LOG_TAIL_LINES} lines)\n` +
          `${tailLines(member.logs(), LOG_TAIL_LINES)}\n`,
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
