// A member's configuration from argv and ETCD_* environment variables, resolved and validated the
// way etcd 3.5 does (etcdmain/config.go, pkg/flags, embed/config.go Validate), with etcd's error text.
// Parsing is pure: nothing is printed or logged here; what etcd would log while parsing is returned
// in `warnings` for the caller to log once its logger exists.

import { formatGoDuration, parseGoDuration } from './duration.js';
import { convertEnvValue, FlagError, parseArgs, goQuote, type FlagValue } from './flagSet.js';
import { DEFAULT_INITIAL_CLUSTER, DEFAULT_NAME, FLAG_DEFS, FLAG_DEFS_BY_NAME, flagToEnv, REFUSED_FLAGS } from './flags.js';
import { helpText } from './help.js';
import { parseUrlsMap, UrlError, type ParsedUrl } from './urls.js';
import { versionText } from './version.js';

import type { LogLevel } from '../logger.js';

export type { LogLevel };

/** A configuration etcd would refuse. `exitCode` is etcd's: 2 for a flag it cannot parse, else 1. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigWarning {
  readonly level: 'info' | 'warn';
  readonly msg: string;
  readonly fields: Readonly<Record<string, string>>;
}

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly trustedCaFile: string;
  readonly clientCertAuth: boolean;
  readonly crlFile: string;
  readonly autoTls: boolean;
  /** client-cert-allowed-hostname / peer-cert-allowed-hostname. */
  readonly allowedHostname: string;
  /** peer-cert-allowed-cn (peer side only; '' for the client side). */
  readonly allowedCn: string;
}

export type AutoCompaction =
  | { readonly mode: 'periodic'; readonly retentionMs: number }
  | { readonly mode: 'revision'; readonly retentionRevisions: number };

export interface Config {
  readonly name: string;
  readonly dataDir: string;
  /** '' means the WAL lives inside the data directory. */
  readonly walDir: string;
  readonly snapshotCount: number;
  readonly maxSnapshots: number;
  readonly maxWals: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly initialElectionTickAdvance: boolean;

  readonly listenPeerUrls: readonly ParsedUrl[];
  readonly listenClientUrls: readonly ParsedUrl[];
  readonly listenMetricsUrls: readonly ParsedUrl[];
  readonly advertiseClientUrls: readonly ParsedUrl[];
  readonly initialAdvertisePeerUrls: readonly ParsedUrl[];

  /** The --initial-cluster text after etcd's defaulting (`--name foo` alone gives `foo=<advertise peer urls>`). */
  readonly initialCluster: string;
  readonly initialClusterMembers: ReadonlyMap<string, readonly ParsedUrl[]>;
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly strictReconfigCheck: boolean;
  readonly preVote: boolean;
  readonly forceNewCluster: boolean;
  readonly unsafeNoFsync: boolean;
  readonly raftReadTimeoutMs: number;
  readonly raftWriteTimeoutMs: number;

  /** --backend-batch-interval in ms and --backend-batch-limit; 0 means the default (100 ms, 10,000). */
  readonly backendBatchIntervalMs: number;
  readonly backendBatchLimit: number;
  /** As given: 0 means the default quota, negative disables the quota. */
  readonly quotaBackendBytes: number;
  /** The quota in force: etcd's 2 GiB default when 0, null when disabled. */
  readonly effectiveQuotaBackendBytes: number | null;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly maxConcurrentStreams: number;
  readonly grpcKeepaliveMinTimeMs: number;
  readonly grpcKeepaliveIntervalMs: number;
  readonly grpcKeepaliveTimeoutMs: number;

  readonly autoCompactionMode: 'periodic' | 'revision';
  readonly autoCompactionRetention: string;
  /** null when auto compaction is disabled (retention 0). */
  readonly autoCompaction: AutoCompaction | null;

  readonly clientTls: TlsFiles;
  readonly peerTls: TlsFiles;
  readonly cipherSuites: readonly string[];
  readonly tlsMinVersion: '' | 'TLS1.2' | 'TLS1.3';
  readonly tlsMaxVersion: '' | 'TLS1.2' | 'TLS1.3';
  readonly selfSignedCertValidityYears: number;

  readonly authToken: string;
  readonly bcryptCost: number;
  readonly authTokenTtlSeconds: number;

  readonly enablePprof: boolean;
  readonly metrics: string;

  readonly logger: 'zap';
  readonly logOutputs: readonly string[];
  readonly logLevel: LogLevel;

  readonly initialCorruptCheck: boolean;
  readonly corruptCheckTimeMs: number;
  readonly compactHashCheckEnabled: boolean;
  readonly compactHashCheckTimeMs: number;
  readonly enableLeaseCheckpoint: boolean;
  readonly enableLeaseCheckpointPersist: boolean;
  readonly compactionBatchLimit: number;
  readonly compactionSleepIntervalMs: number;
  readonly peerSkipClientSanVerification: boolean;
  readonly watchProgressNotifyIntervalMs: number;
  readonly warningApplyDurationMs: number;
  readonly warningUnaryRequestDurationMs: number;
  readonly maxLearners: number;
  readonly snapshotCatchupEntries: number;
  readonly stopGrpcServiceOnDefrag: boolean;

  /** Every flag's resolved value by name (defaults included), for flags without a typed field. */
  readonly flagValues: ReadonlyMap<string, FlagValue>;
  /** Flags set on the command line or through the environment. */
  readonly explicitFlags: ReadonlySet<string>;
  /** What etcd would have logged while parsing; the caller logs these. */
  readonly warnings: readonly ConfigWarning[];
}

export type ParseResult = Config | { readonly help: string } | { readonly version: string };

export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024;
const MAX_ELECTION_MS = 50000;

export const ERR_UNSET_ADVERTISE_CLIENT_URLS = '--advertise-client-urls is required when --listen-client-urls is set explicitly';
export const ERR_CONFLICT_BOOTSTRAP_FLAGS =
  'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"';
export const ERR_CONFLICTING_ENV =
  'conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))';

const LOG_LEVELS: ReadonlyMap<string, LogLevel> = new Map([
  ['debug', 'debug'], ['info', 'info'], ['warn', 'warn'], ['error', 'error'],
  ['dpanic', 'dpanic'], ['panic', 'panic'], ['fatal', 'fatal'], ['', 'info'],
]);

/** Resolved flag values with typed accessors that fail loudly on a table/kind mismatch. */
class FlagValues {
  constructor(readonly values: Map<string, FlagValue>) {}
  private raw(name: string): FlagValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`invariant: flag ${name} has no value`);
    return v;
  }
  str(name: string): string {
    const v = this.raw(name);
    if (typeof v !== 'string') throw new Error(`invariant: flag ${name} is not a string`);
    return v;
  }
  num(name: string): number {
    const v = this.raw(name);
    if (typeof v !== 'number') throw new Error(`invariant: flag ${name} is not a number`);
    return v;
  }
  bool(name: string): boolean {
    const v = this.raw(name);
    if (typeof v !== 'boolean') throw new Error(`invariant: flag ${name} is not a boolean`);
    return v;
  }
  urls(name: string): readonly ParsedUrl[] {
    const v = this.raw(name);
    if (!Array.isArray(v)) throw new Error(`invariant: flag ${name} is not a list`);
    return (v as readonly (ParsedUrl | string)[]).filter((u): u is ParsedUrl => typeof u !== 'string');
  }
  list(name: string): readonly string[] {
    const v = this.raw(name);
    if (!Array.isArray(v)) throw new Error(`invariant: flag ${name} is not a list`);
    return (v as readonly (ParsedUrl | string)[]).filter((s): s is string => typeof s === 'string');
  }
}

function defaults(): Map<string, FlagValue> {
  const m = new Map<string, FlagValue>();
  for (const def of FLAG_DEFS) {
    const value = convertEnvValue(def, '(default)', def.defaultText);
    m.set(def.name, value);
  }
  return m;
}

/**
 * Parses argv (without the program name) and the environment into a Config, or the text of
 * --help / --version. Throws ConfigError with etcd's message when etcd would refuse to start.
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult {
  let parsed;
  try {
    parsed = parseArgs(FLAG_DEFS_BY_NAME, argv);
  } catch (e) {
    if (e instanceof FlagError) throw new ConfigError(e.message, 2);
    throw e;
  }
  if (parsed.help) return { help: helpText() };
  if (parsed.rest.length !== 0) throw new ConfigError(`${goQuote(parsed.rest[0]!)} is not a valid flag`);
  if (parsed.values.get('version') === true) return { version: versionText() };

  const warnings: ConfigWarning[] = [];
  const values = defaults();
  for (const [name, value] of parsed.values) values.set(name, value);
  const explicit = new Set<string>(parsed.values.keys());

  applyEnvironment(env, parsed.values, values, explicit, warnings);

  for (const name of explicit) {
    const def = FLAG_DEFS_BY_NAME.get(name);
    if (def === undefined) throw new Error(`invariant: explicit flag ${name} is not defined`);
    if (!def.effective && def.kind.type !== 'ignored' && !REFUSED_FLAGS.has(name)) {
      warnings.push({ level: 'warn', msg: 'flag accepted for etcd compatibility has no effect in capstan', fields: { flag: `--${name}` } });
    }
  }
  return resolve(new FlagValues(values), explicit, warnings);
}

/** etcd's flags.SetFlagsFromEnv + verifyEnv: env fills flags not given on the command line. */
function applyEnvironment(
  env: NodeJS.ProcessEnv,
  fromArgv: ReadonlyMap<string, FlagValue>,
  values: Map<string, FlagValue>,
  explicit: Set<string>,
  warnings: ConfigWarning[],
): void {
  const versionValue = env['ETCD_VERSION'];
  if (versionValue !== undefined && versionValue !== '') {
    warnings.push({ level: 'warn', msg: 'cannot set special environment variable', fields: { key: 'ETCD_VERSION', value: versionValue } });
  }
  const alreadySet = new Set([...fromArgv.keys()].map(flagToEnv));
  const used = new Set<string>(['ETCD_VERSION']);
  const sortedDefs = [...FLAG_DEFS].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const def of sortedDefs) {
    if (def.name === 'version') continue;
    const key = flagToEnv(def.name);
    if (alreadySet.has(key)) continue;
    const text = env[key];
    if (text === undefined || text === '') continue;
    used.add(key);
    try {
      values.set(def.name, convertEnvValue(def, key, text));
    } catch (e) {
      if (e instanceof FlagError) throw new ConfigError(e.message);
      throw e;
    }
    explicit.add(def.name);
    warnings.push({ level: 'info', msg: 'recognized and used environment variable', fields: { 'variable-name': key, 'variable-value': text } });
  }
  for (const key of Object.keys(env).sort()) {
    if (used.has(key)) continue;
    if (alreadySet.has(key)) throw new ConfigError(ERR_CONFLICTING_ENV, 1, { 'environment-variable': key });
    if (key.startsWith('ETCD_')) {
      warnings.push({ level: 'warn', msg: 'unrecognized environment variable', fields: { 'environment-variable': `${key}=${env[key] ?? ''}` } });
    }
  }
}

function resolve(f: FlagValues, explicit: ReadonlySet<string>, warnings: ConfigWarning[]): Config {
  const name = f.str('name');
  const initialAdvertisePeerUrls = f.urls('initial-advertise-peer-urls');
  const listenClientUrls = f.urls('listen-client-urls');
  // etcdmain: an explicit --listen-client-urls disables the default --advertise-client-urls.
  const advertiseClientUrls =
    explicit.has('listen-client-urls') && !explicit.has('advertise-client-urls') ? [] : f.urls('advertise-client-urls');

  if (f.str('discovery') !== '' || f.str('discovery-srv') !== '') {
    const nSet = [explicit.has('initial-cluster'), f.str('discovery') !== '', f.str('discovery-srv') !== ''].filter(Boolean).length;
    if (nSet > 1) throw new ConfigError(ERR_CONFLICT_BOOTSTRAP_FLAGS);
    throw new ConfigError('capstan does not support discovery (--discovery, --discovery-srv); use --initial-cluster');
  }

  // embed.UpdateDefaultClusterFromName: `--name foo` alone makes foo the single initial member.
  let initialCluster = f.str('initial-cluster');
  if (name !== DEFAULT_NAME && initialCluster === DEFAULT_INITIAL_CLUSTER) {
    initialCluster = initialAdvertisePeerUrls.map((u) => `${name}=${u.text}`).join(',');
  }

  validateLogging(f);
  for (const flag of ['listen-peer-urls', 'listen-client-urls', 'listen-metrics-urls']) checkBindUrls(f.urls(flag));
  const advertisePeerProblem = checkHostUrls(initialAdvertisePeerUrls);
  if (advertisePeerProblem !== null) {
    const list = initialAdvertisePeerUrls.map((u) => u.text).join(',');
    throw new ConfigError(`--initial-advertise-peer-urls ${goQuote(list)} must be "host:port" (${advertisePeerProblem})`);
  }
  const advertiseClientProblem = checkHostUrls(advertiseClientUrls);
  if (advertiseClientProblem !== null) {
    const list = advertiseClientUrls.map((u) => u.text).join(',');
    throw new ConfigError(
      `--advertise-client-urls ${goQuote(list)} must be in the format "host:port", "unix:/path/to/socket" or "unixs:/path/to/socket" (${advertiseClientProblem})`,
    );
  }

  const tickMs = f.num('heartbeat-interval');
  const electionMs = f.num('election-timeout');
  if (tickMs === 0) throw new ConfigError(`--heartbeat-interval must be >0 (set to ${tickMs}ms)`);
  if (electionMs === 0) throw new ConfigError(`--election-timeout must be >0 (set to ${electionMs}ms)`);
  if (5 * tickMs > electionMs) {
    throw new ConfigError(`--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${tickMs}ms]`);
  }
  if (electionMs > MAX_ELECTION_MS) {
    throw new ConfigError(`--election-timeout[${electionMs}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`);
  }
  if (listenClientUrls.length > 0 && advertiseClientUrls.length === 0) throw new ConfigError(ERR_UNSET_ADVERTISE_CLIENT_URLS);

  const autoCompactionMode = f.str('auto-compaction-mode');
  if (autoCompactionMode === '') throw new ConfigError('undefined auto-compaction-mode');
  if (autoCompactionMode !== 'periodic' && autoCompactionMode !== 'revision') {
    throw new ConfigError(`unknown auto-compaction-mode ${goQuote(autoCompactionMode)}`);
  }
  const autoCompactionRetention = f.str('auto-compaction-retention');
  const autoCompaction = parseCompactionRetention(autoCompactionMode, autoCompactionRetention);

  if (f.bool('experimental-enable-lease-checkpoint-persist') && !f.bool('experimental-enable-lease-checkpoint')) {
    throw new ConfigError('setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint');
  }
  const compactHashCheckTimeMs = f.num('experimental-compact-hash-check-time');
  if (compactHashCheckTimeMs <= 0) {
    throw new ConfigError(`--experimental-compact-hash-check-time must be >0 (set to ${formatGoDuration(compactHashCheckTimeMs)})`);
  }
  if (name === DEFAULT_NAME) {
    warnings.push({
      level: 'warn',
      msg: "it isn't recommended to use default name, please set a value for --name. Note that etcd might run into issue when multiple members have the same default name",
      fields: { name },
    });
  }

  const tlsMinVersion = tlsVersion(f.str('tls-min-version'));
  const tlsMaxVersion = tlsVersion(f.str('tls-max-version'));
  if (tlsMaxVersion !== '' && tlsMinVersion > tlsMaxVersion) {
    throw new ConfigError(`min version (${tlsMinVersion}) is greater than max version (${tlsMaxVersion})`);
  }
  const cipherSuites = f.list('cipher-suites');
  if (tlsMinVersion === 'TLS1.3' && cipherSuites.length > 0) {
    throw new ConfigError('cipher suites cannot be configured when only TLS1.3 is enabled');
  }

  let initialClusterMembers: Map<string, ParsedUrl[]>;
  try {
    initialClusterMembers = parseUrlsMap(initialCluster);
  } catch (e) {
    if (e instanceof UrlError) throw new ConfigError(e.message);
    throw e;
  }

  const backendBatchIntervalMs = f.num('backend-batch-interval');
  // etcd hands a negative interval to time.NewTicker, which panics; say so plainly instead.
  if (backendBatchIntervalMs < 0) throw new ConfigError(`--backend-batch-interval must be >=0 (set to ${formatGoDuration(backendBatchIntervalMs)})`);
  // etcd commits when pending >= limit: a negative limit commits after every write.
  const backendBatchLimit = f.num('backend-batch-limit') < 0 ? 1 : f.num('backend-batch-limit');
  const quotaBackendBytes = f.num('quota-backend-bytes');
  const effectiveQuotaBackendBytes = quotaBackendBytes < 0 ? null : quotaBackendBytes === 0 ? DEFAULT_QUOTA_BYTES : quotaBackendBytes;
  if (quotaBackendBytes > MAX_QUOTA_BYTES) {
    warnings.push({
      level: 'warn',
      msg: 'quota exceeds the maximum value',
      fields: { 'quota-size-bytes': String(quotaBackendBytes), 'quota-maximum-size-bytes': String(MAX_QUOTA_BYTES) },
    });
  }

  const state = f.str('initial-cluster-state');
  if (state !== 'new' && state !== 'existing') throw new ConfigError(`unexpected clusterState ${goQuote(state)}`);
  const dataDir = f.str('data-dir') === '' ? `${name}.capstan` : f.str('data-dir');

  return {
    name,
    dataDir,
    walDir: f.str('wal-dir'),
    snapshotCount: f.num('snapshot-count'),
    maxSnapshots: f.num('max-snapshots'),
    maxWals: f.num('max-wals'),
    heartbeatIntervalMs: tickMs,
    electionTimeoutMs: electionMs,
    initialElectionTickAdvance: f.bool('initial-election-tick-advance'),
    listenPeerUrls: f.urls('listen-peer-urls'),
    listenClientUrls,
    listenMetricsUrls: f.urls('listen-metrics-urls'),
    advertiseClientUrls,
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterMembers,
    initialClusterState: state,
    initialClusterToken: f.str('initial-cluster-token'),
    strictReconfigCheck: f.bool('strict-reconfig-check'),
    preVote: f.bool('pre-vote'),
    forceNewCluster: f.bool('force-new-cluster'),
    unsafeNoFsync: f.bool('unsafe-no-fsync'),
    // etcdmain raises both to rafthttp's 5 s minimum.
    raftReadTimeoutMs: Math.max(5000, f.num('raft-read-timeout')),
    raftWriteTimeoutMs: Math.max(5000, f.num('raft-write-timeout')),
    backendBatchIntervalMs,
    backendBatchLimit,
    quotaBackendBytes,
    effectiveQuotaBackendBytes,
    maxRequestBytes: f.num('max-request-bytes'),
    maxTxnOps: f.num('max-txn-ops'),
    maxConcurrentStreams: f.num('max-concurrent-streams'),
    grpcKeepaliveMinTimeMs: f.num('grpc-keepalive-min-time'),
    grpcKeepaliveIntervalMs: f.num('grpc-keepalive-interval'),
    grpcKeepaliveTimeoutMs: f.num('grpc-keepalive-timeout'),
    autoCompactionMode,
    autoCompactionRetention,
    autoCompaction,
    clientTls: {
      certFile: f.str('cert-file'),
      keyFile: f.str('key-file'),
      clientCertFile: f.str('client-cert-file'),
      clientKeyFile: f.str('client-key-file'),
      trustedCaFile: f.str('trusted-ca-file'),
      clientCertAuth: f.bool('client-cert-auth'),
      crlFile: f.str('client-crl-file'),
      autoTls: f.bool('auto-tls'),
      allowedHostname: f.str('client-cert-allowed-hostname'),
      allowedCn: '',
    },
    peerTls: {
      certFile: f.str('peer-cert-file'),
      keyFile: f.str('peer-key-file'),
      clientCertFile: f.str('peer-client-cert-file'),
      clientKeyFile: f.str('peer-client-key-file'),
      trustedCaFile: f.str('peer-trusted-ca-file'),
      clientCertAuth: f.bool('peer-client-cert-auth'),
      crlFile: f.str('peer-crl-file'),
      autoTls: f.bool('peer-auto-tls'),
      allowedHostname: f.str('peer-cert-allowed-hostname'),
      allowedCn: f.str('peer-cert-allowed-cn'),
    },
    cipherSuites,
    tlsMinVersion,
    tlsMaxVersion,
    selfSignedCertValidityYears: f.num('self-signed-cert-validity'),
    authToken: f.str('auth-token'),
    bcryptCost: f.num('bcrypt-cost'),
    authTokenTtlSeconds: f.num('auth-token-ttl'),
    enablePprof: f.bool('enable-pprof'),
    metrics: f.str('metrics'),
    logger: 'zap',
    logOutputs: f.list('log-outputs'),
    logLevel: logLevel(f.str('log-level')),
    initialCorruptCheck: f.bool('experimental-initial-corrupt-check'),
    corruptCheckTimeMs: f.num('experimental-corrupt-check-time'),
    compactHashCheckEnabled: f.bool('experimental-compact-hash-check-enabled'),
    compactHashCheckTimeMs,
    enableLeaseCheckpoint: f.bool('experimental-enable-lease-checkpoint'),
    enableLeaseCheckpointPersist: f.bool('experimental-enable-lease-checkpoint-persist'),
    compactionBatchLimit: f.num('experimental-compaction-batch-limit'),
    compactionSleepIntervalMs: f.num('experimental-compaction-sleep-interval'),
    peerSkipClientSanVerification: f.bool('experimental-peer-skip-client-san-verification'),
    watchProgressNotifyIntervalMs: f.num('experimental-watch-progress-notify-interval'),
    warningApplyDurationMs: f.num('experimental-warning-apply-duration'),
    warningUnaryRequestDurationMs: f.num('experimental-warning-unary-request-duration'),
    maxLearners: f.num('experimental-max-learners'),
    snapshotCatchupEntries: f.num('experimental-snapshot-catchup-entries'),
    stopGrpcServiceOnDefrag: f.bool('experimental-stop-grpc-service-on-defrag'),
    flagValues: f.values,
    explicitFlags: explicit,
    warnings,
  };
}

function logLevel(text: string): LogLevel {
  const level = LOG_LEVELS.get(text.toLowerCase());
  if (level === undefined) throw new ConfigError(`unrecognized level: ${goQuote(text)}`);
  return level;
}

/** embed.Config.setupLogging's checks. */
function validateLogging(f: FlagValues): void {
  const logger = f.str('logger');
  if (logger === 'capnslog') throw new ConfigError('--logger=capnslog is removed in v3.5');
  if (logger !== 'zap') throw new ConfigError(`unknown logger option ${goQuote(logger)}`);
  const outputs = f.list('log-outputs');
  if (outputs.length > 1 && outputs.includes('default')) {
    throw new ConfigError('multi logoutput for "default" is not supported yet');
  }
  logLevel(f.str('log-level'));
}

/** embed's checkBindURLs: a listener needs an IP (or `localhost`), not a host name. */
function checkBindUrls(urls: readonly ParsedUrl[]): void {
  for (const u of urls) {
    if (u.scheme === 'unix' || u.scheme === 'unixs') continue;
    if (u.host === 'localhost') continue;
    if (!isIp(u.host)) throw new ConfigError(`expected IP in URL for binding (${u.text})`);
  }
}

/** embed's checkHostURLs: returns the problem text, or null. */
function checkHostUrls(urls: readonly ParsedUrl[]): string | null {
  for (const u of urls) {
    if (u.scheme === 'unix' || u.scheme === 'unixs') continue;
    if (u.host === '') return `unexpected empty host (${u.text})`;
  }
  return null;
}

function isIp(host: string): boolean {
  if (/^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(host)) return true;
  if (!host.includes(':') || host.includes('%')) return false;
  // Parsing an IPv6 literal via the URL parser accepts exactly the textual forms Go's ParseIP does.
  try {
    return new URL(`http://[${host}]/`).hostname !== '';
  } catch {
    return false;
  }
}

function tlsVersion(text: string): '' | 'TLS1.2' | 'TLS1.3' {
  if (text === '' || text === 'TLS1.2' || text === 'TLS1.3') return text;
  throw new ConfigError(`unexpected TLS version ${goQuote(text)} (must be one of: TLS1.2, TLS1.3)`);
}

/** etcd's parseCompactionRetention: a bare number is hours (periodic) or revisions; else a Go duration. */
function parseCompactionRetention(mode: 'periodic' | 'revision', retention: string): AutoCompaction | null {
  if (/^[+-]?[0-9]+$/.test(retention) && Number(retention) >= 0) {
    const n = Number(retention);
    if (n === 0) return null;
    return mode === 'revision' ? { mode, retentionRevisions: n } : { mode, retentionMs: n * 3_600_000 };
  }
  const ms = parseGoDuration(retention);
  if (ms === null) throw new ConfigError(`error parsing CompactionRetention: time: invalid duration ${goQuote(retention)}`);
  if (ms === 0) return null;
  // etcd feeds the duration's nanoseconds to the revision compactor as a count; keep its meaning sane.
  return mode === 'revision' ? { mode, retentionRevisions: Math.round(ms * 1e6) } : { mode, retentionMs: ms };
}
