// The client-facing gRPC server: etcd's six services on every --listen-client-urls address, with
// etcd's message limits and keepalive policy (clients ping every 30 s; etcd allows pings every 5 s).
// Two engines serve them: capstan's own HTTP/2 gRPC server (wire/ on h2/, the default) and grpc-js's Server
// (CAPSTAN_GRPC_SERVER=grpc-js), kept for comparison and as a fallback.
import type { RequestListener } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { ParsedUrl } from '../config/urls.js';
import type { ReloadingServerCredentials } from '../tls/reloadingCredentials.js';
import { AuthService, ClusterService, KVService, LeaseService, MaintenanceService, WatchService } from '../proto/load.js';
import type { AuthGate } from '../auth/authGate.js';
import { guardService, withRequestAuth } from '../auth/rpcGuards.js';
import { authService } from './authService.js';
import { clusterService } from './clusterService.js';
import type { MemberContext } from './context.js';
import { kvService } from './kvService.js';
import { leaseService } from './leaseService.js';
import { maintenanceService } from './maintenanceService.js';
import type { RpcObserver } from './unary.js';
import { type WatchPermit, watchService } from './watchService.js';
import { WireServer } from './wire/wireServer.js';

/** etcd's grpcOverheadBytes: the gRPC receive limit is --max-request-bytes plus this. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface GrpcServerOptions {
  maxRequestBytes: number;
  maxConcurrentStreams: number;
  keepaliveMinTimeMs: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  engine: GrpcEngine;
  /** etcd's HTTP endpoints (/health, /metrics, /version...), served beside gRPC on the client URLs. */
  http1?: RequestListener;
}

export type GrpcEngine = 'wire' | 'grpc-js';

/** CAPSTAN_GRPC_SERVER picks the engine; anything but "grpc-js" is capstan's own. */
export function grpcEngineFromEnv(env: NodeJS.ProcessEnv): GrpcEngine {
  return env['CAPSTAN_GRPC_SERVER'] === 'grpc-js' ? 'grpc-js' : 'wire';
}

/** What main needs of either engine. */
export interface ClientGrpcServer {
  /** Listens on one client URL, with TLS when `tls` is given; resolves with the TCP port. */
  bind(url: ParsedUrl, tls: ReloadingServerCredentials | null): Promise<number>;
  forceShutdown(): void;
}

interface ServiceTarget {
  addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
}

export function createGrpcServer(
  ctx: MemberContext,
  observer: RpcObserver,
  opts: GrpcServerOptions,
  gate: AuthGate,
): ClientGrpcServer {
  const receiveLimit = opts.maxRequestBytes + GRPC_OVERHEAD_BYTES;
  if (opts.engine === 'wire') {
    const server = new WireServer({
      maxReceiveMessageBytes: receiveLimit,
      maxConcurrentStreams: opts.maxConcurrentStreams,
      keepaliveIntervalMs: opts.keepaliveIntervalMs,
      keepaliveTimeoutMs: opts.keepaliveTimeoutMs,
      ...(opts.http1 === undefined ? {} : { http1: opts.http1 }),
      // keepaliveMinTimeMs has no use here: client pings are answered at any rate (keepalive.ts).
    });
    addServices(server, ctx, observer, gate);
    return server;
  }
  const server = new grpc.Server({
    'grpc.max_receive_message_length': receiveLimit,
    'grpc.max_send_message_length': 2 ** 31 - 1,
    'grpc.max_concurrent_streams': Math.min(opts.maxConcurrentStreams, 2 ** 31 - 1),
    'grpc.keepalive_time_ms': opts.keepaliveIntervalMs,
    'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': opts.keepaliveMinTimeMs,
    // channelz bookkeeping costs every call CPU time, and nothing here serves channelz.
    'grpc.enable_channelz': 0,
  });
  addServices(server, ctx, observer, gate);
  return {
    bind: (url, tls) => bind(server, url, tls ?? grpc.ServerCredentials.createInsecure()),
    forceShutdown: () => server.forceShutdown(),
  };
}

function addServices(server: ServiceTarget, ctx: MemberContext, observer: RpcObserver, gate: AuthGate): void {
  // Every service but Auth passes its RPC's guard first (Auth checks inside, per method).
  const guarded = (name: string, impl: grpc.UntypedServiceImplementation) => guardService(name, impl, gate, () => ctx.store);
  const watchPermit: WatchPermit = (stream) => {
    let user: string | null;
    try {
      user = gate.caller(stream);
    } catch {
      // The guard already admitted this stream; a token that lapsed since then permits nothing.
      return () => false;
    }
    return (key, rangeEnd) => user === null || gate.store.permits(user, 'read', key, rangeEnd);
  };
  server.addService(KVService, guarded('etcdserverpb.KV', kvService(ctx, observer)));
  server.addService(WatchService, guarded('etcdserverpb.Watch', watchService(ctx, watchPermit)));
  server.addService(LeaseService, guarded('etcdserverpb.Lease', leaseService(ctx, observer)));
  server.addService(ClusterService, guarded('etcdserverpb.Cluster', clusterService(ctx, observer)));
  server.addService(MaintenanceService, guarded('etcdserverpb.Maintenance', maintenanceService(ctx, observer)));
  server.addService(AuthService, withRequestAuth(authService(ctx, observer, gate) as grpc.UntypedServiceImplementation, gate));
}

/** grpc-js address for an etcd URL: `localhost` binds to 127.0.0.1 as etcd's listener does. */
export function grpcAddress(url: ParsedUrl): string {
  if (url.scheme === 'unix' || url.scheme === 'unixs') return `unix:${url.path}`;
  const host = url.host === 'localhost' ? '127.0.0.1' : url.host;
  return host.includes(':') ? `[${host}]:${url.port}` : `${host}:${url.port}`;
}

function bind(server: grpc.Server, url: ParsedUrl, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(grpcAddress(url), credentials, (error, port) => (error ? reject(error) : resolve(port))),
  );
}
