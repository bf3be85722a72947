import type { ChildProcess } from 'node:child_process';

/*
 * Every child process a test helper spawns, so teardown (and, as a last resort, this process's exit)
 * kills what a test forgot: a stray etcd holding a port would break the next test in odd ways.
 */

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone between the check and the kill.
      }
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; SIGKILL needs no waiting.
  process.on('exit', killAllNow);
}

export function trackChild(child: ChildProcess): void {
  installExitHook();
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
}

export function liveChildCount(): number {
  return children.size;
}

const KILL_WAIT_MS = 10_000;

/** SIGKILLs every tracked child and waits (bounded) until each has exited. */
export async function killAllChildren(): Promise<void> {
  const pending = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  const exits = pending.map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
      }),
  );
  killAllNow();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), KILL_WAIT_MS);
  });
  const outcome = await Promise.race([Promise.all(exits).then(() => 'done' as const), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    const pids = pending.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid);
    throw new Error(`test/support: children ${pids.join(', ')} still alive ${KILL_WAIT_MS} ms after SIGKILL`);
  }
}
