// etcd 3.5's health endpoints (etcdserver/api/etcdhttp/health.go), answered from a few callbacks
// so this module knows nothing of the server's insides:
//   /health  → {"health":"true","reason":""} or 503 with the first failure: an alarm not excluded by
//              ?exclude=NAME, "RAFT NO LEADER" (unless ?serializable=true), or "RANGE ERROR:<err>".
//   /livez, /readyz → "ok\n", with ?verbose the per-check lines "[+]name ok"; on failure 503 and the
//              lines always; ?exclude=<check> skips a check; /livez/<check> runs just one.

import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';

export interface HealthSource {
  /** Names of the active alarms on this member, as etcd's AlarmType names them: NOSPACE, CORRUPT. */
  alarms(): readonly string[];
  /** Whether this member currently knows a leader. */
  hasLeader(): boolean;
  /**
   * The probe etcd's checks run: a keys-only, limit-1 Range, linearizable unless `serializable`.
   * Resolves when it succeeds; rejects with the error whose message etcd would print.
   */
  probeRange(serializable: boolean, signal: AbortSignal): Promise<void>;
}

export interface HealthAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const TEXT_HEADERS = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

export const DEADLINE_EXCEEDED = 'context deadline exceeded';

/** Runs the probe, failing with Go's context error when it outlives the request timeout. */
async function probe(source: HealthSource, serializable: boolean, timeoutMs: number): Promise<string | null> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(DEADLINE_EXCEEDED);
    }, timeoutMs);
  });
  try {
    const outcome = source.probeRange(serializable, controller.signal).then(
      () => null,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    return await Promise.race([outcome, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthContext {
  readonly source: HealthSource;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics: ServerMetrics | null;
}

function alarmReason(alarm: string): string {
  if (alarm === 'NOSPACE') return 'ALARM NOSPACE';
  if (alarm === 'CORRUPT') return 'ALARM CORRUPT';
  return 'ALARM UNKNOWN';
}

/** /health: etcd's checkAlarms, checkLeader, checkAPI in that order. */
export async function checkHealth(ctx: HealthContext, query: URLSearchParams): Promise<HealthAnswer> {
  const excluded = new Set(query.getAll('exclude').filter((a) => a !== ''));
  const serializable = query.get('serializable') === 'true';
  let reason: string | null = null;
  for (const alarm of ctx.source.alarms()) {
    if (excluded.has(alarm)) continue;
    reason = alarmReason(alarm);
    ctx.logger.warn('serving /health false due to an alarm', { alarm });
    break;
  }
  if (reason === null && !serializable && !ctx.source.hasLeader()) {
    reason = 'RAFT NO LEADER';
    ctx.logger.warn('serving /health false; no leader');
  }
  if (reason === null) {
    const err = await probe(ctx.source, serializable, ctx.requestTimeoutMs);
    if (err !== null) {
      reason = `RANGE ERROR:${err}`;
      ctx.logger.warn('serving /health false; Range fails', { error: err });
    }
  }
  const body = JSON.stringify({ health: reason === null ? 'true' : 'false', reason: reason ?? '' });
  if (reason === null) {
    ctx.metrics?.healthSuccess.inc();
    return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body };
  }
  ctx.metrics?.healthFailures.inc();
  ctx.logger.warn('/health error', { output: body, 'status-code': 503 });
  return { status: 503, headers: TEXT_HEADERS, body: `${body}\n` };
}

export type CheckType = 'livez' | 'readyz';

interface NamedCheck {
  readonly name: string;
  run(ctx: HealthContext): Promise<string | null>;
}

const readCheck = (name: string, serializable: boolean): NamedCheck => ({
  name,
  run: (ctx) => probe(ctx.source, serializable, ctx.requestTimeoutMs),
});

const alarmCheck = (name: string, alarm: string): NamedCheck => ({
  name,
  run: (ctx) => Promise.resolve(ctx.source.alarms().includes(alarm) ? `alarm activated: ${alarm}` : null),
});

/** The checks etcd 3.5 registers, in a fixed order (etcd's map order is random). */
export const CHECKS: Readonly<Record<CheckType, readonly NamedCheck[]>> = {
  livez: [readCheck('serializable_read', true)],
  readyz: [alarmCheck('data_corruption', 'CORRUPT'), readCheck('serializable_read', true), readCheck('linearizable_read', false)],
};

/** /livez, /readyz, or one check under them (`only`). */
export async function runChecks(ctx: HealthContext, type: CheckType, query: URLSearchParams, only: string | null): Promise<HealthAnswer> {
  const path = only === null ? `/${type}` : `/${type}/${only}`;
  let checks = CHECKS[type];
  if (only !== null) {
    checks = checks.filter((c) => c.name === only);
  } else {
    const excluded = new Set(query.getAll('exclude').filter((e) => e !== ''));
    const unknown = [...excluded].filter((e) => !checks.some((c) => c.name === e));
    checks = checks.filter((c) => !excluded.has(c.name));
    if (unknown.length > 0) {
      ctx.logger.warn('some health checks cannot be excluded', { 'missing-health-checks': unknown.map((u) => JSON.stringify(u)).join(',') });
    }
  }
  let failed = false;
  let reason = '';
  for (const check of checks) {
    const err = await check.run(ctx);
    const status = err === null ? 'success' : 'error';
    if (err !== null) failed = true;
    reason += err === null ? `[+]${check.name} ok\n` : `[-]${check.name} failed: ${err}\n`;
    ctx.metrics?.healthcheck.labels({ type, name: check.name }).set(err === null ? 1 : 0);
    ctx.metrics?.healthchecksTotal.labels({ type, name: check.name, status }).inc();
  }
  if (failed) {
    ctx.logger.error('Health check error', { path, reason, 'status-code': 503 });
    return { status: 503, headers: TEXT_HEADERS, body: `${reason}\n` };
  }
  const verbose = query.has('verbose');
  ctx.logger.debug('Health check OK', { path, reason, 'status-code': 200 });
  return { status: 200, headers: TEXT_HEADERS, body: `${verbose ? reason : ''}ok\n` };
}
