import { etcdctl } from '../test/support/processes.js';
import type { CheckPerfResult, SystemName } from './model.js';

/** `etcdctl check perf --load=<load>` (60 s of writes at etcd's target rate) and its verdict lines. */
export async function runCheckPerf(system: SystemName, endpoints: readonly string[], load: string): Promise<CheckPerfResult> {
  const result = await etcdctl(endpoints.map((e) => `http://${e}`), ['check', 'perf', `--load=${load}`],
    { timeoutMs: 180_000, commandTimeout: '30s' });
  const text = `${result.stdout}\n${result.stderr}`;
  // etcdctl prints the slowest-request and stddev failures without a FAIL: prefix (ctlv3/command/check.go).
  const lines = text.split('\n').map((l) => l.trim())
    .filter((l) => /^(PASS|FAIL)\b/.test(l) || l.startsWith('Slowest request took too long') || l.startsWith('Stddev too high'));
  if (lines.length === 0) {
    lines.push(`FAIL: etcdctl check perf exited ${result.code}${result.timedOut ? ' (timed out)' : ''}: ${text.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const passed = result.code === 0 && lines.every((l) => l.startsWith('PASS'));
  if (passed && lines.length < 4) throw new Error(`etcdctl check perf: PASS with only ${lines.length} verdict lines:\n${text}`);
  return { system, members: endpoints.length, load, passed, lines };
}
