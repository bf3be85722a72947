// The member's HTTP endpoints, as etcd serves them on --listen-metrics-urls: /metrics, /health,
// /livez, /readyz (and their per-check subpaths) and /version; the client URLs serve the same handler
// beside gRPC (grpc/wire/wireServer.ts), as etcd's do.
// The server reads the member only through the callbacks it is given.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import type { ParsedUrl } from '../config/urls.js';
import { CAPSTAN_VERSION, ETCD_API_VERSION } from '../config/version.js';
import { createNopLogger, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import { CHECKS, checkHealth, runChecks, type CheckType, type HealthAnswer, type HealthContext, type HealthSource } from './health.js';

export interface VersionSource {
  /** The etcd server version reported as "etcdserver". */
  serverVersion(): string;
  /** The decided cluster version ("3.5.0"), or null before it is decided (etcd: "not_decided"). */
  clusterVersion(): string | null;
}

export interface HttpEndpointsOptions {
  readonly health: HealthSource;
  readonly versions: VersionSource;
  readonly registry: Registry;
  /** Health counters (etcd_server_health_*, etcd_server_healthcheck*) are updated when given. */
  readonly metrics?: ServerMetrics;
  readonly logger?: Logger;
  /** etcd's ReqTimeout: 5 s + 2 × election timeout. Bounds every health probe. */
  readonly requestTimeoutMs: number;
  /** TLS for https:// and unixs:// URLs (etcd serves them with the client TLS flags). */
  readonly tls?: HttpTlsSource;
}

/** The TLS context in force for secure listeners, and news of each reloaded one. */
export interface HttpTlsSource {
  readonly requestCert: boolean;
  current(): SecureContextOptions;
  onReload(listener: (options: SecureContextOptions) => void): void;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

function send(res: ServerResponse, answer: HealthAnswer): void {
  res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

/** Go's http.Error(w, "Method Not Allowed", 405) after setting Allow. */
function methodNotAllowed(): HealthAnswer {
  return { status: 405, headers: { ...TEXT, Allow: 'GET' }, body: 'Method Not Allowed\n' };
}

const NOT_FOUND: HealthAnswer = { status: 404, headers: TEXT, body: '404 page not found\n' };

/** Builds the request handler; exposed apart from listening so it can be mounted elsewhere. */
export function createHttpHandler(options: HttpEndpointsOptions): RequestHandler {
  if (!(options.requestTimeoutMs > 0)) throw new Error(`invariant: requestTimeoutMs must be > 0, got ${options.requestTimeoutMs}`);
  const logger = options.logger ?? createNopLogger();
  const ctx: HealthContext = { source: options.health, requestTimeoutMs: options.requestTimeoutMs, logger, metrics: options.metrics ?? null };

  const checkRoutes = new Map<string, { type: CheckType; only: string | null }>();
  for (const type of ['livez', 'readyz'] as const) {
    checkRoutes.set(`/${type}`, { type, only: null });
    for (const check of CHECKS[type]) checkRoutes.set(`/${type}/${check.name}`, { type, only: check.name });
  }

  async function answer(req: IncomingMessage): Promise<HealthAnswer> {
    const url = new URL(req.url ?? '/', 'http://capstan.invalid');
    const path = url.pathname;
    const known = path === '/health' || path === '/version' || path === '/metrics' || checkRoutes.has(path);
    if (!known) return NOT_FOUND;
    if (req.method !== 'GET') {
      logger.warn(`${path} error`, { 'status-code': 405 });
      return methodNotAllowed();
    }
    if (path === '/health') return checkHealth(ctx, url.searchParams);
    if (path === '/version') {
      const body = JSON.stringify({
        etcdserver: options.versions.serverVersion(),
        etcdcluster: options.versions.clusterVersion() ?? 'not_decided',
        capstan: CAPSTAN_VERSION,
      });
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
    }
    if (path === '/metrics') {
      const body = await options.registry.metrics();
      return { status: 200, headers: { 'Content-Type': options.registry.contentType }, body };
    }
    const route = checkRoutes.get(path);
    if (route === undefined) throw new Error(`invariant: unrouted known path ${path}`);
    return runChecks(ctx, route.type, url.searchParams, route.only);
  }

  return (req, res) => {
    answer(req).then(
      (a) => send(res, a),
      (e: unknown) => {
        logger.error('http endpoint failed', { path: req.url ?? '', error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) send(res, { status: 500, headers: TEXT, body: 'Internal Server Error\n' });
        else res.destroy();
      },
    );
  };
}

export interface RunningHttpServer {
  readonly server: Server | HttpsServer;
  /** Where it listens: host/port for TCP, the socket path for unix URLs. */
  readonly address: { readonly host: string; readonly port: number } | { readonly path: string };
  close(): Promise<void>;
}

/** Listens on one http://, unix:// (or, given TLS, https:// or unixs://) URL; port 0 picks a free port. */
export async function listenHttp(url: ParsedUrl, handler: RequestHandler, tls?: HttpTlsSource): Promise<RunningHttpServer> {
  const secure = url.scheme === 'https' || url.scheme === 'unixs';
  if (secure && !tls) {
    throw new Error(`capstan does not serve ${url.scheme} on the metrics listener yet: ${url.text}`);
  }
  const server: Server | HttpsServer =
    secure && tls
      ? createHttpsServer({ ...tls.current(), requestCert: tls.requestCert, rejectUnauthorized: tls.requestCert }, handler)
      : createServer(handler);
  if (secure && tls) tls.onReload((options) => (server as HttpsServer).setSecureContext(options));
  // keep-alive connections must not hold close() open
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const onListening = () => {
      server.off('error', reject);
      resolve();
    };
    if (url.scheme === 'unix' || url.scheme === 'unixs') server.listen(url.path, onListening);
    else server.listen(url.port, url.host === 'localhost' ? '127.0.0.1' : url.host, onListening);
  });
  const raw = server.address();
  const address =
    typeof raw === 'string' || raw === null ? { path: url.path } : { host: (raw as AddressInfo).address, port: (raw as AddressInfo).port };
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Starts one listener per --listen-metrics-urls entry; on a failure, closes those already started. */
export async function startHttpEndpoints(
  urls: readonly ParsedUrl[],
  options: HttpEndpointsOptions,
  handler: RequestHandler = createHttpHandler(options),
): Promise<RunningHttpServer[]> {
  const started: RunningHttpServer[] = [];
  try {
    for (const url of urls) {
      started.push(await listenHttp(url, handler, options.tls));
      options.logger?.info('serving metrics', { address: url.text });
    }
  } catch (e) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw e;
  }
  return started;
}

/** The versions a member reports by default, before the cluster version is decided by the server. */
export const DEFAULT_VERSIONS: VersionSource = {
  serverVersion: () => ETCD_API_VERSION,
  clusterVersion: () => null,
};
