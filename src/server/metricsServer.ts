// The metrics listener (--listen-metrics-urls) and the metric updates the member feeds it: health
// endpoints answered from the member, gRPC outcomes, disk latencies, store gauges.
import type { Config } from './config/config.js';
import { ETCD_API_VERSION } from './config/version.js';
import { createHttpHandler, type HttpEndpointsOptions, type HttpTlsSource, type RequestHandler, type RunningHttpServer, startHttpEndpoints } from './http/httpServer.js';
import type { Logger } from './logger.js';
import type { Member } from './member.js';
import { type CapstanMetrics, createMetrics, grpcCodeName } from './metrics.js';

export interface MetricsServer {
  readonly metrics: CapstanMetrics;
  /** Starts the listeners; `tls` serves the https:// ones (etcd uses the client TLS flags for them). */
  attach(member: Member, tls?: HttpTlsSource): Promise<void>;
  /** The HTTP endpoints' handler once attached, for the client URLs to serve as well. */
  httpHandler(): RequestHandler;
  walFsync(seconds: number): void;
  backendCommit(seconds: number): void;
  rpcHandled(service: string, method: string, code: number): void;
  close(): Promise<void>;
}

export function createMetricsServer(config: Config, logger: Logger): MetricsServer {
  const metrics = createMetrics({ serverVersion: ETCD_API_VERSION, extensive: config.metrics === 'extensive' });
  let listeners: RunningHttpServer[] = [];
  let refresh: NodeJS.Timeout | null = null;
  let handler: RequestHandler | null = null;

  return {
    metrics,
    async attach(member: Member, tls?: HttpTlsSource) {
      metrics.server.hasLeader.set(1);
      metrics.server.isLeader.set(1);
      metrics.server.id.set({ server_id: member.memberId.toString(16) }, 1);
      const quota = member.limits.quotaBackendBytes;
      metrics.server.quotaBackendBytes.set(Number.isFinite(quota) ? quota : 0);
      refresh = setInterval(() => {
        metrics.mvcc.currentRevision.set(member.store.currentRevision);
        metrics.mvcc.compactRevision.set(member.store.compactRevision);
        metrics.mvcc.dbTotalSizeInBytes.set(member.dbSize());
        const s = member.status();
        metrics.server.proposalsCommitted.set(s.raftIndex);
        metrics.server.proposalsApplied.set(s.appliedIndex);
      }, 1000);
      refresh.unref();
      const endpoints: HttpEndpointsOptions = {
        registry: metrics.registry,
        metrics: metrics.server,
        logger,
        requestTimeoutMs: 5000 + 2 * config.electionTimeoutMs,
        ...(tls ? { tls } : {}),
        versions: { serverVersion: () => ETCD_API_VERSION, clusterVersion: () => '3.5.0' },
        health: {
          alarms: () => member.alarms.list().map((a) => a.alarm),
          hasLeader: () => member.status().leader !== 0n,
          probeRange: async (serializable) => {
            if (!serializable) await member.linearizableBarrier();
            await member.store.range({
              key: Buffer.from('health'),
              rangeEnd: Buffer.alloc(0),
              limit: 1,
              revision: 0,
              sortOrder: 'NONE',
              sortTarget: 'KEY',
              serializable,
              keysOnly: true,
              countOnly: false,
              minModRevision: 0,
              maxModRevision: 0,
              minCreateRevision: 0,
              maxCreateRevision: 0,
            });
          },
        },
      };
      handler = createHttpHandler(endpoints);
      listeners = await startHttpEndpoints(config.listenMetricsUrls, endpoints, handler);
    },
    httpHandler() {
      if (handler === null) throw new Error('invariant: httpHandler() before attach()');
      return handler;
    },
    walFsync: (seconds) => metrics.disk.walFsyncDuration.observe(seconds),
    backendCommit: (seconds) => metrics.disk.backendCommitDuration.observe(seconds),
    rpcHandled: (service, method, code) =>
      metrics.grpc.handledCounts.add(`${service}/${method}/${code}`, () => ({
        grpc_type: 'unary',
        grpc_service: service,
        grpc_method: method,
        grpc_code: grpcCodeName(code),
      })),
    async close() {
      if (refresh) clearInterval(refresh);
      await Promise.allSettled(listeners.map((l) => l.close()));
    },
  };
}
