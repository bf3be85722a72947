import { etcdctl } from '../test/support/processes.js';
import type { CheckPerfResult, SystemName } from './model.js';

const MARKERS = ['PASS', 'FAIL', 'Slowest request took too long', 'Stddev too high'];

/**
 * The verdict lines of etcdctl's output. Its progress bar redraws with \r and no newline, so the first
 * verdict shares a line with it; two failures are printed without a FAIL: prefix (ctlv3/command/check.go).
 */
export function verdictLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split(/[\r\n]+/)) {
    const at = Math.min(...MARKERS.map((m) => {
      const i = raw.search(new RegExp(`${m}\\b`));
      return i < 0 ? Number.POSITIVE_INFINITY : i;
    }));
    if (Number.isFinite(at)) lines.push(raw.slice(at).trim());
  }
  return lines;
}

/** `etcdctl check perf --load=<load>` (60 s of writes at etcd's target rate) and its verdict lines. */
export async function runCheckPerf(system: SystemName, endpoints: readonly string[], load: string): Promise<CheckPerfResult> {
  const result = await etcdctl(endpoints.map((e) => `http://${e}`), ['check', 'perf', `--load=${load}`],
    { timeoutMs: 180_000, commandTimeout: '30s' });
  const text = `${result.stdout}\n${result.stderr}`;
  const lines = verdictLines(text);
  if (lines.length === 0) {
    lines.push(`FAIL: etcdctl check perf exited ${result.code}${result.timedOut ? ' (timed out)' : ''}: ${text.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const passed = result.code === 0 && lines.every((l) => l.startsWith('PASS'));
  if (passed && lines.length < 4) {
    // etcdctl prints three checks and a verdict; fewer means this parser missed one: never report PASS then.
    lines.push(`FAIL: bench read only ${lines.length} of etcdctl's 4 verdict lines`);
    return { system, members: endpoints.length, load, passed: false, lines };
  }
  return { system, members: endpoints.length, load, passed, lines };
}
