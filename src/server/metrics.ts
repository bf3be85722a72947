// The member's Prometheus metrics under etcd's names, types, label sets and histogram buckets, so
// etcd dashboards and alerts (etcd-mixin, kube-prometheus) work on capstan unchanged. A function
// builds a fresh Registry, so several members (or tests) in one process never share counters.

import { collectDefaultMetrics, Counter, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client';
import { CAPSTAN_VERSION, ETCD_API_VERSION, ETCD_CLUSTER_VERSION, GIT_SHA } from './config/version.js';

export interface MetricsOptions {
  /** The etcd version reported by etcd_server_version{server_version}. */
  readonly serverVersion?: string;
  /** Node's process_* and nodejs_* metrics (etcd exports process_* and go_*). Default true. */
  readonly defaultMetrics?: boolean;
  /** etcd's --metrics=extensive: adds grpc_server_handling_seconds. */
  readonly extensive?: boolean;
}

export interface ServerMetrics {
  readonly hasLeader: Gauge;
  readonly isLeader: Gauge;
  readonly leaderChanges: Counter;
  readonly heartbeatSendFailures: Counter;
  readonly slowApplies: Counter;
  readonly snapshotApplyInProgress: Gauge;
  /** etcd declares these two "_total" series as gauges: they are set to raft's indexes, not incremented. */
  readonly proposalsCommitted: Gauge;
  readonly proposalsApplied: Gauge;
  readonly proposalsPending: Gauge;
  readonly proposalsFailed: Counter;
  readonly slowReadIndexes: Counter;
  readonly readIndexesFailed: Counter;
  readonly leaseExpired: Counter;
  readonly quotaBackendBytes: Gauge;
  readonly version: Gauge<'server_version'>;
  readonly id: Gauge<'server_id'>;
  readonly learnerPromoteSucceed: Counter;
  readonly learnerPromoteFailed: Counter<'Reason'>;
  readonly clientRequests: Counter<'type' | 'client_api_version'>;
  readonly applyDuration: Histogram<'version' | 'op' | 'success'>;
  readonly healthSuccess: Counter;
  readonly healthFailures: Counter;
  readonly healthcheck: Gauge<'type' | 'name'>;
  readonly healthchecksTotal: Counter<'type' | 'name' | 'status'>;
}

export interface MvccMetrics {
  readonly rangeTotal: Counter;
  readonly putTotal: Counter;
  readonly deleteTotal: Counter;
  readonly txnTotal: Counter;
  readonly keysTotal: Gauge;
  readonly watchStreamTotal: Gauge;
  readonly watcherTotal: Gauge;
  readonly slowWatcherTotal: Gauge;
  readonly eventsTotal: Counter;
  readonly pendingEventsTotal: Gauge;
  readonly dbTotalSizeInBytes: Gauge;
  readonly dbTotalSizeInUseInBytes: Gauge;
  readonly dbOpenReadTransactions: Gauge;
  readonly currentRevision: Gauge;
  readonly compactRevision: Gauge;
  readonly dbCompactionKeysTotal: Counter;
  readonly hashDuration: Histogram;
  readonly hashRevDuration: Histogram;
}

export interface DiskMetrics {
  readonly walFsyncDuration: Histogram;
  readonly walWriteBytes: Gauge;
  readonly backendCommitDuration: Histogram;
  readonly backendDefragDuration: Histogram;
  readonly backendSnapshotDuration: Histogram;
}

export interface NetworkMetrics {
  readonly clientGrpcSentBytes: Counter;
  readonly clientGrpcReceivedBytes: Counter;
  readonly peerSentBytes: Counter<'To'>;
  readonly peerReceivedBytes: Counter<'From'>;
  /** Counts for the two byte counters above, added to them on collection. */
  readonly peerSentCounts: DeferredCounts<'To'>;
  readonly peerReceivedCounts: DeferredCounts<'From'>;
  readonly peerSentFailures: Counter<'To'>;
  readonly peerReceivedFailures: Counter<'From'>;
  readonly peerRoundTripTime: Histogram<'To'>;
  readonly activePeers: Gauge<'Local' | 'Remote'>;
  readonly disconnectedPeers: Counter<'Local' | 'Remote'>;
}

/**
 * Counts for a labelled counter kept in a plain map and added to it when the registry is collected:
 * prom-client hashes the label set on every inc(), children from labels() included, and some counters
 * move on every request or socket write. Each key stands for one fixed label set.
 */
export class DeferredCounts<L extends string> {
  private readonly counts = new Map<string, { labels: Partial<Record<L, string>>; n: number }>();

  add(key: string, labels: () => Partial<Record<L, string>>, n = 1): void {
    const entry = this.counts.get(key);
    if (entry !== undefined) entry.n += n;
    else this.counts.set(key, { labels: labels(), n });
  }

  /** Moves what was counted since the last call into `counter`. */
  flushInto(counter: Counter<L>): void {
    for (const entry of this.counts.values()) {
      if (entry.n === 0) continue;
      counter.inc(entry.labels, entry.n);
      entry.n = 0;
    }
  }
}

type GrpcLabels = 'grpc_type' | 'grpc_service' | 'grpc_method';

/** go-grpc-prometheus's server metrics, as etcd registers them. */
export interface GrpcMetrics {
  readonly started: Counter<GrpcLabels>;
  readonly handled: Counter<GrpcLabels | 'grpc_code'>;
  /** Counts for `handled`, added to it on collection. */
  readonly handledCounts: DeferredCounts<GrpcLabels | 'grpc_code'>;
  readonly msgReceived: Counter<GrpcLabels>;
  readonly msgSent: Counter<GrpcLabels>;
  /** Present only with --metrics=extensive. */
  readonly handlingSeconds: Histogram<GrpcLabels> | null;
}

export interface CapstanMetrics {
  readonly registry: Registry;
  readonly server: ServerMetrics;
  readonly cluster: { readonly version: Gauge<'cluster_version'> };
  readonly mvcc: MvccMetrics;
  readonly disk: DiskMetrics;
  readonly network: NetworkMetrics;
  readonly grpc: GrpcMetrics;
}

/** gRPC method types as go-grpc-prometheus names them in the grpc_type label. */
export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** gRPC status code names as go-grpc-prometheus writes them in the grpc_code label. */
export const GRPC_CODE_NAMES: readonly string[] = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists',
  'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange',
  'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
];

export function grpcCodeName(code: number): string {
  const name = GRPC_CODE_NAMES[code];
  if (name === undefined) throw new Error(`invariant: unknown gRPC status code ${code}`);
  return name;
}

/** Prometheus client_golang's DefBuckets. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: MetricsOptions = {}): CapstanMetrics {
  const registry = new Registry();
  const registers = [registry];
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], deferred?: DeferredCounts<L>): Counter<L> =>
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      ...(deferred === undefined
        ? {}
        : {
            collect(this: Counter<L>) {
              deferred.flushInto(this);
            },
          }),
    });
  const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string = never>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> => new Histogram<L>({ name, help, buckets, labelNames, registers });

  const server: ServerMetrics = {
    hasLeader: gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.'),
    isLeader: gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.'),
    leaderChanges: counter('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.'),
    heartbeatSendFailures: counter(
      'etcd_server_heartbeat_send_failures_total',
      'The total number of leader heartbeat send failures (likely overloaded from slow disk).',
    ),
    slowApplies: counter('etcd_server_slow_apply_total', 'The total number of slow apply requests (likely overloaded from slow disk).'),
    snapshotApplyInProgress: gauge('etcd_server_snapshot_apply_in_progress_total', '1 if the server is applying the incoming snapshot. 0 if none.'),
    proposalsCommitted: gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.'),
    proposalsApplied: gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.'),
    proposalsPending: gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.'),
    proposalsFailed: counter('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.'),
    slowReadIndexes: counter(
      'etcd_server_slow_read_indexes_total',
      "The total number of pending read indexes not in sync with leader's or timed out read index requests.",
    ),
    readIndexesFailed: counter('etcd_server_read_indexes_failed_total', 'The total number of failed read indexes seen.'),
    leaseExpired: counter('etcd_debugging_server_lease_expired_total', 'The total number of expired leases.'),
    quotaBackendBytes: gauge('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.'),
    version: gauge('etcd_server_version', "Which version is running. 1 for 'server_version' label with current version.", ['server_version']),
    id: gauge('etcd_server_id', "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", ['server_id']),
    learnerPromoteSucceed: counter(
      'etcd_server_learner_promote_successes',
      'The total number of successful learner promotions while this member is leader.',
    ),
    learnerPromoteFailed: counter(
      'etcd_server_learner_promote_failures',
      'The total number of failed learner promotions (likely learner not ready) while this member is leader.',
      ['Reason'],
    ),
    clientRequests: counter('etcd_server_client_requests_total', 'The total number of client requests per client version.', [
      'type',
      'client_api_version',
    ]),
    applyDuration: histogram(
      'etcd_server_apply_duration_seconds',
      'The latency distributions of v2 apply called by backend.',
      exponentialBuckets(0.0001, 2, 20),
      ['version', 'op', 'success'],
    ),
    healthSuccess: counter('etcd_server_health_success', 'The total number of successful health checks'),
    healthFailures: counter('etcd_server_health_failures', 'The total number of failed health checks'),
    healthcheck: gauge('etcd_server_healthcheck', 'The result of each kind of healthcheck.', ['type', 'name']),
    healthchecksTotal: counter('etcd_server_healthchecks_total', 'The total number of each kind of healthcheck.', ['type', 'name', 'status']),
  };
  server.version.labels({ server_version: options.serverVersion ?? ETCD_API_VERSION }).set(1);

  const cluster = {
    version: gauge('etcd_cluster_version', "Which version is running. 1 for 'cluster_version' label with current cluster version", [
      'cluster_version',
    ]),
  };
  cluster.version.labels({ cluster_version: ETCD_CLUSTER_VERSION }).set(1);

  const storageHashBuckets = exponentialBuckets(0.01, 2, 15);
  const mvcc: MvccMetrics = {
    rangeTotal: counter('etcd_mvcc_range_total', 'Total number of ranges seen by this member.'),
    putTotal: counter('etcd_mvcc_put_total', 'Total number of puts seen by this member.'),
    deleteTotal: counter('etcd_mvcc_delete_total', 'Total number of deletes seen by this member.'),
    txnTotal: counter('etcd_mvcc_txn_total', 'Total number of txns seen by this member.'),
    keysTotal: gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.'),
    watchStreamTotal: gauge('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.'),
    watcherTotal: gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.'),
    slowWatcherTotal: gauge('etcd_debugging_mvcc_slow_watcher_total', 'Total number of unsynced slow watchers.'),
    eventsTotal: counter('etcd_debugging_mvcc_events_total', 'Total number of events sent by this member.'),
    pendingEventsTotal: gauge('etcd_debugging_mvcc_pending_events_total', 'Total number of pending events to be sent.'),
    dbTotalSizeInBytes: gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.'),
    dbTotalSizeInUseInBytes: gauge('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.'),
    dbOpenReadTransactions: gauge('etcd_mvcc_db_open_read_transactions', 'The number of currently open read transactions'),
    currentRevision: gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.'),
    compactRevision: gauge('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.'),
    dbCompactionKeysTotal: counter('etcd_debugging_mvcc_db_compaction_keys_total', 'Total number of db keys compacted.'),
    hashDuration: histogram('etcd_mvcc_hash_duration_seconds', 'The latency distribution of storage hash operation.', storageHashBuckets),
    hashRevDuration: histogram(
      'etcd_mvcc_hash_rev_duration_seconds',
      'The latency distribution of storage hash by revision operation.',
      storageHashBuckets,
    ),
  };

  const disk: DiskMetrics = {
    walFsyncDuration: histogram(
      'etcd_disk_wal_fsync_duration_seconds',
      'The latency distributions of fsync called by WAL.',
      exponentialBuckets(0.001, 2, 14),
    ),
    walWriteBytes: gauge('etcd_disk_wal_write_bytes_total', 'Total number of bytes written in WAL.'),
    backendCommitDuration: histogram(
      'etcd_disk_backend_commit_duration_seconds',
      'The latency distributions of commit called by backend.',
      exponentialBuckets(0.001, 2, 14),
    ),
    backendDefragDuration: histogram(
      'etcd_disk_backend_defrag_duration_seconds',
      'The latency distribution of backend defragmentation.',
      exponentialBuckets(0.1, 2, 13),
    ),
    backendSnapshotDuration: histogram(
      'etcd_disk_backend_snapshot_duration_seconds',
      'The latency distribution of backend snapshots.',
      exponentialBuckets(0.01, 2, 17),
    ),
  };

  const peerSentCounts = new DeferredCounts<'To'>();
  const peerReceivedCounts = new DeferredCounts<'From'>();
  const network: NetworkMetrics = {
    clientGrpcSentBytes: counter('etcd_network_client_grpc_sent_bytes_total', 'The total number of bytes sent to grpc clients.'),
    clientGrpcReceivedBytes: counter('etcd_network_client_grpc_received_bytes_total', 'The total number of bytes received from grpc clients.'),
    peerSentBytes: counter('etcd_network_peer_sent_bytes_total', 'The total number of bytes sent to peers.', ['To'], peerSentCounts),
    peerReceivedBytes: counter('etcd_network_peer_received_bytes_total', 'The total number of bytes received from peers.', ['From'], peerReceivedCounts),
    peerSentCounts,
    peerReceivedCounts,
    peerSentFailures: counter('etcd_network_peer_sent_failures_total', 'The total number of send failures from peers.', ['To']),
    peerReceivedFailures: counter('etcd_network_peer_received_failures_total', 'The total number of receive failures from peers.', ['From']),
    peerRoundTripTime: histogram(
      'etcd_network_peer_round_trip_time_seconds',
      'Round-Trip-Time histogram between peers',
      exponentialBuckets(0.0001, 2, 14),
      ['To'],
    ),
    activePeers: gauge('etcd_network_active_peers', 'The current number of active peer connections.', ['Local', 'Remote']),
    disconnectedPeers: counter('etcd_network_disconnected_peers_total', 'The total number of disconnected peers.', ['Local', 'Remote']),
  };

  const grpcLabels = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
  const handledCounts = new DeferredCounts<GrpcLabels | 'grpc_code'>();
  const grpc: GrpcMetrics = {
    started: counter('grpc_server_started_total', 'Total number of RPCs started on the server.', grpcLabels),
    handled: counter(
      'grpc_server_handled_total',
      'Total number of RPCs completed on the server, regardless of success or failure.',
      [...grpcLabels, 'grpc_code'],
      handledCounts,
    ),
    handledCounts,
    msgReceived: counter('grpc_server_msg_received_total', 'Total number of RPC stream messages received on the server.', grpcLabels),
    msgSent: counter('grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.', grpcLabels),
    handlingSeconds:
      options.extensive === true
        ? histogram(
            'grpc_server_handling_seconds',
            'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
            DEFAULT_BUCKETS,
            grpcLabels,
          )
        : null,
  };

  const buildInfo = gauge('capstan_build_info', "capstan's own version beside the etcd API version it serves. Always 1.", [
    'version',
    'etcd_api_version',
    'git_sha',
    'node_version',
  ]);
  buildInfo.labels({ version: CAPSTAN_VERSION, etcd_api_version: ETCD_API_VERSION, git_sha: GIT_SHA, node_version: process.version }).set(1);

  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  return { registry, server, cluster, mvcc, disk, network, grpc };
}

/**
 * Pre-creates the label combinations go-grpc-prometheus initialises for every registered method
 * (InitializeMetrics), so series exist at zero before the first call, as they do on etcd.
 */
export function initializeGrpcMethodMetrics(
  grpc: GrpcMetrics,
  methods: readonly { readonly service: string; readonly method: string; readonly type: GrpcType }[],
): void {
  for (const m of methods) {
    const labels = { grpc_type: m.type, grpc_service: m.service, grpc_method: m.method };
    grpc.started.labels(labels).inc(0);
    grpc.msgReceived.labels(labels).inc(0);
    grpc.msgSent.labels(labels).inc(0);
    for (const code of GRPC_CODE_NAMES) grpc.handled.labels({ ...labels, grpc_code: code }).inc(0);
    grpc.handlingSeconds?.labels(labels);
  }
}
