// The flags a capstan member accepts: etcd 3.5's flag set, names and defaults exactly as etcd's, so a
// kubeadm static Pod manifest or a systemd unit written for etcd starts capstan unchanged. Flags that
// capstan has no use for are still accepted (etcd would accept them) and reported as having no effect.

import type { FlagDef, FlagKind } from './flagSet.js';

export type FlagSection =
  | 'Member'
  | 'Clustering'
  | 'Security'
  | 'Auth'
  | 'Profiling and Monitoring'
  | 'Logging'
  | 'Experimental feature'
  | 'Unsafe feature';

export interface CapstanFlagDef extends FlagDef {
  readonly section: FlagSection;
  readonly help: string;
  /** False: accepted because etcd accepts it, but capstan ignores its value. */
  readonly effective: boolean;
  /** Not listed by --help (etcd's ignored legacy flags, and etcd's own unlisted ones). */
  readonly hidden?: boolean;
}

const bool: FlagKind = { type: 'bool' };
const str: FlagKind = { type: 'string' };
const int64: FlagKind = { type: 'int', bits: 64 };
const uint64: FlagKind = { type: 'uint', bits: 64 };
/** Go's `uint` is 64-bit on the platforms etcd ships for; only --max-concurrent-streams is a uint32. */
const uint32: FlagKind = { type: 'uint', bits: 32 };
const duration: FlagKind = { type: 'duration' };
const urls: FlagKind = { type: 'urls' };
const list: FlagKind = { type: 'strings', unique: false };
const uniqueList: FlagKind = { type: 'strings', unique: true };
const ignored: FlagKind = { type: 'ignored' };

export const DEFAULT_NAME = 'default';
export const DEFAULT_LISTEN_PEER_URLS = 'http://localhost:2380';
export const DEFAULT_LISTEN_CLIENT_URLS = 'http://localhost:2379';
export const DEFAULT_INITIAL_CLUSTER = `${DEFAULT_NAME}=${DEFAULT_LISTEN_PEER_URLS}`;
export const MAX_UINT32 = 4294967295;

type Row = [name: string, kind: FlagKind, defaultText: string, help: string, effective?: boolean];

function section(name: FlagSection, rows: Row[]): CapstanFlagDef[] {
  return rows.map(([flagName, kind, defaultText, help, effective]) => ({
    name: flagName,
    kind,
    defaultText,
    section: name,
    help,
    effective: effective ?? true,
  }));
}

const NO = false;

export const FLAG_DEFS: readonly CapstanFlagDef[] = [
  ...section('Member', [
    ['name', str, DEFAULT_NAME, 'Human-readable name for this member.'],
    ['data-dir', str, '', 'Path to the data directory (default "${name}.capstan").'],
    ['wal-dir', str, '', 'Path to a dedicated WAL directory (default: inside the data directory).'],
    ['snapshot-count', uint64, '100000', 'Number of committed entries after which the raft log is snapshotted and truncated.'],
    ['heartbeat-interval', uint64, '100', 'Time (in milliseconds) of a heartbeat interval.'],
    ['election-timeout', uint64, '1000', 'Time (in milliseconds) for an election to time out.'],
    ['initial-election-tick-advance', bool, 'true', 'Fast-forward initial election ticks on boot for a faster election.'],
    ['listen-peer-urls', urls, DEFAULT_LISTEN_PEER_URLS, 'List of URLs to listen on for peer traffic.'],
    ['listen-client-urls', urls, DEFAULT_LISTEN_CLIENT_URLS, 'List of URLs to listen on for client gRPC traffic.'],
    ['listen-client-http-urls', urls, '', 'List of URLs to listen on for HTTP-only client traffic.', NO],
    ['max-snapshots', uint64, '5', 'Maximum number of snapshot files to retain (0 is unlimited).'],
    ['max-wals', uint64, '5', 'Maximum number of WAL files to retain (0 is unlimited).'],
    ['quota-backend-bytes', int64, '0', 'Raise an alarm when the backend size exceeds this quota (0 means the 2 GiB default).'],
    ['backend-bbolt-freelist-type', str, 'map', 'bbolt freelist type (no effect: capstan does not use bbolt as its backend).', NO],
    ['backend-batch-interval', duration, '0s', 'BackendBatchInterval is the maximum time before commit the backend transaction.'],
    ['backend-batch-limit', int64, '0', 'BackendBatchLimit is the maximum operations before commit the backend transaction.'],
    ['max-txn-ops', uint64, '128', 'Maximum number of operations permitted in a transaction.'],
    ['max-request-bytes', uint64, '1572864', 'Maximum client request size in bytes the server will accept.'],
    ['max-concurrent-streams', uint32, String(MAX_UINT32), 'Maximum concurrent streams each client can open at a time.'],
    ['enable-grpc-gateway', bool, 'false', 'Enable the gRPC gateway (not provided by capstan).', NO],
    ['grpc-keepalive-min-time', duration, '5s', 'Minimum interval a client should wait before pinging the server.'],
    ['grpc-keepalive-interval', duration, '2h0m0s', 'Frequency of server-to-client pings to check a connection is alive (0 to disable).'],
    ['grpc-keepalive-timeout', duration, '20s', 'Additional wait before closing a non-responsive connection (0 to disable).'],
    ['socket-reuse-port', bool, 'false', 'Set SO_REUSEPORT on listeners.', NO],
    ['socket-reuse-address', bool, 'false', 'Set SO_REUSEADDR on listeners.', NO],
    ['raft-read-timeout', duration, '5s', 'Read timeout on each peer connection.'],
    ['raft-write-timeout', duration, '5s', 'Write timeout on each peer connection.'],
  ]),
  ...section('Clustering', [
    ['initial-advertise-peer-urls', urls, DEFAULT_LISTEN_PEER_URLS, "List of this member's peer URLs to advertise to the rest of the cluster."],
    ['initial-cluster', str, DEFAULT_INITIAL_CLUSTER, 'Initial cluster configuration for bootstrapping.'],
    ['initial-cluster-state', { type: 'choice', choices: ['new', 'existing'] }, 'new', "Initial cluster state ('new' to bootstrap a new cluster, 'existing' to join one). Ignored on restarts."],
    ['initial-cluster-token', str, 'etcd-cluster', 'Initial cluster token; distinct tokens keep separate clusters from talking to each other.'],
    ['advertise-client-urls', urls, DEFAULT_LISTEN_CLIENT_URLS, "List of this member's client URLs to advertise to clients."],
    ['discovery', str, '', 'Discovery URL used to bootstrap the cluster (not supported by capstan).', NO],
    ['discovery-fallback', { type: 'choice', choices: ['exit', 'proxy'] }, 'proxy', "Expected behavior ('exit' or 'proxy') when discovery fails.", NO],
    ['discovery-proxy', str, '', 'HTTP proxy to use for traffic to the discovery service.', NO],
    ['discovery-srv', str, '', 'DNS SRV domain used to bootstrap the cluster (not supported by capstan).', NO],
    ['discovery-srv-name', str, '', 'Suffix to the DNS SRV name queried when bootstrapping.', NO],
    ['strict-reconfig-check', bool, 'true', 'Reject reconfiguration requests that would cause quorum loss.'],
    ['pre-vote', bool, 'true', 'Run an additional raft election phase (pre-vote).'],
    ['auto-compaction-retention', str, '0', 'Auto compaction retention length. 0 disables auto compaction.'],
    ['auto-compaction-mode', str, 'periodic', "How to read 'auto-compaction-retention': 'periodic' (a duration; hours if no unit, e.g. '5m') or 'revision' (a revision count)."],
    ['enable-v2', bool, 'false', 'Accept etcd v2 client requests (v2 is not provided by capstan).', NO],
    ['v2-deprecation', { type: 'choice', choices: ['not-yet', 'write-only', 'write-only-drop-data', 'gone'] }, 'not-yet', 'Phase of v2store deprecation.', NO],
  ]),
  ...section('Security', [
    ['cert-file', str, '', 'Path to the client server TLS cert file.'],
    ['key-file', str, '', 'Path to the client server TLS key file.'],
    ['client-cert-auth', bool, 'false', 'Enable client cert authentication.'],
    ['client-cert-file', str, '', 'Path to an explicit peer client TLS cert file, used when client auth is required.'],
    ['client-key-file', str, '', 'Path to an explicit peer client TLS key file, used when client auth is required.'],
    ['client-crl-file', str, '', 'Path to the client certificate revocation list file.'],
    ['client-cert-allowed-hostname', str, '', 'Allowed TLS hostname for client cert authentication.'],
    ['trusted-ca-file', str, '', 'Path to the client server TLS trusted CA cert file.'],
    ['auto-tls', bool, 'false', 'Client TLS using generated certificates.'],
    ['peer-cert-file', str, '', 'Path to the peer server TLS cert file.'],
    ['peer-key-file', str, '', 'Path to the peer server TLS key file.'],
    ['peer-client-cert-auth', bool, 'false', 'Enable peer client cert authentication.'],
    ['peer-trusted-ca-file', str, '', 'Path to the peer server TLS trusted CA file.'],
    ['peer-cert-allowed-cn', str, '', 'Required CN for client certs connecting to the peer endpoint.'],
    ['peer-cert-allowed-hostname', str, '', 'Allowed TLS hostname for inter-peer authentication.'],
    ['peer-auto-tls', bool, 'false', 'Peer TLS using self-generated certificates if --peer-key-file and --peer-cert-file are not given.'],
    ['peer-client-cert-file', str, '', 'Path to an explicit peer client TLS cert file.'],
    ['peer-client-key-file', str, '', 'Path to an explicit peer client TLS key file.'],
    ['peer-crl-file', str, '', 'Path to the peer certificate revocation list file.'],
    ['self-signed-cert-validity', uint64, '1', 'Validity in years of certificates generated for --auto-tls and --peer-auto-tls.'],
    ['cipher-suites', list, '', 'Comma-separated list of supported TLS cipher suites between client/server and peers.'],
    ['cors', { type: 'urls', exceptions: ['*'] }, '*', 'Comma-separated whitelist of origins for CORS.', NO],
    ['host-whitelist', uniqueList, '*', 'Acceptable hostnames from HTTP client requests, if the server is not secure.', NO],
    ['tls-min-version', str, 'TLS1.2', 'Minimum TLS version supported. Possible values: TLS1.2, TLS1.3.'],
    ['tls-max-version', str, '', 'Maximum TLS version supported. Possible values: TLS1.2, TLS1.3 (empty: the highest available).'],
  ]),
  ...section('Auth', [
    ['auth-token', str, 'simple', "A v3 authentication token type and its options ('simple' or 'jwt')."],
    ['bcrypt-cost', uint64, '10', 'Cost of the bcrypt hashing of auth passwords (4 to 31).'],
    ['auth-token-ttl', uint64, '300', 'Time (in seconds) of the auth token TTL.'],
  ]),
  ...section('Profiling and Monitoring', [
    ['enable-pprof', bool, 'false', 'Enable runtime profiling data via the HTTP server.'],
    ['metrics', str, 'basic', "Level of detail of exported metrics; 'extensive' adds server-side gRPC histograms."],
    ['listen-metrics-urls', urls, '', 'List of URLs to listen on for the /metrics, /health, /livez, /readyz and /version endpoints.'],
  ]),
  ...section('Logging', [
    ['logger', str, 'zap', "Only 'zap' (structured JSON logging) is supported."],
    ['log-outputs', uniqueList, 'default', "Where to write logs: 'default' or 'stderr', 'stdout', or file paths (comma-separated)."],
    ['log-level', str, 'info', 'Log level: debug, info, warn, error, panic or fatal.'],
    ['log-format', str, 'json', "Log format: 'json' or 'console'.", NO],
    ['enable-log-rotation', bool, 'false', 'Enable rotation of a single log-outputs file target.', NO],
    ['log-rotation-config-json', str, '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}', 'Log rotation configuration when rotation is enabled.', NO],
  ]),
  ...section('Experimental feature', [
    ['experimental-initial-corrupt-check', bool, 'false', 'Check data corruption before serving any client/peer traffic.'],
    ['experimental-corrupt-check-time', duration, '0s', 'Duration between cluster corruption check passes.'],
    ['experimental-compact-hash-check-enabled', bool, 'false', "Let the leader periodically check followers' compaction hashes."],
    ['experimental-compact-hash-check-time', duration, '1m0s', "Duration between the leader's compaction hash checks."],
    ['experimental-enable-lease-checkpoint', bool, 'false', 'Persist lease remaining TTL via checkpoints.'],
    ['experimental-enable-lease-checkpoint-persist', bool, 'false', 'Persist lease checkpoints to survive restarts.'],
    ['experimental-compaction-batch-limit', int64, '1000', 'Maximum revisions deleted in each compaction batch.'],
    ['experimental-compaction-sleep-interval', duration, '10ms', 'Sleep interval between compaction batches.'],
    ['experimental-peer-skip-client-san-verification', bool, 'false', 'Skip verification of the SAN field in client certificates for peer connections.'],
    ['experimental-watch-progress-notify-interval', duration, '10m0s', 'Duration of periodic watch progress notifications.'],
    ['experimental-warning-apply-duration', duration, '100ms', 'Log a warning when applying a request takes longer than this.'],
    ['experimental-warning-unary-request-duration', duration, '300ms', 'Log a warning when a unary request takes longer than this.'],
    ['experimental-txn-mode-write-with-shared-buffer', bool, 'true', 'Let write transactions use a shared buffer in read-only checks.', NO],
    ['experimental-bootstrap-defrag-threshold-megabytes', uint64, '0', 'Defragment on bootstrap when at least this many megabytes would be freed.', NO],
    ['experimental-max-learners', int64, '1', 'Maximum number of learners in the cluster membership.'],
    ['experimental-snapshot-catchup-entries', uint64, '5000', 'Number of entries kept for a slow follower to catch up after a snapshot.'],
    ['experimental-downgrade-check-time', duration, '5s', 'Duration between two downgrade status checks.', NO],
    ['experimental-memory-mlock', bool, 'false', 'Keep pages locked in RAM.', NO],
    ['experimental-stop-grpc-service-on-defrag', bool, 'false', 'Stop serving client gRPC during defragmentation.'],
    ['experimental-enable-distributed-tracing', bool, 'false', 'Enable distributed tracing.', NO],
    ['experimental-distributed-tracing-address', str, 'localhost:4317', 'Distributed tracing collector address.', NO],
    ['experimental-distributed-tracing-service-name', str, 'etcd', 'Distributed tracing service name.', NO],
    ['experimental-distributed-tracing-instance-id', str, '', 'Distributed tracing instance ID.', NO],
    ['experimental-distributed-tracing-sampling-rate', int64, '0', 'Samples per million spans for distributed tracing.', NO],
  ]),
  ...section('Unsafe feature', [
    ['force-new-cluster', bool, 'false', 'Force to create a new one-member cluster.'],
    ['unsafe-no-fsync', bool, 'false', 'Disables fsync: unsafe, will lose data on a crash.'],
  ]),
  // Not in etcd's help text, but defined by etcd's flag set.
  ...section('Member', [
    ['config-file', str, '', 'Path to a server configuration file (not supported by capstan).', NO],
    ['version', bool, 'false', 'Print the version and exit.'],
    ['proxy', str, 'off', 'v2 proxy mode (not supported).', NO],
    ['proxy-failure-wait', uint64, '5000', 'v2 proxy failure wait (ms).', NO],
    ['proxy-refresh-interval', uint64, '30000', 'v2 proxy refresh interval (ms).', NO],
    ['proxy-dial-timeout', uint64, '1000', 'v2 proxy dial timeout (ms).', NO],
    ['proxy-write-timeout', uint64, '5000', 'v2 proxy write timeout (ms).', NO],
    ['proxy-read-timeout', uint64, '0', 'v2 proxy read timeout (ms).', NO],
  ]).map((d) => ({ ...d, hidden: true })),
  // etcd's IgnoredFlag list: legacy names accepted and dropped silently.
  ...section('Member', [
    'cluster-active-size', 'cluster-remove-delay', 'cluster-sync-interval', 'config', 'force',
    'max-result-buffer', 'max-retry-attempts', 'peer-heartbeat-interval', 'peer-election-timeout',
    'retry-interval', 'snapshot', 'v', 'vv',
  ].map((n): Row => [n, ignored, '', 'Ignored (legacy etcd flag).', NO])).map((d) => ({ ...d, hidden: true })),
];

export const FLAG_DEFS_BY_NAME: ReadonlyMap<string, CapstanFlagDef> = (() => {
  const m = new Map<string, CapstanFlagDef>();
  for (const d of FLAG_DEFS) {
    if (m.has(d.name)) throw new Error(`flag defined twice: ${d.name}`);
    m.set(d.name, d);
  }
  return m;
})();

/** etcd accepts these, but capstan refuses to start with them set rather than silently misbehave. */
export const REFUSED_FLAGS: ReadonlySet<string> = new Set(['discovery', 'discovery-srv']);

/** etcd's flags.FlagToEnv: `listen-client-urls` → `ETCD_LISTEN_CLIENT_URLS`. */
export function flagToEnv(name: string): string {
  return `ETCD_${name.toUpperCase().replaceAll('-', '_')}`;
}
