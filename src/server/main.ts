#!/usr/bin/env node
// The capstan process: etcd's flags in, one member out.
import { CorruptDataError, EtcdError } from '../mvcc/errors.js';
import { logConfigWarnings, resolveCommandLine } from './config/cli.js';
import type { Config } from './config/config.js';
import { createGrpcServer, grpcEngineFromEnv } from './grpc/grpcServer.js';
import type { RpcObserver } from './grpc/unary.js';
import { activeFailpoints } from './failpoints.js';
import { createLogger } from './logger.js';
import { Member } from './member.js';
import { createMetricsServer } from './metricsServer.js';
import { AuthGate } from './auth/authGate.js';
import { tokenProviderFor } from './auth/jwtTokens.js';
import { authStoreOf } from './auth/registry.js';
import { clientCredentials, isSecureScheme } from './tls/clientTls.js';
import { optimiseSooner } from './v8Tiering.js';

async function main(): Promise<void> {
  optimiseSooner();
  if (process.argv[2] === 'snapshot') {
    // `capstan snapshot save|status|restore` (etcdctl/etcdutl's commands), not a member.
    const { runSnapshotCommand } = await import('./cli/snapshotCommand.js');
    const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
    process.exitCode = await runSnapshotCommand(process.argv.slice(3), io);
    return;
  }
  const outcome = resolveCommandLine(process.argv.slice(2), process.env);
  if (outcome.kind === 'exit') process.exit(outcome.code);
  await run(outcome.config);
}

async function run(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel, outputs: config.logOutputs });
  logConfigWarnings(logger, config);
  if (activeFailpoints().length > 0) logger.warn('failpoints are set (CAPSTAN_FAILPOINTS)', { failpoints: activeFailpoints().join(',') });
  const fatal = (error: Error): never => logger.fatal('capstan cannot continue', { error: error.message, stack: error.stack ?? '' });
  const metrics = createMetricsServer(config, logger);
  const member = await Member.open(
    config,
    {
    fatal,
    walFsync: (s) => metrics.walFsync(s),
    backendCommit: (s) => metrics.backendCommit(s),
    },
    logger,
  );
  // etcd runs this check after its peers can reach it and before it serves any client.
  if (config.initialCorruptCheck) await member.checkInitialHashKV();
  const tlsReloadLog = {
    reloaded: (files: object) => logger.info('reloaded client TLS certificate files', { ...files }),
    rejected: (files: object, error: Error) =>
      logger.warn('ignoring changed client TLS files that do not load; the previous ones stay in force', {
        ...files,
        error: error.message,
      }),
  };
  // https:// metrics URLs are served with the client TLS flags, as etcd does.
  const metricsTls = clientCredentials(config, tlsReloadLog, config.listenMetricsUrls);
  metricsTls?.watch();
  await metrics.attach(member, metricsTls ?? undefined);
  const observer: RpcObserver = {
    handled: (service, method, code) => metrics.rpcHandled(service, method, code),
    unexpected: (service, method, error) =>
      logger.error('unexpected error serving a request', {
        service,
        method,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  };
  const authStore = await authStoreOf(member.store);
  authStore.tokens = tokenProviderFor(config.authToken, authStore.tokens, config.authTokenTtlSeconds * 1000);
  authStore.bcryptCost = config.bcryptCost;
  const gate = new AuthGate(authStore, config.clientTls.clientCertAuth, config.clientTls.allowedHostname);
  member.onStoreReplaced(async (store) => {
    // A snapshot from the leader brings its own users and roles; tokens already issued stay valid.
    const replaced = await authStoreOf(store);
    replaced.tokens = authStore.tokens;
    replaced.bcryptCost = config.bcryptCost;
    gate.store = replaced;
  });
  const server = createGrpcServer(member, observer, {
    maxRequestBytes: config.maxRequestBytes,
    maxConcurrentStreams: config.maxConcurrentStreams,
    keepaliveMinTimeMs: config.grpcKeepaliveMinTimeMs,
    keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
    engine: grpcEngineFromEnv(process.env),
    http1: metrics.httpHandler(),
  }, gate);
  const tlsCredentials = clientCredentials(config, tlsReloadLog);
  tlsCredentials?.watch();
  for (const url of config.listenClientUrls) {
    if (isSecureScheme(url) && tlsCredentials) {
      await server.bind(url, tlsCredentials);
      logger.info('serving client traffic securely', { address: url.text });
    } else {
      await server.bind(url, null);
      logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.text });
    }
  }
  logger.info('ready to serve client requests', {
    name: config.name,
    'member-id': member.memberId.toString(16),
    'cluster-id': member.clusterId.toString(16),
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('received signal; shutting down', { signal });
    server.forceShutdown();
    tlsCredentials?.stop();
    metricsTls?.stop();
    void Promise.all([member.stop(), metrics.close()]).then(
      () => process.exit(0),
      (error: unknown) => fatal(error as Error),
    );
  };
  process.on('SIGTERM', () => shutdown('terminated'));
  process.on('SIGINT', () => shutdown('interrupt'));
}

main().catch((error: unknown) => {
  const message = error instanceof EtcdError || error instanceof Error ? error.message : String(error);
  // Damaged data is reported in etcd's words (its log line for the same refusal).
  const msg = error instanceof CorruptDataError ? error.logMessage : 'capstan failed to start';
  process.stderr.write(`${JSON.stringify({ level: 'fatal', ts: new Date().toISOString(), msg, error: message })}\n`);
  process.exit(1);
});

