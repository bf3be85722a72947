#!/usr/bin/env node
// The capstan process: etcd's flags in, one member out.
import * as grpc from '@grpc/grpc-js';
import { EtcdError } from '../mvcc/errors.js';
import { ConfigError, type Config, parseConfig } from './config/config.js';
import { bind, createGrpcServer } from './grpc/grpcServer.js';
import type { RpcObserver } from './grpc/unary.js';
import { createLogger } from './logger.js';
import { Member } from './member.js';
import { startMetricsServer } from './metricsServer.js';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    throw error;
  }
  if ('help' in parsed) {
    process.stdout.write(parsed.help);
    return;
  }
  if ('version' in parsed) {
    process.stdout.write(parsed.version);
    return;
  }
  await run(parsed);
}

async function run(config: Config): Promise<void> {
  const logger = createLogger(config);
  for (const w of config.warnings) logger[w.level](w.msg, w.fields);
  const fatal = (error: Error) => {
    logger.fatal('capstan cannot continue', { error: error.message, stack: error.stack ?? '' });
    process.exit(1);
  };
  const metrics = startMetricsServer(config, logger);
  const member = await Member.open(config, {
    fatal,
    walFsync: (s) => metrics.walFsync(s),
    backendCommit: (s) => metrics.backendCommit(s),
  });
  metrics.attach(member);
  const observer: RpcObserver = {
    handled: (service, method, code) => metrics.rpcHandled(service, method, code),
    unexpected: (service, method, error) =>
      logger.error('unexpected error serving a request', {
        service,
        method,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  };
  const server = createGrpcServer(member, observer, {
    maxRequestBytes: config.maxRequestBytes,
    maxConcurrentStreams: config.maxConcurrentStreams,
    keepaliveMinTimeMs: config.grpcKeepaliveMinTimeMs,
    keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
  });
  for (const url of config.listenClientUrls) {
    await bind(server, url, grpc.ServerCredentials.createInsecure());
    logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.text });
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
  process.stderr.write(`${JSON.stringify({ level: 'fatal', ts: new Date().toISOString(), msg: 'capstan failed to start', error: message })}\n`);
  process.exit(1);
});

